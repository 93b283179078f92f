"""bench/pairs.py runs from the repository: PATCHes with each (body, answer) format pair asked for."""

from __future__ import annotations

import pytest

from .running import BRIEF, run_bench, table_rows

PAIRS = ("json/json", "xml/json", "csv/jsv")


def test_each_pair_is_measured_against_the_first() -> None:
    table = table_rows(run_bench("pairs.py", *BRIEF, "--pairs", *PAIRS), PAIRS)
    assert set(table) == set(PAIRS)
    first = table["json/json"][0]
    for pair in PAIRS:
        rps, cpu, x_first, writes_per_commit = table[pair]
        assert rps > 0 and cpu > 0 and writes_per_commit >= 1, pair
        assert x_first == pytest.approx(rps / first, abs=0.006), pair
