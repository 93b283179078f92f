"""Abuse probes against a real `evo-gateway serve` on loopback; prints figures, asserts nothing.

    python bench/abuse.py [--flood 100] [--samples 15] [--sessions 3000] [--only auth-timing,...]

Seeds a fresh SQLite file with the CLI, starts `serve` once, and runs each probe in turn: sign-in
timing, a hashing flood, amplification (auto-batches, long strings), clients that hang up on full
lists, anonymous bodies built to be slow to parse, and finally the memory left after all of them.
Every probe is bounded in request count and time and talks to 127.0.0.1 only. A probe is a function
`(Target) -> dict[str, object]` listed in PROBES.
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
import msgspec

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-admin-password"


@dataclass
class Target:
    base_url: str
    pid: int
    admin_key: str
    args: argparse.Namespace
    account_id: str
    log_path: Path
    #: RSS once the server has started and answered one request of each kind.
    warm_rss_mb: float = 0.0
    #: The highest RSS any probe saw.
    peak_rss_mb: float = 0.0

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def sample_rss(self) -> float:
        rss = rss_mb(self.pid)
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        return rss


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


def probe_amplification(target: Target) -> dict[str, object]:
    """The 5,000-GetAISession batch on a session with the longest purpose allowed (#3), the largest
    batch allowed, a purpose one character too long, and the peak RSS while they run."""
    out: dict[str, object] = {}
    with httpx.Client(base_url=target.base_url, timeout=120, headers=target.admin) as client:
        r = client.post("/ai/sessions", json={"accountId": target.account_id, "purpose": "x" * 10_001})
        out["purpose 10,001 chars"] = f"{r.status_code} {r.json()['responseStatus']['errorCode']}"
        made = client.post("/ai/sessions", json={"accountId": target.account_id, "purpose": "x" * 10_000}).json()
        for count in (5000, 1000):
            body = msgspec.json.encode([{"sessionId": made["id"]}] * count)
            start = time.perf_counter()
            with client.stream("POST", "/json/reply/GetAISession[]", content=body) as r:
                size = sum(len(chunk) for chunk in r.iter_bytes())
            seconds = time.perf_counter() - start
            out[f"batch of {count}"] = f"{r.status_code}, {size / 1e6:.2f} MB in {seconds:.2f} s"
            target.sample_rss()
    out["peak RSS MB"] = round(target.peak_rss_mb, 1)
    return out


def probe_disconnects(target: Target) -> dict[str, object]:
    """50 clients ask for `?all=true&format=xml` and hang up (#4): the next GET's latency, and how
    many of the 50 the access log shows abandoned (status 0) rather than answered."""
    port = int(target.base_url.rsplit(":", 1)[1])
    request = (
        "GET /ai/sessions?all=true&format=xml HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {target.admin_key}\r\n\r\n"
    ).encode()
    with httpx.Client(base_url=target.base_url, timeout=60, headers=target.admin) as client:
        start = time.perf_counter()
        full = client.get("/ai/sessions?all=true&format=xml")
        one_full = time.perf_counter() - start
        sockets = []
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(request)
            sockets.append(s)
        time.sleep(0.05)
        for s in sockets:
            s.close()
        start = time.perf_counter()
        r = client.get("/ai/sessions?countPerPage=1")
        waited = time.perf_counter() - start
        target.sample_rss()
    time.sleep(2)  # let the access log catch up with the abandoned requests
    entries = [line for line in target.log_path.read_text().splitlines() if "?all=true&format=xml" in line]
    statuses = [msgspec.json.decode(line)["status"] for line in entries if line.startswith("{")]
    return {
        "one full list": f"{len(full.content) / 1e6:.2f} MB XML in {one_full * 1000:.0f} ms",
        "next GET ms": round(waited * 1000, 1),
        "next GET status": r.status_code,
        "abandoned (status 0)": statuses.count(0),
        "answered (200)": statuses.count(200) - 1,  # less the one full list above
    }


def _slow_bodies() -> dict[str, tuple[str, bytes]]:
    n = 60_000
    return {
        "csv 60k columns": ("text/csv", b",".join(b"c%d" % i for i in range(n)) + b"\r\n"),
        "xml 60k elements": ("application/xml", b"<Authenticate>" + b"<A/>" * n + b"</Authenticate>"),
        "jsv 60k keys": ("application/jsv", b"{" + b",".join(b"k%d:1" % i for i in range(n)) + b"}"),
        "form 60k fields": ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(n))),
    }


def probe_preauth(target: Target) -> dict[str, object]:
    """Anonymous `Authenticate` bodies built to be slow to parse (#5): status, size and time to the
    answer; then the same bodies with an API key (the general limit applies, they are decoded)."""
    out: dict[str, object] = {}
    with httpx.Client(base_url=target.base_url, timeout=60) as client:
        for label, (content_type, body) in _slow_bodies().items():
            for who, headers in (("anonymous", {}), ("API key", target.admin)):
                start = time.perf_counter()
                r = client.post("/auth/credentials", content=body, headers={"Content-Type": content_type, **headers})
                ms = (time.perf_counter() - start) * 1000
                out[f"{label} ({len(body) // 1024} KiB, {who})"] = f"{r.status_code} in {ms:.1f} ms"
    target.sample_rss()
    return out


def probe_memory(target: Target) -> dict[str, object]:
    """RSS after every probe above (#7), against the warm RSS measured right after start."""
    time.sleep(1)
    after = rss_mb(target.pid)
    return {
        "warm RSS MB": round(target.warm_rss_mb, 1),
        "peak RSS MB": round(target.peak_rss_mb, 1),
        "RSS after the run MB": round(after, 1),
        "after / warm": round(after / target.warm_rss_mb, 2),
    }


PROBES: dict[str, Callable[[Target], dict[str, object]]] = {
    "auth-timing": probe_auth_timing,
    "hash-flood": probe_hash_flood,
    "amplification": probe_amplification,
    "disconnects": probe_disconnects,
    "preauth": probe_preauth,
    "memory": probe_memory,
}


def seed_sessions(target: Target, count: int) -> None:
    """`count` sessions with 100-character purposes, by auto-batches of 1,000 (the default limit)."""
    with httpx.Client(base_url=target.base_url, timeout=120, headers=target.admin) as client:
        for start in range(0, count, 1000):
            batch = [
                {"accountId": target.account_id, "purpose": f"{i:>10}" * 10}
                for i in range(start, min(count, start + 1000))
            ]
            r = client.post("/json/reply/NewAISession[]", json=batch)
            assert r.status_code == 200, r.text[:200]


def warm_up(target: Target) -> None:
    """One request of each kind, so the warm RSS includes imported code and first-use caches."""
    with httpx.Client(base_url=target.base_url, timeout=60, headers=target.admin) as client:
        for fmt in ("json", "xml", "jsv", "csv"):
            client.get(f"/ai/sessions?all=true&format={fmt}")
        client.post("/auth/credentials", json={"userName": "admin", "password": PASSWORD})
    target.warm_rss_mb = target.peak_rss_mb = rss_mb(target.pid)


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
    parser.add_argument("--sessions", type=int, default=3000, help="sessions to seed (max 20000)")
    parser.add_argument("--only", default=",".join(PROBES), help="comma-separated probe names")
    args = parser.parse_args()
    args.flood, args.samples, args.sessions = min(args.flood, 500), min(args.samples, 50), min(args.sessions, 20_000)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=PASSWORD + "\n")
        key = cli(db_url, "apikeys", "create", "admin")
        account_id = cli(db_url, "accounts", "add", "Acme Voice")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
        command = [sys.executable, "-m", "gateway", "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)]
        # The access log as JSON lines: the disconnect probe counts abandoned requests in it.
        command += ["--access-log", "json"]
        log_path = Path(tmp) / "serve.log"
        with open(log_path, "w") as log:
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
            target = Target(base_url, server.pid, key, args, account_id, log_path)
            seed_sessions(target, args.sessions)
            warm_up(target)
            for name in args.only.split(","):
                print(f"{name}: {PROBES[name](target)}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
