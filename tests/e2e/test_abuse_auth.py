"""Sign-in under abuse against a real `serve` process: memory stays bounded under a hashing flood,
API-key requests are still answered, and throttling answers 429 with Retry-After (docs/security.md)."""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import ADMIN_PASSWORD, cli
from .served import serving


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    """(base URL, pid, admin API key) of a fresh `serve` process. Its per-address allowance is
    raised so that the flood below measures the hashing bound, not the address throttle."""
    tmp_path = tmp_path_factory.mktemp("abuse")
    db_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=ADMIN_PASSWORD)
    key = cli(db_url, "apikeys", "create", "admin")
    with serving(tmp_path, db_url, "--auth-address-failures", "1000") as served:
        yield served.base_url, served.process.pid, key


def test_100_concurrent_wrong_passwords_keep_rss_within_100_mb_and_api_keys_answer(
    server: tuple[str, int, str],
) -> None:
    base_url, pid, key = server

    async def run() -> tuple[float, float, list[int], list[int]]:
        idle = peak = rss_mb(pid)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=httpx.Limits(max_connections=120)) as c:
            # Distinct names, so the per-user throttle does not stand in for the hashing bound.
            flood = [asyncio.create_task(c.get("/ai/sessions", headers=basic(f"u{i}", "wrong"))) for i in range(100)]
            keyed: list[int] = []
            while not all(task.done() for task in flood):
                peak = max(peak, rss_mb(pid))
                r = await c.get("/ai/sessions", headers={"X-Api-Key": key})
                keyed.append(r.status_code)
                await asyncio.sleep(0.02)
            answers = [task.result().status_code for task in flood]
        return idle, peak, answers, keyed

    idle, peak, answers, keyed = asyncio.run(run())
    # Every one was really hashed (distinct names, a raised address allowance): unbounded, ~3 GB.
    assert answers == [401] * 100
    assert peak - idle < 100, (idle, peak)
    # API-key requests were answered while the hashes queued (no wall-clock bound: counts only).
    assert keyed and set(keyed) == {200}


def test_repeated_wrong_passwords_for_one_user_are_throttled(server: tuple[str, int, str]) -> None:
    base_url, _, _ = server
    with httpx.Client(base_url=base_url, timeout=30) as c:
        body = {"userName": "admin", "password": "wrong"}
        statuses = [c.post("/auth/credentials", json=body).status_code for _ in range(11)]
        assert statuses == [401] * 10 + [429]
        r = c.post("/auth/credentials?format=xml", json={"userName": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert b"<ErrorCode>TooManyRequests</ErrorCode>" in r.content
        # Another user is not affected.
        assert c.post("/auth/credentials", json={"userName": "ghost", "password": "x"}).status_code == 401


def test_the_address_throttle_follows_its_environment_variable(tmp_path: Path) -> None:
    """Sign-in attempts from one address, each for another user name, are throttled at the
    allowance set by EVO_GATEWAY_AUTH_ADDRESS_FAILURES; an API key still works from there."""
    db_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=ADMIN_PASSWORD)
    key = cli(db_url, "apikeys", "create", "admin")
    env = {"EVO_GATEWAY_AUTH_ADDRESS_FAILURES": "4"}
    with serving(tmp_path, db_url, env=env) as served, httpx.Client(base_url=served.base_url, timeout=30) as c:
        statuses = [c.get("/ai/sessions", headers=basic(f"u{i}", "wrong")).status_code for i in range(6)]
        assert statuses == [401] * 4 + [429] * 2
        body = "{userName:admin,password:" + ADMIN_PASSWORD + "}"
        refused = c.post("/auth/credentials.jsv", content=body, headers={"Content-Type": "text/jsv"})
        assert refused.status_code == 429 and refused.text.startswith("{responseStatus:{errorCode:TooManyRequests")
        assert c.get("/ai/sessions", headers={"X-Api-Key": key}).status_code == 200


def test_a_wrong_user_name_costs_what_a_wrong_password_costs(tmp_path: Path) -> None:
    """No user enumeration by timing: an unknown user name is checked against a fixed dummy hash,
    so it takes as long as a wrong password for a real user. Alternating rounds, medians; without
    the dummy the ratio is above 100 (no scrypt against one scrypt), which no load can hide, and
    load slows both kinds alike."""
    db_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=ADMIN_PASSWORD)
    flags = ("--auth-user-failures", "1000", "--auth-address-failures", "1000")
    with serving(tmp_path, db_url, *flags) as served, httpx.Client(base_url=served.base_url, timeout=30) as c:

        def sign_in(user: str) -> float:
            started = time.perf_counter()
            r = c.post("/auth/credentials", json={"userName": user, "password": "wrong"})
            elapsed = time.perf_counter() - started
            assert r.status_code == 401, r.text
            return elapsed

        sign_in("admin")  # warm: the first request pays for imports and connections
        unknown: list[float] = []
        wrong: list[float] = []
        for i in range(5):
            unknown += [sign_in(f"nobody{i}-{j}") for j in range(2)]
            wrong += [sign_in("admin") for _ in range(2)]
    ratio = statistics.median(wrong) / statistics.median(unknown)
    assert 0.25 < ratio < 4, (ratio, unknown, wrong)
