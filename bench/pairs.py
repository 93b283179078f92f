"""PATCH with each (request body format, answer format) pair, on one gateway, in one run.

    python bench/pairs.py [--seconds 4] [--rounds 7] [--pairs json/json xml/json json/xml xml/xml ...]

Tells a body reader's cost from an encoder's under load: every pair PATCHes the same session of the
same server (`evo-gateway serve`, SQLite, 1 session), the order reversed every other round. Prints
medians of req/s and server CPU µs per request, the median per-round req/s ratio to the first pair,
and the writes the SQLite writer committed per transaction (from /metrics), which a PATCH's CPU
cost follows. Nothing here asserts a speed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from load import free_port, lua, new_session, require_wrk, run_wrk, seed, server_process, wrk_parser
from matrix import FORMATS, PATCH_BODIES, Sample, commits, measure

DEFAULT_PAIRS = ["json/json", "xml/json", "json/xml", "xml/xml"]


def main() -> None:
    parser = wrk_parser(__doc__, seconds=4, rounds=7)
    parser.add_argument("--pairs", nargs="+", default=DEFAULT_PAIRS, help="BODY/ANSWER format pairs")
    args = parser.parse_args()
    require_wrk()
    pairs = [tuple(pair.split("/")) for pair in args.pairs]
    unknown = sorted({fmt for pair in pairs for fmt in pair} - set(FORMATS)) or [p for p in pairs if len(p) != 2]
    if unknown:
        raise SystemExit(f"not a BODY/ANSWER pair of {', '.join(FORMATS)}: {unknown}")
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'pairs.db'}"
        account, key = seed(db_url)
        port = free_port()
        command = [sys.executable, "-m", "gateway", "--db", db_url, "serve", "--log-level", "warning"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        with server_process(command, port) as process:
            base = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {key}"}
            session_id = new_session(base, account, {**auth, "Content-Type": "application/json"})
            url = f"{base}/ai/sessions/{session_id}"
            scripts = {
                pair: lua(
                    "PATCH",
                    PATCH_BODIES[pair[0]],
                    {**auth, "Content-Type": FORMATS[pair[0]], "Accept": FORMATS[pair[1]]},
                )
                for pair in pairs
            }
            for pair in pairs:  # warm-up
                run_wrk(url, scripts[pair], 1, args.connections)
            samples: dict[tuple[str, ...], list[Sample]] = {pair: [] for pair in pairs}
            ratios: dict[tuple[str, ...], list[float]] = {pair: [] for pair in pairs}
            for round_number in range(args.rounds):
                measured: dict[tuple[str, ...], Sample] = {}
                for pair in pairs if round_number % 2 == 0 else pairs[::-1]:
                    before = commits(base)
                    sample = measure(process.pid, url, scripts[pair], args.seconds, args.connections)
                    after = commits(base)
                    sample.writes_per_commit = (after[0] - before[0]) / max(after[1] - before[1], 1)
                    measured[pair] = sample
                first = measured[pairs[0]].result.requests_per_second
                for pair, sample in measured.items():
                    samples[pair].append(sample)
                    ratios[pair].append(sample.result.requests_per_second / first)
    print(f"PATCH, wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, medians")
    print(f"{'body/answer':<14}{'req/s':>9}{'CPU µs/req':>12}{'x first':>9}{'writes/commit':>15}")
    for pair in pairs:
        s = samples[pair]
        print(
            f"{'/'.join(pair):<14}"
            f"{statistics.median(x.result.requests_per_second for x in s):>9.0f}"
            f"{statistics.median(x.cpu_us_per_request for x in s):>12.1f}"
            f"{statistics.median(ratios[pair]):>9.2f}"
            f"{statistics.median(x.writes_per_commit or 0.0 for x in s):>15.0f}"
        )


if __name__ == "__main__":
    main()
