"""`GET /health` (the process runs) and `GET /ready` (the store answers), for orchestrators.

Neither needs auth. Their paths are outside every operation route (/ai/sessions, /api/…,
/{format}/reply|oneway/…, /auth…) and every metadata page.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import orjson
from starlette.types import Receive, Scope, Send

from ..store import StoreError

__all__ = ["READY_TIMEOUT_SECONDS", "Pingable", "Probes"]

READY_TIMEOUT_SECONDS = 1.0


class Pingable(Protocol):
    async def ping(self) -> None:
        """Return once the store has answered a trivial query; raise StoreError if it cannot."""


async def _answer(send: Send, status: int, body: dict[str, str], *, head: bool = False) -> None:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})


class Probes:
    PATHS = frozenset({"/health", "/ready"})

    def __init__(self, store: Pingable, *, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        self._store = store
        self._timeout = timeout
        #: The ping under way, shared by concurrent probes, so a stuck database holds one thread
        #: however often the orchestrator asks.
        self._pending: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            payload = b'{"status":"method not allowed"}'
            headers = [(b"allow", b"GET, HEAD"), (b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 405, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        head = method == "HEAD"
        if scope["path"] == "/health":
            await _answer(send, 200, {"status": "ok"}, head=head)
            return
        reason = await self._ready()
        if reason is None:
            await _answer(send, 200, {"status": "ready"}, head=head)
        else:
            await _answer(send, 503, {"status": "unavailable", "reason": reason}, head=head)

    async def _ready(self) -> str | None:
        """None when the store answered in time, else why not."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._store.ping())
            # A ping that outlives its probes still has its outcome read, so it is never "never retrieved".
            self._pending.add_done_callback(lambda task: task.cancelled() or task.exception())
        done, _ = await asyncio.wait({self._pending}, timeout=self._timeout)
        if not done:
            return f"the store did not answer within {self._timeout:g} s"
        with contextlib.suppress(asyncio.CancelledError):
            error = self._pending.exception()
            if error is None:
                return None
            if isinstance(error, StoreError):
                return str(error) or type(error).__name__
            return f"store error: {type(error).__name__}"
        return "the store check was cancelled"
