"""bench/slow_clients.py runs from the repository: GET latencies with and without slowloris
connections, and how many of those the server closed."""

from __future__ import annotations

import re
import subprocess
import sys

from .running import BENCH


def test_the_slow_connections_are_measured_and_closed() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "slow_clients.py"), "--slow", "10", "--requests", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for label in ("quiet", "10 slow clients"):
        assert any(re.fullmatch(rf"{label}\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms", line) for line in lines), label
    # How many the server had closed by then is a figure here, not a check: the closing itself is
    # tested in tests/e2e/test_serve_slow_clients.py, without a fixed wait a loaded machine could outlast.
    closed = [re.fullmatch(r"slow connections closed by the server after ~\d+ s: (\d+)/10", line) for line in lines]
    assert [int(found.group(1)) <= 10 for found in closed if found] == [True]
