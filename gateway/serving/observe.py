"""The outer ASGI layer: request id, per-request record, access log line and request metrics.

It sees every HTTP request before the application and the end of every response after it, so
status and duration are measured here; what only the endpoint knows (operation, format, user, error
code) it reads back from the `RequestRecord` the endpoint filled in.
"""

from __future__ import annotations

import time

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
            metrics.in_flight_now += 1
        try:
            await self._app(scope, receive, sender)
        finally:
            seconds = time.perf_counter() - started
            if metrics is not None:
                metrics.in_flight_now -= 1
                count, duration = metrics.request_tallies(record.operation or "", record.format or "", status)
                count.count += 1
                duration.observe(seconds)
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
