"""Timing helpers for the linear-time tests: noise-tolerant, never a hard speed limit."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pyjsv


def best_time(run: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of `repeats` runs of `run`, a DecodeError counting as a finished run."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with contextlib.suppress(pyjsv.DecodeError):
            run()
        best = min(best, time.perf_counter() - start)
    return best


def grows_linearly(small: float, large: float) -> bool:
    """10x the input in well under quadratic time (40x, not 100x), on a noisy 2-core machine."""
    return large < max(small, 1e-4) * 40
