"""A/B: this checkout's gateway against the same gateway at another revision, in one run.

    python bench/ab.py [--rev HEAD] [--seconds 3] [--rounds 5] [--rows "GET json" "List 100 json" ...]
                       [--serve-a "--loop uvloop"] [--serve-b "..."]

For measuring one change alone: the working tree (A) and `--rev` (B, checked out into a temporary
git worktree) each serve their own SQLite file seeded the same way (1,001 sessions), and every
row of bench/matrix.py that is named runs against both, the order reversed every other round.
Both files are made by this checkout's CLI, so B must know this checkout's database schema.
Prints req/s, server CPU µs per request and p99 for A and B (medians) and the median of the
per-round A/B req/s ratios. `--serve-a`/`--serve-b` add `serve` options to one side: with `--rev
HEAD` and a clean tree, that measures an option alone (an event loop, say). Two identical trees
measure 0.96 to 1.04 on a quiet 2-core VM: read less into a difference than that. Nothing here
asserts a speed.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from load import REPO, free_port, new_session, require_wrk, run_wrk, seed, server_process, wrk_parser
from matrix import Row, Sample, batch_body, build_rows, measure, post

DEFAULT_ROWS = ["GET json", "PATCH json", "List 100 json"]


def tree_env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(tree / "codecs"), str(REPO / "bench")])}


def main() -> None:
    parser = wrk_parser(__doc__, seconds=3, rounds=5)
    parser.add_argument("--rev", default="HEAD", help="the revision to compare with (default: HEAD)")
    parser.add_argument("--rows", nargs="+", default=DEFAULT_ROWS, help="bench/matrix.py row names")
    parser.add_argument("--serve-a", default="", help="extra `serve` options for A (the working tree)")
    parser.add_argument("--serve-b", default="", help="extra `serve` options for B (--rev)")
    args = parser.parse_args()
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        base_tree = Path(tmp) / "b"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.rev], check=True)
        stack.callback(subprocess.run, ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)])
        trees = {"A": REPO, "B": base_tree}
        serve_options = {"A": shlex.split(args.serve_a), "B": shlex.split(args.serve_b)}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        rows: dict[str, dict[str, Row]] = {}
        bases: dict[str, str] = {}
        for name, tree in trees.items():
            db_url = f"sqlite:///{Path(tmp) / f'{name}.db'}"
            account, key = seed(db_url)
            port = free_port()
            command = [sys.executable, "-m", "gateway", "--db", db_url, "serve", "--log-level", "warning"]
            command += ["--host", "127.0.0.1", "--port", str(port), *serve_options[name]]
            processes[name] = stack.enter_context(server_process(command, port, tree_env(tree)))
            bases[name] = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for _ in range(10):
                post(f"{bases[name]}/api/NewAISession[]", batch_body("json", account, 100), headers)
            session_id = new_session(bases[name], account, headers)
            known = {row.name: row for row in build_rows(account, session_id, key) if row.target == "gateway"}
            unknown = [r for r in args.rows if r not in known]
            if unknown:
                raise SystemExit(f"no such row: {', '.join(unknown)} (rows: {', '.join(known)})")
            rows[name] = {r: known[r] for r in args.rows}
        pairs = [(row, name) for row in args.rows for name in trees]
        for row, name in pairs:  # warm-up
            run_wrk(bases[name] + rows[name][row].path, rows[name][row].script, 1, args.connections)
        samples: dict[tuple[str, str], list[Sample]] = {pair: [] for pair in pairs}
        for round_number in range(args.rounds):
            for row, name in pairs if round_number % 2 == 0 else pairs[::-1]:
                spec = rows[name][row]
                url = bases[name] + spec.path
                samples[(row, name)].append(
                    measure(processes[name].pid, url, spec.script, args.seconds, args.connections)
                )
    a_name = f"the working tree {args.serve_a}".rstrip()
    b_name = f"{args.rev} {args.serve_b}".rstrip()
    print(f"A: {a_name}; B: {b_name}. wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds")
    print(f"{'row':<16}{'A req/s':>9}{'A µs':>7}{'A p99':>7}{'B req/s':>9}{'B µs':>7}{'B p99':>7}{'A/B':>7}")
    for row in args.rows:
        a, b = samples[(row, "A")], samples[(row, "B")]
        ratio = statistics.median(
            x.result.requests_per_second / y.result.requests_per_second for x, y in zip(a, b, strict=True)
        )
        print(
            f"{row:<16}"
            f"{statistics.median(x.result.requests_per_second for x in a):>9.0f}"
            f"{statistics.median(x.cpu_us_per_request for x in a):>7.0f}"
            f"{statistics.median(x.result.p99_ms for x in a):>7.1f}"
            f"{statistics.median(x.result.requests_per_second for x in b):>9.0f}"
            f"{statistics.median(x.cpu_us_per_request for x in b):>7.0f}"
            f"{statistics.median(x.result.p99_ms for x in b):>7.1f}"
            f"{ratio:>7.3f}"
        )


if __name__ == "__main__":
    main()
