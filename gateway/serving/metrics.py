"""Prometheus metrics: requests, their durations, requests in flight, and hooks for the store.

Metric objects are process-wide (prometheus_client registers them globally), so they are made once,
by the first app that wants them. Under `serve --workers N` the supervisor sets
PROMETHEUS_MULTIPROC_DIR before the workers start; prometheus_client then keeps each worker's values
in files there, and a scrape of any worker adds up all of them.
"""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client import multiprocess as _multiprocess

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROC_ENV",
    "Metrics",
    "enable_metrics",
    "observe_store_call",
    "observe_writer_batch",
]

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.requests = Counter("evo_gateway_requests", "HTTP requests answered", ("operation", "format", "status"))
        self.duration = Histogram(
            "evo_gateway_request_duration_seconds",
            "Time from a request's arrival to the end of its response",
            ("operation",),
            buckets=_LATENCY_BUCKETS,
        )
        self.in_flight = Gauge(
            "evo_gateway_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum"
        )
        self.store_calls = Histogram(
            "evo_gateway_store_call_duration_seconds", "Store method durations", ("method",), buckets=_LATENCY_BUCKETS
        )
        self.writer_batch = Histogram(
            "evo_gateway_sqlite_writer_batch_size",
            "Writes committed together by the SQLite group-commit writer",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )

    def render(self) -> bytes:
        """The text exposition of every metric, summed over all workers in multiprocess mode."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return _generate_latest(registry)
        return _generate_latest(REGISTRY)


_active: Metrics | None = None


def enable_metrics() -> Metrics:
    """This process's metrics, made on first use."""
    global _active
    if _active is None:
        _active = Metrics()
    return _active


def observe_store_call(method: str, seconds: float) -> None:
    """For a store: one call of `method` took `seconds`. A no-op while metrics are off."""
    if _active is not None:
        _active.store_calls.labels(method).observe(seconds)


def observe_writer_batch(size: int) -> None:
    """For the SQLite writer: one transaction committed `size` jobs. A no-op while metrics are off."""
    if _active is not None:
        _active.writer_batch.observe(size)
