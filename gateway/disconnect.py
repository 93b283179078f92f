"""Abandoning the work of a request whose client has left.

Once a request's body is read, the next ASGI message the server has for it is `http.disconnect`,
sent when the connection drops. `watch_disconnect` listens for it while the operation runs and
cancels the operation then: a store read not yet started never starts, an awaited one is dropped at
its end, and the answer is never encoded. Encoding itself is one call that cannot be interrupted;
`ResponseTooLarge` bounds it instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import Receive

__all__ = ["DisconnectWatch", "Unwatched", "watch_disconnect"]


class DisconnectWatch:
    """Whether the client left; `check` raises ClientDisconnect if it did."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = False

    def check(self) -> None:
        if self.left:
            raise ClientDisconnect()


@asynccontextmanager
async def watch_disconnect(receive: Receive) -> AsyncIterator[DisconnectWatch]:
    """Run the block until it ends or the client disconnects; in the latter case the block is
    cancelled and ClientDisconnect raised. Only for use once the request body has been read."""
    watch = DisconnectWatch()
    scope = anyio.CancelScope()

    async def listen() -> None:
        while True:
            message = await receive()
            # A request whose (empty) body was never read first gets that body's message.
            if message["type"] == "http.disconnect":
                watch.left = True
                scope.cancel()
                return

    # A bare task, not a task group: what the block raises must come out as itself, not grouped.
    listener = asyncio.ensure_future(listen())
    try:
        with scope:
            yield watch
    finally:
        listener.cancel()
    watch.check()


class Unwatched:
    """In place of `watch_disconnect` for work too short to be worth a listener: never trips."""

    async def __aenter__(self) -> DisconnectWatch:
        return DisconnectWatch()

    async def __aexit__(self, *exc_info: object) -> None:
        return None
