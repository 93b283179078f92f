"""A tally's flush gives the exposition that one prometheus_client call per sample gives."""

from __future__ import annotations

import asyncio
import math

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

from gateway.serving import metrics as metrics_module
from gateway.serving.metrics import enable_metrics
from gateway.serving.tally import CounterTally, HistogramTally

BUCKETS = (0.001, 0.0025, 0.01, 1.0)
#: On, below, between and above the bounds; zero and negative too.
VALUES = [0.0, 0.001, 0.0010001, 0.002, 0.0025, 0.5, 1.0, 1.5, 1e9, -3.0, 0.001]


def _exposition(registry: CollectorRegistry) -> list[str]:
    # `_created` is the time each child was made: the only line two registries may differ in.
    return [line for line in generate_latest(registry).decode().splitlines() if "_created" not in line]


def test_a_histogram_tally_flushes_what_observing_each_value_gives() -> None:
    direct, tallied = CollectorRegistry(), CollectorRegistry()
    expected = Histogram("h", "doc", ("op",), buckets=BUCKETS, registry=direct).labels("x")
    tally = HistogramTally(
        Histogram("h", "doc", ("op",), buckets=BUCKETS, registry=tallied).labels("x"), (*BUCKETS, math.inf)
    )
    for value in VALUES[:5]:
        expected.observe(value)
        tally.observe(value)
    tally.flush()
    assert _exposition(tallied) == _exposition(direct)
    for value in VALUES[5:]:  # a second flush adds to the first
        expected.observe(value)
        tally.observe(value)
    tally.flush()
    tally.flush()  # nothing new: nothing added
    assert _exposition(tallied) == _exposition(direct)


def test_a_counter_tally_flushes_its_count() -> None:
    registry = CollectorRegistry()
    child = Counter("c", "doc", ("op",), registry=registry).labels("x")
    tally = CounterTally(child)
    tally.count += 3
    assert registry.get_sample_value("c_total", {"op": "x"}) == 0  # not yet added
    tally.flush()
    tally.count += 2
    tally.flush()
    assert registry.get_sample_value("c_total", {"op": "x"}) == 5


def test_the_tallies_reach_the_metrics_once_a_second_without_a_scrape(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = enable_metrics()
    monkeypatch.setattr(metrics_module, "FLUSH_SECONDS", 0.01)
    counted, _ = metrics.request_tallies("TallyTest", "json", 200)
    labels = {"operation": "TallyTest", "format": "json", "status": "200"}

    def value() -> float:
        return REGISTRY.get_sample_value("evo_gateway_requests_total", labels) or 0.0

    before = value()
    counted.count += 4

    async def run() -> float:
        flushing = asyncio.create_task(metrics.flush_periodically())
        for _ in range(500):  # at most 5 s
            await asyncio.sleep(0.01)
            if value() != before:
                break
        flushing.cancel()
        return value() - before

    assert asyncio.run(run()) == 4
