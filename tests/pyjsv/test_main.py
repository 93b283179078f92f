"""`python -m pyjsv` as a filter: JSON → JSV, JSV → JSON, errors as one line with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "codecs")}
    return subprocess.run(
        [sys.executable, "-m", "pyjsv", *args], input=stdin, capture_output=True, text=True, env=env, timeout=30
    )


def test_json_to_jsv_and_back() -> None:
    done = run(stdin='{"Id": 1, "Name": "a, b", "Tags": ["x", null], "Ok": true}')
    assert done.returncode == 0 and done.stdout == '{Id:1,Name:"a, b",Tags:[x,],Ok:True}\n'
    back = run("--decode", stdin=done.stdout)
    assert back.returncode == 0 and back.stdout == '{"Id": "1", "Name": "a, b", "Tags": ["x", null], "Ok": "True"}\n'


def test_pretty() -> None:
    done = run("--pretty", stdin='{"sessionId": "String", "purpose": "String"}')
    assert done.stdout == "{\n\tsessionId: String,\n\tpurpose: String\n}\n"


def test_bad_input_is_exit_1() -> None:
    assert run(stdin="{not json").returncode == 1
    bad = run("--decode", stdin="{a:1")
    assert bad.returncode == 1 and bad.stderr.startswith("pyjsv: error:") and bad.stderr.count("\n") == 1
