"""bench/load.py runs from the repository: the JSON PATCH and GET against the bare baseline."""

from __future__ import annotations

import pytest

from .running import BRIEF, printed_ratio_tolerance, run_bench, table_rows

ROWS = ("baseline PATCH", "gateway PATCH", "baseline GET", "gateway GET")


def test_each_verb_is_measured_against_the_baseline() -> None:
    table = table_rows(run_bench("load.py", *BRIEF), ROWS)
    assert set(table) == set(ROWS)
    for verb in ("PATCH", "GET"):
        baseline = table[f"baseline {verb}"]
        assert baseline[3:] == [1.0, 1.0]
        rps, p50, p99, rps_ratio, p99_ratio = table[f"gateway {verb}"]
        assert rps > 0 and 0 < p50 <= p99, verb
        assert rps_ratio == pytest.approx(rps / baseline[0], abs=0.006), verb
        assert p99_ratio == pytest.approx(p99 / baseline[2], abs=printed_ratio_tolerance(p99, baseline[2])), verb
