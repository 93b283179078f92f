"""Binding the listening socket ourselves, so every reason it fails is one clear sentence."""

from __future__ import annotations

import errno
import socket

__all__ = ["ListenError", "listen"]

BACKLOG = 2048


class ListenError(Exception):
    """The server cannot listen on the address asked for."""


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening, inheritable TCP socket on `host:port` (the first address `host` names)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(f"cannot listen on {where}: the port is already in use") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ListenError(f"cannot listen on {where}: {host!r} is not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise ListenError(
                f"cannot listen on {where}: permission denied (ports below 1024 are privileged)"
            ) from None
        raise ListenError(f"cannot listen on {where}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
