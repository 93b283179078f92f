"""Load runner: the real gateway against a bare Starlette + msgspec baseline, in one run.

    python bench/load.py [--seconds 10] [--rounds 3] [--connections 32]

Seeds a fresh SQLite file with the CLI, starts `evo-gateway serve` and the baseline (same uvicorn
settings, one process each), drives them in turn with `wrk` (Debian package `wrk`), alternating
round by round, and prints req/s, p50 and p99 with the ratio to the baseline. Each figure is a
median over `--rounds` because the machine is noisy; the ratios are medians of per-round ratios,
each taken back to back. Nothing here asserts a speed.
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
    requests: int = 0


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
    with server_process(command, port):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def server_process(
    command: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The server `command` starts (in `env`, default this checkout's), once it accepts connections
    on `port`; stopped with SIGTERM."""
    process = subprocess.Popen(command, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.M)
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_parser(doc: str | None, *, seconds: int, rounds: int, connections: int = 64) -> argparse.ArgumentParser:
    """The options every wrk runner here takes, with its own defaults."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--connections", type=int, default=connections)
    return parser


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")


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
    rps, requests = _RPS.search(out), _REQUESTS.search(out)
    assert rps is not None and requests is not None, out
    return Result(float(rps.group(1)), latencies["50"], latencies["99"], int(requests.group(1)))


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


def seed(db_url: str) -> tuple[str, str]:
    """A fresh database with an account and an admin; returns (account id, API key)."""
    account = cli(db_url, "accounts", "add", "Acme")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    return account, cli(db_url, "apikeys", "create", "admin")


def new_session(base: str, account: str, auth: dict[str, str]) -> str:
    body = json.dumps({"accountId": account}).encode()
    request = urllib.request.Request(f"{base}/ai/sessions", data=body, headers=auth, method="POST")
    with urllib.request.urlopen(request) as response:
        return str(json.load(response)["id"])


def main() -> None:
    parser = wrk_parser(__doc__, seconds=10, rounds=3, connections=32)
    args = parser.parse_args()
    require_wrk()

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        account, key = seed(db_url)
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        # Same uvicorn settings for both: warnings only, so neither pays for access-log lines.
        uvicorn_flags = ["--log-level", "warning", "--host", "127.0.0.1", "--port"]
        gateway_port, baseline_port = free_port(), free_port()
        gateway_cmd = [sys.executable, "-m", "gateway", "--db", db_url, "serve", *uvicorn_flags, str(gateway_port)]
        baseline_cmd = [sys.executable, "-m", "uvicorn", "baseline_app:app", *uvicorn_flags, str(baseline_port)]
        scripts = {
            "PATCH": lua("PATCH", '{"purpose":"bench"}', auth),
            "GET": lua("GET", None, {"Authorization": auth["Authorization"]}),
        }
        samples: dict[tuple[str, str], list[Result]] = {}
        ratios: dict[str, list[tuple[float, float]]] = {verb: [] for verb in scripts}
        # Both servers run for the whole measurement but only one is driven at a time, and the two
        # alternate round by round (order flipped each round), so drift on a noisy machine lands on
        # both sides of every ratio instead of on whichever target happened to run second.
        with serving(gateway_cmd, gateway_port) as gateway, serving(baseline_cmd, baseline_port) as baseline:
            session_id = new_session(gateway, account, auth)
            path = f"/ai/sessions/{session_id}"
            urls = {"gateway": gateway + path, "baseline": baseline + path}
            for url in urls.values():  # warm-up: imports, caches, the first WAL pages
                run_wrk(url, scripts["GET"], 1, args.connections)
            for round_number in range(args.rounds):
                order = ["baseline", "gateway"] if round_number % 2 == 0 else ["gateway", "baseline"]
                for verb, script in scripts.items():
                    measured = {t: run_wrk(urls[t], script, args.seconds, args.connections) for t in order}
                    for target, result in measured.items():
                        samples.setdefault((target, verb), []).append(result)
                    base, gate = measured["baseline"], measured["gateway"]
                    rps_ratio = gate.requests_per_second / base.requests_per_second
                    ratios[verb].append((rps_ratio, gate.p99_ms / base.p99_ms))

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, medians, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'target':<10}{'verb':<7}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'req/s ratio':>13}{'p99 ratio':>11}")
    for verb in scripts:
        for target in ("baseline", "gateway"):
            r = median(samples[target, verb])
            if target == "baseline":
                rps_ratio, p99_ratio = 1.0, 1.0
            else:  # the median of the per-round ratios, each measured back to back
                rps_ratio = statistics.median(rps for rps, _ in ratios[verb])
                p99_ratio = statistics.median(p99 for _, p99 in ratios[verb])
            print(
                f"{target:<10}{verb:<7}{r.requests_per_second:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
                f"{rps_ratio:>13.2f}{p99_ratio:>11.2f}"
            )


if __name__ == "__main__":
    main()
