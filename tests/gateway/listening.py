"""A protocol factory listening on an ephemeral loopback port, for tests of serve's HTTP protocol."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from uvicorn.server import ServerState


@asynccontextmanager
async def listening(factory: Callable[[], asyncio.Protocol], state: ServerState) -> AsyncIterator[int]:
    """The port `factory`'s connections are made on; on the way out the server and every
    connection still in `state` are shut down."""
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for connection in list(state.connections):
            connection.shutdown()
