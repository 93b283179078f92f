"""Load runner: the real gateway against a bare Starlette + msgspec baseline, in one run.

    python bench/load.py [--seconds 10] [--rounds 3] [--connections 32]

Seeds a fresh SQLite file with the CLI, starts `evo-gateway serve` and then the baseline (same
uvicorn settings, one process each, one after the other), drives each with `wrk` (Debian package
`wrk`) and prints req/s, p50 and p99 with the ratio to the baseline. Each figure is the median of
`--rounds` runs because the machine is noisy. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs"), str(REPO / "bench")])}


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(db_url: str, *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    return out.stdout.strip()


@contextmanager
def serving(command: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"server did not start: {' '.join(command)}") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, script: str, seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(lua.name)
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw error responses:\n{out}")
    latencies = {p: float(v) * _SCALE[unit] for p, v, unit in _LATENCY.findall(out)}
    rps = _RPS.search(out)
    assert rps is not None, out
    return Result(float(rps.group(1)), latencies["50"], latencies["99"])


def lua(method: str, body: str | None, headers: dict[str, str]) -> str:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def median(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.requests_per_second for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        account = cli(db_url, "accounts", "add", "Acme")
        cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
        key = cli(db_url, "apikeys", "create", "admin")
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        # Same uvicorn settings for both: warnings only, so neither pays for access-log lines.
        uvicorn_flags = ["--log-level", "warning", "--host", "127.0.0.1", "--port"]

        results: dict[tuple[str, str], Result] = {}
        port = free_port()
        gateway_cmd = [sys.executable, "-m", "gateway", "--db", db_url, "serve", *uvicorn_flags, str(port)]
        with serving(gateway_cmd, port) as base:
            request = urllib.request.Request(
                f"{base}/ai/sessions", data=json.dumps({"accountId": account}).encode(), headers=auth, method="POST"
            )
            with urllib.request.urlopen(request) as response:
                session_id = json.load(response)["id"]
            url = f"{base}/ai/sessions/{session_id}"
            patch = lua("PATCH", '{"purpose":"bench"}', auth)
            get = lua("GET", None, {"Authorization": auth["Authorization"]})
            results["gateway", "PATCH"] = median(
                [run_wrk(url, patch, args.seconds, args.connections) for _ in range(args.rounds)]
            )
            results["gateway", "GET"] = median(
                [run_wrk(url, get, args.seconds, args.connections) for _ in range(args.rounds)]
            )

        port = free_port()
        baseline_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "baseline_app:app",
            *uvicorn_flags,
            str(port),
        ]
        with serving(baseline_cmd, port) as base:
            url = f"{base}/ai/sessions/{session_id}"
            results["baseline", "PATCH"] = median(
                [run_wrk(url, patch, args.seconds, args.connections) for _ in range(args.rounds)]
            )
            results["baseline", "GET"] = median(
                [run_wrk(url, get, args.seconds, args.connections) for _ in range(args.rounds)]
            )

    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, median of {args.rounds} rounds, {os.cpu_count()} cores")
    print(f"{'target':<10}{'verb':<7}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'req/s ratio':>13}{'p99 ratio':>11}")
    for verb in ("PATCH", "GET"):
        base_result = results["baseline", verb]
        for target in ("baseline", "gateway"):
            r = results[target, verb]
            rps_ratio = r.requests_per_second / base_result.requests_per_second
            p99_ratio = r.p99_ms / base_result.p99_ms
            print(
                f"{target:<10}{verb:<7}{r.requests_per_second:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
                f"{rps_ratio:>13.2f}{p99_ratio:>11.2f}"
            )


if __name__ == "__main__":
    main()
