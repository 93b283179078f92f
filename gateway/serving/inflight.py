"""The requests in flight under granian: a deadline on each body, and an end to them at a forced stop.

uvicorn's protocol bounds a request's body (`protocol.py`) and, past `--shutdown-timeout`, hangs
up on what is left (server.py). granian bounds headers but not bodies, and has no forced stop of
its own, so under it this middleware does both one layer up. A request whose body does not arrive
within `body_timeout` of reaching the app, or that still waits for it when the stop is forced,
sees its client leave (`http.disconnect`, as when uvicorn closes the connection); its client gets
a 408 or a 503 with `Connection: close`, after which granian hangs up. A request still running a
moment after the stop was forced is cancelled and answered 503 the same way.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..dtos import ErrorResponse, ResponseStatus

__all__ = ["InFlight"]

log = logging.getLogger("gateway.serving")


def _error(code: str, message: str) -> bytes:
    # JSON: below the app nothing was negotiated. The shape is the app's own ErrorResponse.
    return msgspec.json.encode(ErrorResponse(response_status=ResponseStatus(error_code=code, message=message)))


#: The framing headers of an HTTP/1.x body: a request with neither has none (RFC 9112 6.3).
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})


def _may_have_body(scope: Scope) -> bool:
    if scope.get("http_version", "1.1") not in ("1.0", "1.1"):
        return True
    return any(name in _FRAMING for name, _ in scope["headers"])


_TIMED_OUT = (408, _error("RequestTimeout", "The request body did not arrive in time"))
_STOPPING = (503, _error("ServiceUnavailable", "The server is stopping"))


class InFlight:
    def __init__(self, app: ASGIApp, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self._stopping = False
        self._cancelling = False
        #: The tasks of the HTTP requests in the app: `cancel_running` ends them.
        self._running: set[asyncio.Task[Any]] = set()
        #: The deadlines of the bodies being waited for: `stop` brings them forward to now.
        self._waits: set[asyncio.Timeout] = set()

    @property
    def active(self) -> int:
        """HTTP requests in the app now."""
        return len(self._running)

    def stop(self) -> None:
        """End every wait for a body, now and from now on: each such request is answered 503."""
        self._stopping = True
        now = asyncio.get_running_loop().time()
        for wait in list(self._waits):
            if not wait.expired():  # one expiring already ends by itself
                wait.reschedule(now)

    def cancel_running(self) -> None:
        """Cancel every request still in the app; each is answered 503 unless it had begun its answer."""
        self._cancelling = True
        for task in list(self._running):
            task.cancel(msg="the server is stopping")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            if _may_have_body(scope):
                await self._guarded(scope, receive, send)
            else:  # nothing to wait for: the app gets the server's receive and send themselves
                await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if not self._cancelling:
                raise
            log.info("ended a request still running when the stop was forced: %s", scope.get("path"))
            # Had it begun its answer, the server refuses a second one; its client sees the end.
            with suppress(Exception):
                await _answer(send, _STOPPING)
        finally:
            self._running.discard(task)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        complete = False
        ended: tuple[int, bytes] | None = None
        started = False

        async def guarded_receive() -> Message:
            nonlocal complete, ended
            if ended is not None:  # as far as the app knows, the client has gone
                return {"type": "http.disconnect"}
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline) as wait:
                    self._waits.add(wait)
                    if self._stopping:
                        wait.reschedule(deadline - self.body_timeout)  # already passed
                    try:
                        message = await receive()
                    finally:
                        self._waits.discard(wait)
            except TimeoutError:
                ended = _STOPPING if self._stopping else _TIMED_OUT
                client = scope.get("client")
                who = f"{client[0]}:{client[1]}" if client else "a client"
                why = (
                    "the server is stopping"
                    if self._stopping
                    else f"the request body did not arrive within {self.body_timeout:g} s"
                )
                log.info("closing the connection of %s: %s", who, why)
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, guarded_receive, watched_send)
        if ended is not None and not started:
            await _answer(send, ended)


async def _answer(send: Send, answer: tuple[int, bytes]) -> None:
    status, body = answer
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
