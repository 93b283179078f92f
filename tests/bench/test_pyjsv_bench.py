"""bench/pyjsv_bench.py runs from the repository: pyjsv against msgspec.json and orjson, case by
case, encode and typed decode."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .running import BENCH, printed_ratio_tolerance

CASES = ("one AISessionInfo", "1,000 AISessionInfo", "nested mixed object")
LIBRARIES = ("msgspec.json", "orjson", "pyjsv")


def test_every_case_is_timed_in_every_library_against_msgspec() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "pyjsv_bench.py"), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    timed: dict[tuple[str, str, str], tuple[float, float]] = {}
    for line in done.stdout.splitlines()[2:]:
        case, op, library, micros, ratio = line.rsplit(maxsplit=4)
        timed[case, op, library] = (float(micros), float(ratio.removesuffix("x")))
    assert set(timed) == {(case, op, lib) for case in CASES for op in ("encode", "decode") for lib in LIBRARIES}
    for case in CASES:
        for op in ("encode", "decode"):
            base = timed[case, op, "msgspec.json"][0]
            assert timed[case, op, "msgspec.json"][1] == 1.0
            for library in LIBRARIES:
                micros_each, times = timed[case, op, library]
                assert micros_each > 0
                if base >= 5:  # printed to a tenth of a µs, a median this long keeps its ratio
                    # Both the µs and the ratio are printed to a tenth (a ratio of 0.75 shows as 0.8).
                    tolerance = printed_ratio_tolerance(micros_each, base, decimals=1)
                    assert times == pytest.approx(micros_each / base, abs=tolerance), (case, op, library)
