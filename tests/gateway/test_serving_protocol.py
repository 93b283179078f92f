"""The deadline protocol over real sockets, in-process, with an application slower than its deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from gateway.serving.protocol import DeadlineHttpToolsProtocol, deadlines

from .listening import listening

#: Longer than every deadline below, so a deadline left armed while the app works would fire.
APP_SECONDS = 2.0


async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await receive()
    await asyncio.sleep(APP_SECONDS)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def short_deadlines() -> Iterator[None]:
    deadlines(header_timeout=0.5, body_timeout=0.5)
    yield
    deadlines(header_timeout=5.0, body_timeout=30.0)


async def _answers(requests: bytes, expected: int) -> bytes:
    config = uvicorn.Config(slow_app, http=DeadlineHttpToolsProtocol, lifespan="off", timeout_keep_alive=1)
    config.load()
    loop = asyncio.get_running_loop()
    state = ServerState()
    async with listening(lambda: DeadlineHttpToolsProtocol(config, state, {}, loop), state) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(requests)
        received = b""
        async with asyncio.timeout(expected * APP_SECONDS + 10):
            while received.count(b"HTTP/1.1 200") < expected or not received.endswith(b"ok"):
                chunk = await reader.read(65536)
                if not chunk:
                    break  # closed by the server
                received += chunk
        writer.close()
        return received


def test_pipelined_requests_are_not_cut_off_while_the_one_before_them_runs(short_deadlines: None) -> None:
    # The second request's headers arrive while the first runs: its body deadline must wait for
    # it to start, and the wait for "next headers" must not start while it runs.
    two = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
    received = asyncio.run(_answers(two, 2))
    assert received.count(b"HTTP/1.1 200") == 2


def test_one_slow_request_is_not_cut_off(short_deadlines: None) -> None:
    received = asyncio.run(_answers(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 1))
    assert received.count(b"HTTP/1.1 200") == 1
