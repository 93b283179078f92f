"""Benchmark matrix: every operation in every format, against one baseline, in one run.

    python bench/matrix.py [--seconds 5] [--rounds 3] [--connections 64] [--only ROW ...]
                           [--server uvicorn|granian] [--threads]

Rows: PATCH, GET one, List of 100 and List of 1,000, each in JSON, JSV, XML and CSV, and an
auto-batch of 100 NewAISession in JSON and JSV. The baseline (the floor) is bench/baseline_app.py's
PATCH: bare Starlette + msgspec on an in-memory dict, on uvloop + httptools. The row "floor on
serve" is that app on `serve`'s own server stack (bench/baseline_served.py): it tells the server's
share of a row from the gateway's. `--server` picks `serve`'s HTTP server for the gateway and for
that row alike; the floor itself stays on uvicorn. Each round drives the baseline and every row once with wrk
(loopback), the order reversed every other round; figures are medians over the rounds, ratios
medians of per-round ratios. Server CPU per request comes from the
server process's utime + stime (/proc/<pid>/stat) over each run. For the writing rows, writes/commit
is how many writes the SQLite writer committed per transaction during the row (from /metrics):
a write's CPU cost depends on it. `--threads` adds a table of each row's CPU per thread of its
server (bench/threads.py): the event loop's user and kernel µs a request, the other busy threads',
and how often each slept. Nothing here asserts a speed.

Batches write 100 sessions per request, so they run on a gateway of their own: the lists keep
reading the same 1,000 sessions all run long.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from load import Result, cli, free_port, lua, new_session, require_wrk, run_wrk, seed, server_process, wrk_parser
from threads import ThreadShare, shares, stat_times, thread_times

from gateway.serving.server import SERVERS

_COMMITS = re.compile(r"^evo_gateway_sqlite_writer_batch_size_(sum|count) (\S+)$", re.M)
FLOORS = ("baseline", "served")
FORMATS = {
    "json": "application/json",
    "jsv": "application/jsv",
    "xml": "application/xml",
    "csv": "text/csv",
}
PATCH_BODIES = {
    "json": '{"purpose":"bench"}',
    "jsv": "{purpose:bench}",
    "xml": '<PatchAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI"><Purpose>bench</Purpose>'
    "</PatchAISession>",
    "csv": "Purpose\r\nbench\r\n",
}


def batch_body(fmt: str, account: str, count: int) -> str:
    if fmt == "json":
        return json.dumps([{"accountId": account, "purpose": "bench"}] * count, separators=(",", ":"))
    return "[" + ",".join([f"{{accountId:{account},purpose:bench}}"] * count) + "]"


@dataclass
class Row:
    name: str
    op: str
    fmt: str
    target: str  # "gateway", "writer" (the batch gateway), "baseline" or "served" (the floor on serve's stack)
    path: str
    script: str


@dataclass
class Sample:
    result: Result
    cpu_us_per_request: float
    #: For a writing row: the writes the SQLite writer committed per transaction (group commit).
    writes_per_commit: float | None = None
    #: With --threads: the server's busy threads during the run.
    threads: list[ThreadShare] | None = None


def cpu_seconds(pid: int) -> float:
    return sum(stat_times(Path(f"/proc/{pid}/stat").read_text()))


def measure(pid: int, url: str, script: str, seconds: int, connections: int, *, threads: bool = False) -> Sample:
    before, threads_before, started = cpu_seconds(pid), thread_times(pid) if threads else {}, time.monotonic()
    result = run_wrk(url, script, seconds, connections)
    spent = cpu_seconds(pid) - before
    sample = Sample(result, spent / max(result.requests, 1) * 1e6)
    if threads:  # wrk runs a little longer than asked: its cores are over the time it took
        elapsed = time.monotonic() - started
        sample.threads = shares(pid, threads_before, thread_times(pid), result.requests, elapsed)
    return sample


def commits(base: str) -> tuple[float, float]:
    """(writes, transactions) the gateway's SQLite writer has committed so far, from /metrics."""
    with urllib.request.urlopen(f"{base}/metrics") as response:
        text = response.read().decode()
    found = dict(_COMMITS.findall(text))
    return float(found["sum"]), float(found["count"])


