"""Ordinary GET latency with and without 200 slowloris connections (loopback, bounded).

    python bench/slow_clients.py [--slow 200] [--requests 200]

Seeds a fresh SQLite file, starts `evo-gateway serve` with its default limits, measures sequential
GET /ai/sessions latencies, then opens the slow connections (each sending one header byte every
0.5 s), measures again, and prints p50/p99 of both plus how many slow connections the server had
closed by the end (the header timeout is 5 s by default).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import cli, cli_env, free_port, serve_command  # noqa: E402


def _latencies(client: httpx.Client, url: str, key: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        assert client.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{name:<22} p50 {statistics.median(ordered):6.2f} ms   p99 {p99:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'gw.db'}"
        cli(db, "users", "add", "admin", "--role", "SystemAdministrator")
        key = cli(db, "apikeys", "create", "admin")
        port = free_port()
        process = subprocess.Popen(
            [*serve_command(db, port), "--access-log", "off"],
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/ai/sessions"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            with httpx.Client(timeout=10) as client:
                quiet = _latencies(client, url, key, args.requests)
                opened = time.monotonic()
                slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(args.slow)]
                for conn in slow:
                    conn.setblocking(False)
                    conn.send(b"GET /ai/sessions HTTP/1.1\r\nHost: h\r\n")
                loaded: list[float] = []
                deadline = time.monotonic() + 4  # within the default 5 s header timeout
                while time.monotonic() < deadline and len(loaded) < args.requests:
                    loaded += _latencies(client, url, key, 10)
                    for conn in slow:
                        with contextlib.suppress(OSError):
                            conn.send(b"X")
                time.sleep(max(0.0, opened + 7 - time.monotonic()))
                closed = 0
                for conn in slow:
                    try:
                        closed += conn.recv(1) == b""
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed += 1
                    conn.close()
            print(_summary("quiet", quiet))
            print(_summary(f"{args.slow} slow clients", loaded))
            print(f"slow connections closed by the server after ~7 s: {closed}/{args.slow}")
        finally:
            process.terminate()
            process.wait(timeout=40)


if __name__ == "__main__":
    main()
