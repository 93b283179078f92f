"""Prometheus metrics: requests, their durations, requests in flight, and hooks for the store.

Metric objects are process-wide (prometheus_client registers them globally), so they are made once,
by the first app that wants them. Under `serve --workers N` the supervisor sets
PROMETHEUS_MULTIPROC_DIR before the workers start; prometheus_client then keeps each worker's values
in files there, and a scrape of any worker adds up all of them.
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client import multiprocess as _multiprocess

from .tally import CounterTally, HistogramTally

__all__ = [
    "CONTENT_TYPE",
    "FLUSH_SECONDS",
    "MULTIPROC_ENV",
    "Metrics",
    "enable_metrics",
    "observe_store_call",
    "observe_writer_batch",
]

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: How often the tallies are added to the metrics between scrapes, for the other workers' scrapes.
FLUSH_SECONDS: Final = 1.0


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
        #: Requests being answered now: counted here, set on `in_flight` at each flush.
        self.in_flight_now = 0
        self._latency_bounds = (*_LATENCY_BUCKETS, math.inf)
        self._request_tallies: dict[tuple[str, str, int], tuple[CounterTally, HistogramTally]] = {}
        self._store_call_tallies: dict[str, HistogramTally] = {}
        self._tallies: list[CounterTally | HistogramTally] = []

    def request_tallies(self, operation: str, format: str, status: int) -> tuple[CounterTally, HistogramTally]:
        """The tallies of `evo_gateway_requests` and `evo_gateway_request_duration_seconds` for
        requests of this operation, format and status. The label values come from fixed sets (the
        operations, the formats, the status codes), so there are few."""
        key = (operation, format, status)
        tallies = self._request_tallies.get(key)
        if tallies is None:
            tallies = self._request_tallies[key] = (
                CounterTally(self.requests.labels(operation, format, str(status))),
                # One duration child per operation, shared by its statuses: each tally adds its own.
                HistogramTally(self.duration.labels(operation), self._latency_bounds),
            )
            self._tallies.extend(tallies)
        return tallies

    def store_call_tally(self, method: str) -> HistogramTally:
        """The tally of `evo_gateway_store_call_duration_seconds` for calls of one store method."""
        tally = self._store_call_tallies.get(method)
        if tally is None:
            child = self.store_calls.labels(method)
            tally = self._store_call_tallies[method] = HistogramTally(child, self._latency_bounds)
            self._tallies.append(tally)
        return tally

    def flush(self) -> None:
        """Add every tally to its metric, and set the in-flight gauge."""
        for tally in self._tallies:
            tally.flush()
        self.in_flight.set(self.in_flight_now)

    async def flush_periodically(self) -> None:
        """Flush every `FLUSH_SECONDS` until cancelled (then once more)."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                self.flush()
        finally:
            self.flush()

    def render(self) -> bytes:
        """The text exposition of every metric, summed over all workers in multiprocess mode."""
        self.flush()
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
