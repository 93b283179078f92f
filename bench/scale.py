"""Scaling benchmark: SQLite with one and two workers, PostgreSQL with one and two nodes, in one run.

    python bench/scale.py [--seconds 5] [--rounds 3] [--connections 64] [--sessions 64]

Targets, all on 127.0.0.1, each with its own freshly seeded database:

- `sqlite w1`: `serve --workers 1` on a SQLite file (the baseline every ratio is taken against);
- `sqlite w2`: `serve --workers 2` on another SQLite file;
- `pg 1 node`: one `serve` on a PostgreSQL database;
- `pg 2 nodes`: that node and a second `serve` on the same database. There is no load balancer:
  two wrk processes run at once, one per node, with half the connections each; req/s is their sum,
  p50 and p99 the slower node's.

PostgreSQL is a throwaway cluster this script starts (initdb + pg_ctl, as tests/pgcluster.py does)
with fsync on, as durable as SQLite's synchronous=FULL, and removes at the end. Each round
measures PATCH and then GET on every target, the target order reversed every other round; a
request goes to one of `--sessions` sessions in turn, so PATCHes do not all queue on one row. Figures
are medians over the rounds, ratios medians of per-round ratios to `sqlite w1` measured in the same
round. The goals are printed beside them; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from load import REPO, Result, free_port, lua, new_session, run_wrk, seed, server_process

sys.path.insert(0, str(REPO))  # for tests.pgcluster, the one way this project starts a cluster
from tests.pgcluster import PgCluster, create_database, find_bindir

BASELINE = "sqlite w1"
TARGETS = (BASELINE, "sqlite w2", "pg 1 node", "pg 2 nodes")
VERBS = ("PATCH", "GET")
#: (target, verb) → the least ratio to the baseline's req/s the gateway aims for on two cores.
GOALS = {("sqlite w2", "GET"): 1.3, ("pg 1 node", "PATCH"): 0.5, ("pg 1 node", "GET"): 0.4}
#: Bounds, so a mistyped argument cannot tie the machine up for hours.
MAX_SECONDS, MAX_ROUNDS, MAX_CONNECTIONS, MAX_SESSIONS = 60, 20, 512, 1000


@dataclass
class Target:
    name: str
    #: The node URLs a measurement drives at once (two for `pg 2 nodes`).
    bases: list[str]
    paths: list[str]


def cycling_script(method: str, body: str | None, headers: dict[str, str], paths: list[str]) -> str:
    """A wrk script that sends each request to the next of `paths` in turn."""
    listed = ", ".join(f'"{p}"' for p in paths)
    return lua(method, body, headers) + (
        f"local paths = {{{listed}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, paths[(n % #paths) + 1])\n"
        "end\n"
    )


def drive(target: Target, script: str, seconds: int, connections: int) -> Result:
    """All of the target's nodes at once, the connections split between them."""
    share = max(1, connections // len(target.bases))
    if len(target.bases) == 1:
        return run_wrk(target.bases[0] + target.paths[0], script, seconds, share)
    with ThreadPoolExecutor(len(target.bases)) as pool:
        results = list(pool.map(lambda base: run_wrk(base + target.paths[0], script, seconds, share), target.bases))
    return Result(
        sum(r.requests_per_second for r in results),
        max(r.p50_ms for r in results),
        max(r.p99_ms for r in results),
        sum(r.requests for r in results),
    )


def serve_command(db_url: str, port: int, *extra: str) -> list[str]:
    flags = ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "gateway", "--db", db_url, "serve", *flags, *extra]


def start(stack: ExitStack, db_url: str, *extra: str) -> str:
    """A `serve` on `db_url`, stopped (SIGTERM) when `stack` closes; its base URL."""
    port = free_port()
    stack.enter_context(server_process(serve_command(db_url, port, *extra), port))
    return f"http://127.0.0.1:{port}"


