"""Request ids: the caller's `X-Request-Id` when it is safe to log and echo, otherwise a new one."""

from __future__ import annotations

import itertools
import os

__all__ = ["MAX_REQUEST_ID", "new_request_id", "request_id"]

MAX_REQUEST_ID = 128


def _sane(value: bytes) -> bool:
    # Printable ASCII without spaces: it goes into log lines and a response header verbatim.
    return 0 < len(value) <= MAX_REQUEST_ID and all(0x21 <= byte <= 0x7E for byte in value)


#: New ids are this process's random prefix and a counter: unique across workers and restarts
#: (64 random bits), and one addition per request rather than an os.urandom call.
_prefix = os.urandom(8).hex()
_counter = itertools.count(1)


def new_request_id() -> str:
    return f"{_prefix}{next(_counter):016x}"


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The id for a request with these (lower-case named) ASGI headers."""
    for name, value in headers:
        if name == b"x-request-id":
            if _sane(value):
                return value.decode("ascii")
            break
    return new_request_id()
