"""uvicorn's httptools protocol with deadlines for slow clients.

uvicorn's own `timeout_keep_alive` closes a connection that stays idle after a response, and a
data byte cancels it; nothing bounds a client that trickles its headers (slowloris) or stalls its
body. Two deadlines do, both counted from a fixed moment so trickling bytes cannot extend them:

- headers: from the connection's start (or the end of the previous response) until the request's
  headers are complete, at most `header_timeout` seconds;
- body: from the end of the headers until the end of the body, at most `body_timeout` seconds.

Either one closing the connection looks to the application like the client leaving. One timer per
connection, cleared while the application has the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

__all__ = ["DeadlineHttpToolsProtocol", "deadlines"]

log = logging.getLogger("gateway.serving")

_deadlines: dict[str, float] = {"header_timeout": 5.0, "body_timeout": 30.0}


def deadlines(*, header_timeout: float, body_timeout: float) -> None:
    """Set the deadlines for connections made from now on in this process (the protocol class is
    built by uvicorn from its Config, which has no field for them)."""
    _deadlines.update(header_timeout=header_timeout, body_timeout=body_timeout)


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
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, what: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info("closing the connection of %s: %s", client, what)
            self.transport.abort()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout, f"no complete request headers within {self._header_timeout:g} s")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # Until the message is complete: at once for a request without a body.
        self._arm(self._body_timeout, f"the request body did not arrive within {self._body_timeout:g} s")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # the whole request is in: the app has it

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            # Waiting for the next request on this connection: idle time is the keep-alive timer's,
            # a trickled request's headers are this deadline's.
            self._arm(self._header_timeout + self.timeout_keep_alive, "no complete request headers in time")
