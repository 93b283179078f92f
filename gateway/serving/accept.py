"""Accepting connections: every pending one each time the listening socket is readable.

libuv, under uvloop, accepts one connection per turn of the event loop. A turn of a loaded server
lasts milliseconds (every request that arrived in the last one is worked on in it), so a burst of
new connections waits in the kernel's queue for as many turns as there are connections: the last
of 64 clients connecting to a busy server waited hundreds of milliseconds before its first byte
was read. asyncio's own server takes up to its backlog per wake-up; this listener does the same on
either loop, and hands each socket to the loop as an accepted connection.

Workers sharing one socket all wake when it is readable, and the first to accept would take a
whole burst. So with others on the socket a listener takes a few per wake-up: the rest stay queued
for whichever worker asks next, and a busy worker, which asks less often, takes fewer.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

__all__ = ["ACCEPT_RETRY_SECONDS", "Listener"]

log = logging.getLogger("gateway.serving")

#: Out of descriptors or memory: stop accepting for this long, as asyncio's server does, rather
#: than spin on a socket that stays readable.
ACCEPT_RETRY_SECONDS = 1.0

# Errors that end one accept, not the listener: the client gave up before it was accepted.
_CLIENT_GONE = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})
# Errors that say the process is out of something; accepting again at once would fail again.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class Listener:
    """Serves `protocol_factory` connections accepted from `sock` on `loop` until `close()`.

    Stands where uvicorn keeps its `asyncio.Server`: `close()` stops accepting and closes this
    process's copy of the socket (workers each hold one), `wait_closed()` returns once every
    connection accepted so far has been handed to the loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        *,
        per_wakeup: int,
    ) -> None:
        """`per_wakeup`: the most connections taken each time the socket is readable (the backlog
        for a process alone on it, a few when it shares the socket with other workers)."""
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._per_wakeup = per_wakeup
        self._handing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._retry: asyncio.TimerHandle | None = None
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._accept_pending)

    def _accept_pending(self) -> None:
        for _ in range(self._per_wakeup):
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _CLIENT_GONE:
                    continue
                if exc.errno in _EXHAUSTED:
                    log.warning("cannot accept (%s); trying again in %g s", exc.strerror, ACCEPT_RETRY_SECONDS)
                    self._loop.remove_reader(self._sock.fileno())
                    self._retry = self._loop.call_later(ACCEPT_RETRY_SECONDS, self._resume)
                    return
                raise
            conn.setblocking(False)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                # An answer's last segment must not wait for the client's delayed ACK.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self._loop.create_task(self._hand_over(conn))
            self._handing.add(task)
            task.add_done_callback(self._handing.discard)

    async def _hand_over(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, sock=conn)
        except OSError as exc:  # the client reset it in the meantime
            log.debug("accepted connection lost before it was served: %s", exc)
            conn.close()

    def _resume(self) -> None:
        self._retry = None
        if not self._closed:
            self._loop.add_reader(self._sock.fileno(), self._accept_pending)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()

    async def wait_closed(self) -> None:
        if self._handing:
            await asyncio.wait(set(self._handing))