def bounded(limit: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=bounded(MAX_SECONDS), default=5)
    parser.add_argument("--rounds", type=bounded(MAX_ROUNDS), default=3)
    parser.add_argument("--connections", type=bounded(MAX_CONNECTIONS), default=64)
    parser.add_argument("--sessions", type=bounded(MAX_SESSIONS), default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin)")
    began = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        cluster = PgCluster(bindir)
        stack.callback(cluster.destroy)
        cluster.start(durable=True)
        pg_url = create_database(cluster.admin_url)
        db_urls = {"sqlite w1": f"sqlite:///{Path(tmp) / 'w1.db'}", "sqlite w2": f"sqlite:///{Path(tmp) / 'w2.db'}"}
        keys: dict[str, str] = {}
        accounts: dict[str, str] = {}
        for name, url in (*db_urls.items(), ("pg", pg_url)):
            accounts[name], keys[name] = seed(url)
        w1 = start(stack, db_urls["sqlite w1"], "--workers", "1")
        w2 = start(stack, db_urls["sqlite w2"], "--workers", "2")
        node_a, node_b = start(stack, pg_url), start(stack, pg_url)

        def sessions(base: str, store: str) -> list[str]:
            auth = {"Authorization": f"Bearer {keys[store]}", "Content-Type": "application/json"}
            return [f"/ai/sessions/{new_session(base, accounts[store], auth)}" for _ in range(args.sessions)]

        pg_paths = sessions(node_a, "pg")
        targets = [
            Target("sqlite w1", [w1], sessions(w1, "sqlite w1")),
            Target("sqlite w2", [w2], sessions(w2, "sqlite w2")),
            Target("pg 1 node", [node_a], pg_paths),
            Target("pg 2 nodes", [node_a, node_b], pg_paths),
        ]
        store_of = {"sqlite w1": "sqlite w1", "sqlite w2": "sqlite w2", "pg 1 node": "pg", "pg 2 nodes": "pg"}

        def script(target: Target, verb: str) -> str:
            auth = {"Authorization": f"Bearer {keys[store_of[target.name]]}"}
            if verb == "PATCH":
                headers = {**auth, "Content-Type": "application/json"}
                return cycling_script("PATCH", '{"purpose":"bench"}', headers, target.paths)
            return cycling_script("GET", None, auth, target.paths)

        for target in targets:  # warm-up: imports, pools, the first pages
            for verb in VERBS:
                drive(target, script(target, verb), 1, args.connections)
        samples: dict[tuple[str, str], list[Result]] = {}
        ratios: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for round_number in range(args.rounds):
            order = targets if round_number % 2 == 0 else targets[::-1]
            for verb in VERBS:
                measured = {t.name: drive(t, script(t, verb), args.seconds, args.connections) for t in order}
                base = measured[BASELINE]
                for name, result in measured.items():
                    samples.setdefault((name, verb), []).append(result)
                    ratios.setdefault((name, verb), []).append(
                        (result.requests_per_second / base.requests_per_second, result.p99_ms / base.p99_ms)
                    )

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s over {args.sessions} sessions, {args.rounds} alternating "
        f"rounds, medians, {os.cpu_count()} cores, {time.monotonic() - began:.0f} s; ratios to {BASELINE}"
    )
    print(f"{'target':<12}{'verb':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x req/s':>9}{'x p99':>8}  goal")
    for verb in VERBS:
        for name in TARGETS:
            runs = samples[name, verb]
            rps_ratio = statistics.median(r for r, _ in ratios[name, verb])
            p99_ratio = statistics.median(p for _, p in ratios[name, verb])
            goal = GOALS.get((name, verb))
            verdict = "" if goal is None else f"≥ {goal:.2f} {'met' if rps_ratio >= goal else 'missed'}"
            print(
                f"{name:<12}{verb:<7}"
                f"{statistics.median(r.requests_per_second for r in runs):>9.0f}"
                f"{statistics.median(r.p50_ms for r in runs):>9.2f}"
                f"{statistics.median(r.p99_ms for r in runs):>9.2f}"
                f"{rps_ratio:>9.2f}{p99_ratio:>8.2f}  {verdict}"
            )


if __name__ == "__main__":
    main()
