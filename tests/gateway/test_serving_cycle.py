"""The one-write cycle over real sockets: uvicorn's bytes, in fewer writes."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from gateway.serving.protocol import DeadlineHttpToolsProtocol

from .listening import listening

Message = dict[str, Any]

#: What an app sends, by case: each answer uvicorn's own cycle writes must come out the same.
ANSWERS: dict[str, list[Message]] = {
    "sized": [
        {"type": "http.response.start", "status": 200, "headers": [(b"Content-Length", b"2"), (b"X-A", b"b")]},
        {"type": "http.response.body", "body": b"ok"},
    ],
    "streamed": [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]},
        {"type": "http.response.body", "body": b"one", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": True},
        {"type": "http.response.body", "body": b"two", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ],
    "sized in parts": [
        {"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"6")]},
        {"type": "http.response.body", "body": b"abc", "more_body": True},
        {"type": "http.response.body", "body": b"def"},
    ],
    "no content": [
        {"type": "http.response.start", "status": 204, "headers": []},
        {"type": "http.response.body", "body": b""},
    ],
    "not modified": [
        {"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"1"')]},
        {"type": "http.response.body"},
    ],
    "closing": [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"0"), (b"Connection", b"Close")],
        },
        {"type": "http.response.body", "body": b""},
    ],
    "bad header value": [
        {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"a\r\nx-injected: 1")]},
        {"type": "http.response.body", "body": b""},
    ],
    "bad header name": [
        {"type": "http.response.start", "status": 200, "headers": [(b"x a", b"1")]},
        {"type": "http.response.body", "body": b""},
    ],
    "body before start": [{"type": "http.response.body", "body": b"x"}],
}

#: Apps that break the protocol after their start: uvicorn has written the head by then, this
#: cycle has not, so the client sees the connection close with nothing rather than half an answer.
BROKEN_AFTER_START: dict[str, list[Message]] = {
    "start twice": [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]},
        {"type": "http.response.start", "status": 200, "headers": []},
    ],
    "too long": [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]},
        {"type": "http.response.body", "body": b"xy"},
    ],
    "started, then returned": [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]},
    ],
}


def _app(messages: list[Message]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        for message in messages:
            await send(message)

    return app


class _Counted:
    """A transport that counts its writes (and otherwise is the real one)."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(data)
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def _exchange(protocol: type[HttpToolsProtocol], app: Any, request: bytes, writes: list[bytes]) -> bytes:
    config = uvicorn.Config(app, http=protocol, lifespan="off", log_level="critical")
    config.load()
    loop = asyncio.get_running_loop()
    state = ServerState()

    class Counting(protocol):  # type: ignore[valid-type,misc]  # a class chosen at run time
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(cast(asyncio.Transport, _Counted(transport, writes)))

    async with listening(lambda: Counting(config, state, {}, loop), state) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        async with asyncio.timeout(10):
            received = await reader.read()  # every request here ends its connection
        writer.close()
        return received


def _both(case: str, request: bytes) -> tuple[bytes, bytes, list[bytes], list[bytes]]:
    ours: list[bytes] = []
    theirs: list[bytes] = []
    app = _app(ANSWERS.get(case) or BROKEN_AFTER_START[case])
    got = asyncio.run(_exchange(DeadlineHttpToolsProtocol, app, request, ours))
    expected = asyncio.run(_exchange(HttpToolsProtocol, app, request, theirs))
    return got, expected, ours, theirs


CLOSING_GET = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_every_answer_is_byte_for_byte_uvicorns(case: str) -> None:
    got, expected, _, _ = _both(case, CLOSING_GET)
    assert got == expected


@pytest.mark.parametrize("case", ["sized", "streamed", "no content"])
def test_an_http_1_0_request_and_a_head_request_get_uvicorns_bytes_too(case: str) -> None:
    for request in (b"GET / HTTP/1.0\r\n\r\n", b"HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"):
        got, expected, _, _ = _both(case, request)
        assert got == expected


@pytest.mark.parametrize("case", sorted(BROKEN_AFTER_START))
def test_an_app_that_breaks_off_after_its_start_leaves_nothing_on_the_wire(case: str) -> None:
    got, expected, ours, _ = _both(case, CLOSING_GET)
    assert got == b"" and ours == []
    assert expected.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_one_body_answer_is_one_write() -> None:
    got, _, ours, theirs = _both("sized", CLOSING_GET)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"\r\n\r\nok")
    assert ours == [got]
    assert len(theirs) == 2  # uvicorn's: the head, then the body


def test_a_streamed_answers_head_goes_with_its_first_chunk() -> None:
    got, _, ours, theirs = _both("streamed", CLOSING_GET)
    assert b"".join(ours) == got
    assert ours[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert len(ours) == len(theirs) - 1


def test_a_head_requests_head_is_written_alone_once() -> None:
    got, _, ours, _ = _both("sized", b"HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert ours == [got]
    assert got.endswith(b"content-length: 2\r\nx-a: b\r\nconnection: close\r\n\r\n")
