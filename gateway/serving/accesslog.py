"""The access log: one line per request, as text or as a JSON object, on the `gateway.access` logger."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import orjson

from .record import RequestRecord
from .redact import redact_query

__all__ = ["ACCESS_LOG_MODES", "AccessEntry", "AccessLog"]

ACCESS_LOG_MODES = ("text", "json", "off")

log = logging.getLogger("gateway.access")


@dataclass(slots=True)
class AccessEntry:
    start: float  # time.time() when the request arrived
    client: str
    method: str
    target: str  # path and redacted query, as sent (percent-encoded)
    status: int
    duration_ms: float
    record: RequestRecord


def _printable(text: str) -> str:
    # A path may hold anything; a log line must stay one line that cannot be forged.
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if ch.isascii() and ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def target(raw_path: bytes, query_string: bytes) -> str:
    """The request target for the log: the raw path and the query with its secrets masked."""
    path = raw_path.decode("latin-1")
    query = redact_query(query_string.decode("latin-1"))
    return _printable(f"{path}?{query}" if query else path)


def _iso(moment: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
    return f"{seconds}.{int(moment % 1 * 1000):03d}Z"


class AccessLog:
    def __init__(self, mode: str) -> None:
        if mode not in ACCESS_LOG_MODES:
            raise ValueError(f"unknown access log mode {mode!r}")
        self.mode = mode
        self.enabled = mode != "off"

    def active(self) -> bool:
        """Lines are info records: `--log-level warning` and above silence them, as uvicorn's did."""
        return self.enabled and log.isEnabledFor(logging.INFO)

    def write(self, entry: AccessEntry) -> None:
        if not self.active():
            return
        record = entry.record
        if self.mode == "json":
            line = orjson.dumps(
                {
                    "time": _iso(entry.start),
                    "client": entry.client,
                    "method": entry.method,
                    "path": entry.target,
                    "status": entry.status,
                    "duration_ms": round(entry.duration_ms, 3),
                    "operation": record.operation,
                    "format": record.format,
                    "user_id": record.user_id,
                    "error_code": record.error_code,
                    "request_id": record.request_id,
                }
            ).decode()
        else:
            fields = (record.operation, record.format, record.user_id, record.error_code)
            op, fmt, user, code = (_printable(value) if value else "-" for value in fields)
            line = (
                f"{_iso(entry.start)} {entry.client} {_printable(entry.method)} {entry.target} {entry.status}"
                f" {entry.duration_ms:.1f}ms op={op} format={fmt} user={user} error={code} id={record.request_id}"
            )
        log.info(line)
