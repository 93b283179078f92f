"""bench/ab.py runs from the repository: the working tree against a revision, row by row."""

from __future__ import annotations

import subprocess

import pytest

from .running import BENCH, BRIEF, run_bench, table_rows

ROWS = ("GET json", "PATCH xml")


def test_the_working_tree_is_measured_against_head_row_by_row() -> None:
    inside = subprocess.run(["git", "-C", str(BENCH), "rev-parse", "--is-inside-work-tree"], capture_output=True)
    if inside.returncode != 0:
        pytest.skip("not a git checkout: ab.py compares against a revision of it")
    table = table_rows(run_bench("ab.py", *BRIEF, "--rev", "HEAD", "--rows", *ROWS), ROWS)
    assert set(table) == set(ROWS)
    for row in ROWS:
        a_rps, a_cpu, a_p99, b_rps, b_cpu, b_p99, a_over_b = table[row]
        assert min(a_rps, a_cpu, a_p99, b_rps, b_cpu, b_p99) > 0, row
        # One round: the ratio is that round's, of the rates printed.
        assert a_over_b == pytest.approx(a_rps / b_rps, abs=0.0006), row
