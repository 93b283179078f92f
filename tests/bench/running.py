"""Running a bench/ script as its README command does, briefly: it must finish and print its table.

Nothing here asserts a speed. The load runners stop with an error when wrk sees an error answer,
so a table that prints is one whose requests all succeeded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from itertools import takewhile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

#: One figure as the tables print it.
NUMBER = r"\d+(?:\.\d+)?"

#: Every run here: one round of one second a row, with few connections.
BRIEF = ("--seconds", "1", "--rounds", "1", "--connections", "8")


def require(tool: str, reason: str) -> None:
    """Skip without `tool` (fail under CI, where every tool is installed)."""
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def run_bench(script: str, *args: str) -> list[str]:
    """The lines `python bench/<script> <args>` prints, once it has ended well."""
    require("wrk", "wrk is not installed (Debian: apt-get install wrk)")
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def table_rows(lines: list[str], names: Iterable[str]) -> dict[str, list[float]]:
    """The leading figures of each row that `names` names (`GET json`, `sqlite w1 PATCH`: a row's
    words as printed, one space apart), by name; a row may end in words, such as a goal."""
    rows: dict[str, list[float]] = {}
    for line in lines:
        words = line.split()
        for name in names:
            size = len(name.split())
            if words[:size] == name.split():
                figures = list(takewhile(re.compile(NUMBER).fullmatch, words[size:]))
                rows[name] = [float(x) for x in figures]
    return rows


def printed_ratio_tolerance(numerator: float, denominator: float, *, decimals: int = 2) -> float:
    """How far a ratio printed to `decimals` may be from the ratio of its two figures printed to
    `decimals` (each up to half a unit of the last place off), whatever their size."""
    half = 0.5 * 0.1**decimals
    return numerator / denominator * (half / numerator + half / denominator) + half + 1e-9
