"""The outer ASGI layer: request id, per-request record, access log line and request metrics.

It sees every HTTP request before the application and the end of every response after it, so
status and duration are measured here; what only the endpoint knows (operation, format, user, error
code) it reads back from the `RequestRecord` the endpoint filled in.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .accesslog import AccessEntry, AccessLog, target
from .metrics import Metrics
from .probes import Probes
from .record import RECORD_KEY, RequestRecord
from .requestid import request_id

__all__ = ["Observer"]


class Observer:
    def __init__(self, app: ASGIApp, *, access_log: AccessLog, metrics: Metrics | None, log_probes: bool) -> None:
        self._app = app
        self._access_log = access_log
        self._metrics = metrics
        self._log_probes = log_probes
        #: The metric children of each (operation, format, status) seen: prometheus_client's
        #: `labels()` takes a lock and builds its key on every call. The label values come from
        #: fixed sets (the operations, the formats, the status codes), so this stays small.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started_at = time.time()
        started = time.perf_counter()
        record = RequestRecord(request_id(scope["headers"]))
        scope[RECORD_KEY] = record
        header = (b"x-request-id", record.request_id.encode("ascii"))
        #: The status sent; 0 when the client left (or the server stopped) before any response.
        status = 0

        async def sender(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        metrics = self._metrics
        if metrics is not None:
            metrics.in_flight.inc()
        try:
            await self._app(scope, receive, sender)
        finally:
            seconds = time.perf_counter() - started
            if metrics is not None:
                metrics.in_flight.dec()
                key = (record.operation or "", record.format or "", status)
                children = self._children.get(key)
                if children is None:
                    children = self._children[key] = (
                        metrics.requests.labels(key[0], key[1], str(status)),
                        metrics.duration.labels(key[0]),
                    )
                children[0].inc()
                children[1].observe(seconds)
            if self._access_log.active() and (self._log_probes or scope["path"] not in Probes.PATHS):
                client = scope.get("client")
                self._access_log.write(
                    AccessEntry(
                        start=started_at,
                        client=client[0] if client else "-",
                        method=scope["method"],
                        target=target(scope.get("raw_path") or scope["path"].encode(), scope["query_string"]),
                        status=status,
                        duration_ms=seconds * 1000,
                        record=record,
                    )
                )
