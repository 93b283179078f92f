"""Abuse probes against a real `evo-gateway serve` on loopback; prints figures, asserts nothing.

    python bench/abuse.py [--flood 100] [--samples 15] [--only auth-timing,hash-flood]

Seeds a fresh SQLite file with the CLI, starts `serve` once, and runs each probe in turn. Every
probe is bounded in request count and time and talks to 127.0.0.1 only. A probe is a function
`(Target) -> dict[str, object]` listed in PROBES; add new ones there (batch size, disconnects,
slow clients, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-admin-password"


@dataclass
class Target:
    base_url: str
    pid: int
    admin_key: str
    args: argparse.Namespace


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def probe_auth_timing(target: Target) -> dict[str, object]:
    """Median sign-in time for a missing user against a real user with a wrong password (#14.1).

    Names and addresses are varied so the throttle never answers in place of the hash."""
    times: dict[str, list[float]] = {"missing user": [], "wrong password": []}
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        for i in range(target.args.samples):
            for label, user in (("missing user", f"ghost{i}"), ("wrong password", "admin")):
                start = time.perf_counter()
                r = client.post("/auth/credentials", json={"userName": user, "password": f"wrong{i}"})
                times[label].append(time.perf_counter() - start)
                if r.status_code == 429:
                    return {"note": "throttled: lower --samples below the per-user limit"}
    medians = {label: statistics.median(values) * 1000 for label, values in times.items()}
    return {f"{label} median ms": round(ms, 1) for label, ms in medians.items()} | {
        "ratio": round(medians["wrong password"] / medians["missing user"], 2)
    }


def probe_hash_flood(target: Target) -> dict[str, object]:
    """RSS and API-key GET latency while N concurrent wrong-password Basic requests arrive (#14.2)."""

    async def run() -> dict[str, object]:
        idle = rss_mb(target.pid)
        peak = idle
        limits = httpx.Limits(max_connections=target.args.flood + 8)
        async with httpx.AsyncClient(base_url=target.base_url, timeout=120, limits=limits) as client:
            statuses: list[int] = []

            async def wrong(i: int) -> None:
                r = await client.get("/ai/sessions", headers=basic(f"flood{i}", "wrong"))
                statuses.append(r.status_code)

            flood = [asyncio.create_task(wrong(i)) for i in range(target.args.flood)]
            latencies: list[float] = []
            while not all(task.done() for task in flood):
                peak = max(peak, rss_mb(target.pid))
                start = time.perf_counter()
                r = await client.get("/ai/sessions", headers={"Authorization": f"Bearer {target.admin_key}"})
                latencies.append(time.perf_counter() - start)
                assert r.status_code == 200, r.status_code
                await asyncio.sleep(0.05)
            await asyncio.gather(*flood)
        return {
            "requests": len(statuses),
            "401 (hashed)": statuses.count(401),
            "429 (throttled)": statuses.count(429),
            "idle RSS MB": round(idle, 1),
            "peak RSS MB": round(peak, 1),
            "GETs during flood": len(latencies),
            "GET median ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "GET max ms": round(max(latencies) * 1000, 1) if latencies else None,
        }

    return asyncio.run(run())


PROBES: dict[str, Callable[[Target], dict[str, object]]] = {
    "auth-timing": probe_auth_timing,
    "hash-flood": probe_hash_flood,
}


def cli(db_url: str, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=100, help="concurrent wrong-password requests (max 500)")
    parser.add_argument("--samples", type=int, default=9, help="sign-ins per timing case (max 50)")
    parser.add_argument("--only", default=",".join(PROBES), help="comma-separated probe names")
    args = parser.parse_args()
    args.flood, args.samples = min(args.flood, 500), min(args.samples, 50)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=PASSWORD + "\n")
        key = cli(db_url, "apikeys", "create", "admin")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
        command = [sys.executable, "-m", "gateway", "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)]
        with open(Path(tmp) / "serve.log", "w") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base_url}/ai/sessions", timeout=1)
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("server did not start") from None
                    time.sleep(0.1)
            target = Target(base_url, server.pid, key, args)
            for name in args.only.split(","):
                print(f"{name}: {PROBES[name](target)}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
