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
from asyncio import current_task
from contextlib import suppress
from operator import itemgetter
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
#: How often the waits for bodies are checked against their deadlines (as serve's own protocol does).
SWEEP_SECONDS = 0.25
_name = itemgetter(0)


def _may_have_body(scope: Scope) -> bool:
    if scope.get("http_version", "1.1") not in ("1.0", "1.1"):
        return True
    return not _FRAMING.isdisjoint(map(_name, scope["headers"]))


_TIMED_OUT = (408, _error("RequestTimeout", "The request body did not arrive in time"))
_STOPPING = (503, _error("ServiceUnavailable", "The server is stopping"))


class InFlight:
    def __init__(self, app: ASGIApp, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.stopping = False
        self._cancelling = False
        #: The tasks of the HTTP requests in the app: `cancel_running` ends them.
        self._running: set[asyncio.Task[Any]] = set()
        #: The tasks waiting for a body now, each with its deadline. A deadline is a time checked
        #: by one sweep a few times a second, not a timer per wait (which cost a body's request
        #: more than everything else this layer does).
        self._waiting: dict[asyncio.Task[Any], float] = {}
        #: The waits the sweep (or the stop) has ended by cancelling their task.
        self._expired: set[asyncio.Task[Any]] = set()
        self._sweep: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None
        #: The event loop the requests run on, once one has come.
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def active(self) -> int:
        """HTTP requests in the app now."""
        return len(self._running)

    def stop(self) -> None:
        """End every wait for a body, now and from now on: each such request is answered 503."""
        self.stopping = True
        for task in list(self._waiting):
            self._expire(task)

    def cancel_running(self) -> None:
        """Cancel every request still in the app; each is answered 503 unless it had begun its answer."""
        self._cancelling = True
        for task in list(self._running):
            task.cancel(msg="the server is stopping")

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        self._waiting.pop(task, None)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """Whether the sweep or the stop cancelled `task`'s wait (asked once: it forgets)."""
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _expire(self, task: asyncio.Task[Any]) -> None:
        del self._waiting[task]
        self._expired.add(task)
        task.cancel()

    def _swept(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, deadline in list(self._waiting.items()):
            if deadline <= now:
                self._expire(task)
        self._sweep = (loop, loop.call_later(SWEEP_SECONDS, self._swept)) if self._waiting else None

    def watch(self, task: asyncio.Task[Any], deadline: float) -> None:
        """`task` waits for a body until `deadline`."""
        self._waiting[task] = deadline
        loop = self.loop
        assert loop is not None
        if self._sweep is None or self._sweep[0] is not loop:
            self._sweep = (loop, loop.call_later(SWEEP_SECONDS, self._swept))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = self.loop
        if loop is None or loop.is_closed():  # the first request, or the first on a new loop
            loop = self.loop = asyncio.get_running_loop()
        # Given the loop: Python 3.11 asks the kernel for the process id to find the running one.
        task = current_task(loop)
        assert task is not None
        running = self._running
        running.add(task)
        try:
            if _may_have_body(scope):
                body = _Body(self, scope, receive)
                await self.app(scope, body.receive, send)
                if body.ended is not None:
                    # Unless the app began its own answer: then the server refuses this one.
                    with suppress(Exception):
                        await _answer(send, body.ended)
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
            running.discard(task)


class _Body:
    """One request's body as its app reads it: each wait for more of it watched against the
    request's deadline; once that has passed (or the stop came), the client is gone for the app."""

    __slots__ = ("_complete", "_deadline", "_flight", "_receive", "_scope", "ended")

    def __init__(self, flight: InFlight, scope: Scope, receive: Receive) -> None:
        self._flight = flight
        self._scope = scope
        self._receive = receive
        assert flight.loop is not None
        self._deadline = flight.loop.time() + flight.body_timeout
        self._complete = False
        #: The answer owed to the client once the app is done: 408 or 503; None: the app's own.
        self.ended: tuple[int, bytes] | None = None

    async def receive(self) -> Message:
        if self.ended is not None:  # as far as the app knows, the client has gone
            return {"type": "http.disconnect"}
        if self._complete:
            return await self._receive()
        flight = self._flight
        if flight.stopping:
            return self._end()
        task = current_task(flight.loop)
        assert task is not None
        flight.watch(task, self._deadline)
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            if not flight.expired(task) or task.uncancel():  # a cancellation of someone else's stands
                raise
            return self._end()
        finally:
            flight.unwatch(task)
        if message["type"] != "http.request" or not message.get("more_body", False):
            self._complete = True
        return message

    def _end(self) -> Message:
        flight = self._flight
        self.ended = _STOPPING if flight.stopping else _TIMED_OUT
        client = self._scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else "a client"
        why = (
            "the server is stopping"
            if flight.stopping
            else f"the request body did not arrive within {flight.body_timeout:g} s"
        )
        log.info("closing the connection of %s: %s", who, why)
        return {"type": "http.disconnect"}


async def _answer(send: Send, answer: tuple[int, bytes]) -> None:
    status, body = answer
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
