"""bench/scale.py runs from the repository: SQLite with one and two workers, one and two
PostgreSQL nodes on a throwaway cluster, each against SQLite with one worker."""

from __future__ import annotations

import pytest

from ..conftest import require_postgres_binaries
from .running import BRIEF, printed_ratio_tolerance, run_bench, table_rows

TARGETS = ("sqlite w1", "sqlite w2", "pg 1 node", "pg 2 nodes")
ROWS = tuple(f"{target} {verb}" for verb in ("PATCH", "GET") for target in TARGETS)


def test_every_deployment_shape_is_measured_against_one_sqlite_worker() -> None:
    require_postgres_binaries()
    lines = run_bench("scale.py", *BRIEF, "--sessions", "8")
    table = table_rows(lines, ROWS)
    assert set(table) == set(ROWS)
    for verb in ("PATCH", "GET"):
        baseline = table[f"sqlite w1 {verb}"]
        assert baseline[3:5] == [1.0, 1.0]  # its own yardstick, in req/s and in p99
        for target in TARGETS:
            rps, p50, p99, x_rps, x_p99 = table[f"{target} {verb}"]
            assert rps > 0 and 0 < p50 <= p99, (target, verb)
            assert x_rps == pytest.approx(rps / baseline[0], abs=0.006), (target, verb)
            tolerance = printed_ratio_tolerance(p99, baseline[2])
            assert x_p99 == pytest.approx(p99 / baseline[2], abs=tolerance), (target, verb)
    # The three goals are judged and said, met or not.
    assert sum(("met" in line or "missed" in line) for line in lines) == 3