def post(url: str, body: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        response.read()


def build_rows(account: str, session_id: str, key: str) -> list[Row]:
    auth = {"Authorization": f"Bearer {key}"}
    floor_script = lua("PATCH", PATCH_BODIES["json"], {"Content-Type": "application/json"})
    rows = [
        Row("floor PATCH", "PATCH", "json", "baseline", f"/ai/sessions/{session_id}", floor_script),
        # The same app and request on the gateway's server stack: what uvicorn as `serve` runs it costs.
        Row("floor on serve", "floor on serve", "json", "served", f"/ai/sessions/{session_id}", floor_script),
    ]
    for op, method, path in (
        ("PATCH", "PATCH", f"/ai/sessions/{session_id}"),
        ("GET", "GET", f"/ai/sessions/{session_id}"),
        ("List 100", "GET", "/ai/sessions?countPerPage=100"),
        ("List 1000", "GET", "/ai/sessions?countPerPage=1000"),
    ):
        for fmt, media_type in FORMATS.items():
            headers = {**auth, "Accept": media_type}
            body = None
            if method == "PATCH":
                headers["Content-Type"] = media_type
                body = PATCH_BODIES[fmt]
            rows.append(Row(f"{op} {fmt}", op, fmt, "gateway", path, lua(method, body, headers)))
    for fmt in ("json", "jsv"):
        headers = {**auth, "Accept": FORMATS[fmt], "Content-Type": FORMATS[fmt]}
        script = lua("POST", batch_body(fmt, account, 100), headers)
        # /api/ reads JSON; a legacy client names its format in the path.
        rows.append(Row(f"Batch 100 {fmt}", "Batch 100", fmt, "writer", f"/{fmt}/reply/NewAISession[]", script))
    return rows


def measure_row(
    row: Row, processes: dict[str, subprocess.Popen[bytes]], bases: dict[str, str], args: argparse.Namespace
) -> Sample:
    writes = row.op in ("PATCH", "Batch 100") and row.target in ("gateway", "writer")
    before = commits(bases[row.target]) if writes else None  # the scrapes fall outside the CPU count
    base = bases[row.target]
    pid = processes[row.target].pid
    sample = measure(pid, base + row.path, row.script, args.seconds, args.connections, threads=args.threads)
    if before is not None:
        after = commits(base)
        sample.writes_per_commit = (after[0] - before[0]) / max(after[1] - before[1], 1)
    return sample


def main() -> None:
    parser = wrk_parser(__doc__, seconds=5, rounds=3)
    parser.add_argument("--only", nargs="*", default=None, help="row names to run (default: all)")
    parser.add_argument("--server", choices=SERVERS, default="uvicorn", help="serve --server for the gateway")
    parser.add_argument("--threads", action="store_true", help="also print each row's CPU per server thread")
    args = parser.parse_args()
    require_wrk()
    started = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp:
        db_url, writer_url = f"sqlite:///{Path(tmp) / 'bench.db'}", f"sqlite:///{Path(tmp) / 'writer.db'}"
        account, key = seed(db_url)
        writer_account = cli(writer_url, "accounts", "add", "Acme")
        cli(writer_url, "users", "add", "admin", "--role", "SystemAdministrator")
        # The same key text cannot be chosen, so the batch gateway's admin gets its own key.
        writer_key = cli(writer_url, "apikeys", "create", "admin")
        flags = ["--log-level", "warning", "--server", args.server, "--host", "127.0.0.1", "--port"]
        ports = {"gateway": free_port(), "writer": free_port(), "baseline": free_port(), "served": free_port()}
        commands = {
            "gateway": [sys.executable, "-m", "gateway", "--db", db_url, "serve", *flags, str(ports["gateway"])],
            "writer": [sys.executable, "-m", "gateway", "--db", writer_url, "serve", *flags, str(ports["writer"])],
            "baseline": [
                *(sys.executable, "-m", "uvicorn", "baseline_app:app", "--loop", "uvloop", "--http", "httptools"),
                *("--log-level", "warning", "--host", "127.0.0.1", "--port"),
                str(ports["baseline"]),
            ],
            "served": [
                *(sys.executable, str(Path(__file__).with_name("baseline_served.py"))),
                *(str(ports["served"]), args.server),
            ],
        }
        with (
            server_process(commands["gateway"], ports["gateway"]) as gateway,
            server_process(commands["writer"], ports["writer"]) as writer,
            server_process(commands["baseline"], ports["baseline"]) as baseline,
            server_process(commands["served"], ports["served"]) as served,
        ):
            processes = {"gateway": gateway, "writer": writer, "baseline": baseline, "served": served}
            bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            json_headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for _ in range(10):  # 1,000 sessions for the lists to read
                post(f"{bases['gateway']}/api/NewAISession[]", batch_body("json", account, 100), json_headers)
            session_id = new_session(bases["gateway"], account, json_headers)
            rows = build_rows(account, session_id, key)
            for row in rows:
                if row.target == "writer":
                    row.script = row.script.replace(account, writer_account).replace(key, writer_key)
            if args.only:
                rows = [r for r in rows if r.target in ("baseline", "served") or r.name in args.only]
            for row in rows:  # warm-up: imports, per-type plans, the first WAL pages
                run_wrk(bases[row.target] + row.path, row.script, 1, args.connections)
            samples: dict[str, list[Sample]] = {row.name: [] for row in rows}
            ratios: dict[str, list[tuple[float, float]]] = {row.name: [] for row in rows}
            for round_number in range(args.rounds):
                order = rows if round_number % 2 == 0 else rows[::-1]
                measured = {row.name: measure_row(row, processes, bases, args) for row in order}
                floor = measured["floor PATCH"].result.requests_per_second
                for row in rows:
                    sample = measured[row.name]
                    samples[row.name].append(sample)
                    own_json = measured.get(f"{row.op} json", sample).result.requests_per_second
                    rps = sample.result.requests_per_second
                    ratios[row.name].append((rps / floor, rps / own_json))

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, medians, "
        f"{os.cpu_count()} cores, {time.monotonic() - started:.0f} s"
    )
    header = f"{'row':<16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}{'x floor':>9}{'x JSON':>8}"
    header += f"{'writes/commit':>15}"
    print(header)
    for row in rows:
        s = samples[row.name]
        print(
            f"{row.name:<16}"
            f"{statistics.median(x.result.requests_per_second for x in s):>9.0f}"
            f"{statistics.median(x.result.p50_ms for x in s):>9.2f}"
            f"{statistics.median(x.result.p99_ms for x in s):>9.2f}"
            f"{statistics.median(x.cpu_us_per_request for x in s):>12.0f}"
            f"{statistics.median(r for r, _ in ratios[row.name]):>9.2f}"
            # The floors have no JSON row of their own to compare with.
            + (f"{statistics.median(j for _, j in ratios[row.name]):>8.2f}" if row.target not in FLOORS else "")
            + (f"{statistics.median(per_commit):>15.0f}" if (per_commit := _per_commit(s)) else "")
        )

    if args.threads:
        print_threads(rows, samples)


def print_threads(rows: list[Row], samples: dict[str, list[Sample]]) -> None:
    """Each row's busy threads, medians over the rounds each was busy in (threads by their place)."""
    print()
    print(f"{'thread':<10}{'row':<16}{'user µs':>9}{'system µs':>11}{'sleeps/req':>12}{'cores':>7}")
    for row in rows:
        by_label: dict[str, list[ThreadShare]] = {}
        for sample in samples[row.name]:
            for share in sample.threads or []:
                by_label.setdefault(share.label, []).append(share)
        for label, found in by_label.items():
            print(
                f"{label:<10}{row.name:<16}"
                f"{statistics.median(x.user_us for x in found):>9.1f}"
                f"{statistics.median(x.system_us for x in found):>11.1f}"
                f"{statistics.median(x.sleeps for x in found):>12.2f}"
                f"{statistics.median(x.cores for x in found):>7.2f}"
            )


def _per_commit(samples: list[Sample]) -> list[float]:
    return [x.writes_per_commit for x in samples if x.writes_per_commit is not None]


if __name__ == "__main__":
    main()
