"""The requests in flight under granian: a deadline on each body, and an end to them at a forced stop.

uvicorn's protocol bounds a request's body (`protocol.py`) and, past `--shutdown-timeout`, hangs
up on what is left (server.py). granian bounds headers but not bodies, and has no forced stop of
its own, so under it this middleware does both one layer up. A request whose body does not arrive
within `body_timeout` of reaching the app, or that still waits for it when the stop is forced,
sees its client leave (`http.disconnect`, as when uvicorn closes the connection); its client gets
a 408 or a 503 with `Connection: close`, after which granian hangs up.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["InFlight"]

log = logging.getLogger("gateway.serving")


def _error(code: str, message: str) -> bytes:
    return f'{{"responseStatus":{{"errorCode":"{code}","message":"{message}"}}}}'.encode()


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
        self.active = 0
        self._stopping = False
        #: The deadlines of the bodies being waited for: `stop` brings them forward to now.
        self._waits: set[asyncio.Timeout] = set()

    def stop(self) -> None:
        """End every wait for a body, now and from now on."""
        self._stopping = True
        now = asyncio.get_running_loop().time()
        for wait in list(self._waits):
            wait.reschedule(now)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_have_body(scope):
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        complete = False
        ended: tuple[int, bytes] | None = None
        started = False

        async def guarded_receive() -> Message:
            nonlocal complete, ended
            if complete or ended is not None:
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

        self.active += 1
        try:
            await self.app(scope, guarded_receive, watched_send)
        finally:
            self.active -= 1
        if ended is not None and not started:
            status, body = ended
            headers = [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
