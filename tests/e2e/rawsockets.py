"""Raw-socket clients for the serving tests: connections that trickle, stall or sit idle."""

from __future__ import annotations

import contextlib
import select
import socket
import time

__all__ = ["closed_by_server", "connect", "trickle_to", "wait_all_closed"]


def connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.setblocking(False)
    return conn


def closed_by_server(conn: socket.socket) -> bool:
    """True once the server has closed (or reset) the connection; False while it is open."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def trickle_to(conns: list[socket.socket], data: bytes) -> None:
    for conn in conns:
        with contextlib.suppress(BlockingIOError, ConnectionResetError, BrokenPipeError):
            conn.send(data)


def wait_all_closed(conns: list[socket.socket], *, trickle: bytes, seconds: float) -> int:
    """Keep trickling `trickle` to every open connection; how many the server closed in time."""
    open_ = list(conns)
    deadline = time.monotonic() + seconds
    while open_ and time.monotonic() < deadline:
        trickle_to(open_, trickle)
        time.sleep(0.25)
        open_ = [conn for conn in open_ if not closed_by_server(conn)]
    return len(conns) - len(open_)
