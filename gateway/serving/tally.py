"""Counts made in plain Python on the event loop's thread, added to Prometheus metrics in bulk.

prometheus_client takes a lock per value and walks a histogram's buckets in Python on every
observation; for the handful of samples each request makes (its counter, its duration, its store
calls, the in-flight gauge) that was a fifth of the gateway's own time on a GET. A tally counts
the same samples with no lock (everything that feeds one runs on the event loop's thread) and
`flush` adds what it holds to the metric it stands for. `Metrics` flushes its tallies before
every scrape it answers and once a second, so a scrape of another worker sees them too.
"""

from __future__ import annotations

from bisect import bisect_left

from prometheus_client import Counter, Histogram

__all__ = ["CounterTally", "HistogramTally"]


class CounterTally:
    """Increments of one counter child, not yet added to it."""

    __slots__ = ("_child", "count")

    def __init__(self, child: Counter) -> None:
        self._child = child
        self.count = 0

    def flush(self) -> None:
        if self.count:
            count, self.count = self.count, 0
            self._child.inc(count)


class HistogramTally:
    """Observations of one histogram child, not yet added to it: a count per bucket and their sum."""

    __slots__ = ("_bounds", "_child", "_counts", "_sum")

    def __init__(self, child: Histogram, bounds: tuple[float, ...]) -> None:
        self._child = child
        #: The child's upper bounds, `+Inf` last: a value is counted in the first bound not below it.
        self._bounds = bounds
        self._counts = [0] * len(bounds)
        self._sum = 0.0

    def observe(self, value: float) -> None:
        self._counts[bisect_left(self._bounds, value)] += 1
        self._sum += value

    def flush(self) -> None:
        counts, total = self._counts, self._sum
        if not any(counts):
            return
        self._counts, self._sum = [0] * len(counts), 0.0
        # prometheus_client has no public call for adding many observations at once; its histogram
        # child keeps a value per bucket and one for the sum (tests/gateway/test_tally.py checks the
        # exposition is what one `observe` per value gives).
        self._child._sum.inc(total)
        for bucket, count in zip(self._child._buckets, counts, strict=True):
            if count:
                bucket.inc(count)
