"""uvicorn's httptools protocol with deadlines for slow clients, writing each answer's head with
its body (gateway.serving.cycle).

uvicorn's own `timeout_keep_alive` closes a connection that stays idle after a response, and a
data byte cancels it; nothing bounds a client that trickles its headers (slowloris) or stalls its
body. Two deadlines do, both counted from a fixed moment so trickling bytes cannot extend them:

- headers: from the connection's start (or the end of the previous response) until the request's
  headers are complete, at most `header_timeout` seconds;
- body: from the end of the headers until the end of the body, at most `body_timeout` seconds.

Either one closing the connection looks to the application like the client leaving.

A deadline is a time stored on its connection, not a timer: arming and cancelling an event-loop
timer twice per request cost more than most requests' own work. One sweep per server, every
`SWEEP_SECONDS` while it has connections, closes those whose deadline has passed, so a deadline
fires up to that much late.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from gateway.serving.cycle import OneWriteCycle

__all__ = ["SWEEP_SECONDS", "DeadlineHttpToolsProtocol", "deadlines"]

log = logging.getLogger("gateway.serving")

_deadlines: dict[str, float] = {"header_timeout": 5.0, "body_timeout": 30.0}

#: How often a server looks for connections past their deadline.
SWEEP_SECONDS = 0.25

# What each deadline is for; the words are made only when one passes.
_HEADERS, _BODY, _NEXT_HEADERS = "headers", "body", "next headers"


def deadlines(*, header_timeout: float, body_timeout: float) -> None:
    """Set the deadlines for connections made from now on in this process (the protocol class is
    built by uvicorn from its Config, which has no field for them)."""
    _deadlines.update(header_timeout=header_timeout, body_timeout=body_timeout)


class _Sweep:
    """The periodic check of one server's connections; it runs while the server has any."""

    def __init__(self, loop: asyncio.AbstractEventLoop, connections: set[Any]) -> None:
        self.loop = loop
        self._connections = connections
        self._timer: asyncio.TimerHandle | None = None

    def ensure_running(self) -> None:
        if self._timer is None:
            self._timer = self.loop.call_later(SWEEP_SECONDS, self._run)

    def _run(self) -> None:
        self._timer = None
        try:
            now = self.loop.time()
            for connection in list(self._connections):
                if isinstance(connection, DeadlineHttpToolsProtocol):
                    connection.check_deadline(now)
        finally:  # one connection's failure must not end the checks of all the others
            if self._connections:
                self.ensure_running()


#: One sweep per server (its ServerState), made by its first connection.
_sweeps: weakref.WeakKeyDictionary[ServerState, _Sweep] = weakref.WeakKeyDictionary()


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_timeout = _deadlines["header_timeout"]
        self._body_timeout = _deadlines["body_timeout"]
        #: When the current deadline passes (the loop's clock), and what it is for; None: none set.
        self._deadline_at: float | None = None
        self._deadline_for = _HEADERS
        sweep = _sweeps.get(server_state)
        if sweep is None or sweep.loop is not self.loop:  # a server run again, on a new loop
            sweep = _sweeps[server_state] = _Sweep(self.loop, server_state.connections)
        self._sweep = sweep

    def _arm(self, seconds: float, what: str) -> None:
        self._deadline_at = self.loop.time() + seconds
        self._deadline_for = what

    def _disarm(self) -> None:
        self._deadline_at = None

    def check_deadline(self, now: float) -> None:
        """Close the connection if its deadline has passed by `now`."""
        if self._deadline_at is None or now < self._deadline_at:
            return
        self._deadline_at = None
        if not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info("closing the connection of %s: %s", client, self._reason())
            self.transport.abort()

    def _reason(self) -> str:
        if self._deadline_for == _BODY:
            return f"the request body did not arrive within {self._body_timeout:g} s"
        if self._deadline_for == _NEXT_HEADERS:
            return "no complete request headers in time"
        return f"no complete request headers within {self._header_timeout:g} s"

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout, _HEADERS)
        self._sweep.ensure_running()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not previous:
            # Made by uvicorn's own code, before its task first runs (nothing has looked up its
            # `send` yet), so changing its class changes how its answer is written and nothing else.
            self.cycle.__class__ = OneWriteCycle
        if self.cycle is not previous and self.pipeline and self.pipeline[0][0] is self.cycle:
            # Pipelined behind a request still running, with reading paused: its body's deadline
            # starts when it does (on_response_complete), not while the one before it runs.
            return
        # Until the message is complete: at once for a request without a body.
        self._arm(self._body_timeout, _BODY)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self._deadline_for == _BODY:
            # The whole request is in: the app has it. (Answered early, before its body was read,
            # the connection already waits for the next request's headers, under that deadline.)
            self._disarm()

    def on_response_complete(self) -> None:
        # uvicorn starts the oldest pipelined request, if any (it pops from the right).
        starting = self.pipeline[-1][0] if self.pipeline else None
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if starting is not None:
            if starting.more_body:  # its body is still to come, from now on
                self._arm(self._body_timeout, _BODY)
            else:
                self._disarm()  # all of it is in: the app has it
        else:
            # Waiting for the next request on this connection: idle time is the keep-alive timer's,
            # a trickled request's headers are this deadline's.
            self._arm(self._header_timeout + self.timeout_keep_alive, _NEXT_HEADERS)
