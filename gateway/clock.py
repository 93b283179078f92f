"""Timestamps as AISessionInfo carries them: ISO 8601 UTC strings of fixed width, so that
sorting them as text sorts them in time."""

from __future__ import annotations

import time

__all__ = ["iso_from_ns", "utc_now_iso"]

#: The text of the last second formatted, with the second it is for. Every write stamps the time,
#: and `datetime.now(UTC).strftime` costs five times what reusing the second's text does. One tuple,
#: so a thread reads a second and its text together.
_last: tuple[int, str] = (-1, "")


def iso_from_ns(ns: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` for `ns` nanoseconds since the epoch (microseconds kept)."""
    global _last
    second, micros = divmod(ns // 1000, 1_000_000)
    cached_second, text = _last
    if second != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last = (second, text)
    return f"{text}.{micros:06d}Z"


def utc_now_iso() -> str:
    return iso_from_ns(time.time_ns())
