"""bench/abuse.py runs from the repository: every probe against a real serve, with small counts."""

from __future__ import annotations

import ast
import subprocess
import sys

from .running import BENCH

PROBES = ("auth-timing", "hash-flood", "amplification", "disconnects", "preauth", "memory")


def test_every_probe_reports_what_it_saw() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "abuse.py"), "--flood", "20", "--samples", "3", "--sessions", "50"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = {}
    for line in done.stdout.splitlines():
        name, sep, figures = line.partition(": ")
        if sep and name in PROBES:
            found[name] = ast.literal_eval(figures)
    assert set(found) == set(PROBES)
    flood = found["hash-flood"]
    assert flood["requests"] == 20 and flood["401 (hashed)"] + flood["429 (throttled)"] == 20
    assert found["amplification"]["purpose 10,001 chars"] == "400 MaximumLength"
    assert found["disconnects"]["next GET status"] == 200
    # Each hostile body is refused, never answered 200 or 500.
    assert all(outcome.split()[0] in ("400", "401", "413") for outcome in found["preauth"].values())
