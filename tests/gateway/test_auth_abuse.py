"""Sign-in under abuse: one scrypt check whatever the outcome, bounded and off the event loop,
and throttling per user name and per address (docs/security.md)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator

import anyio
import pytest
from starlette.testclient import TestClient

import gateway.passwords
from gateway.app import create_app
from gateway.auth import AuthService, Credentials
from gateway.config import Settings
from gateway.errors import TooManyRequests
from gateway.throttle import AuthLimits, FailureCounter, SignInThrottle

from .conftest import ADMIN_PASSWORD, World, basic


class Derive:
    """Wraps scrypt: counts calls, records their threads and how many ran at once."""

    def __init__(self, real: object, delay: float = 0.0) -> None:
        self.real = real
        self.delay = delay
        self.calls = 0
        self.threads: set[int] = set()
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, *args: object) -> bytes:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.get_ident())
        try:
            if self.delay:
                time.sleep(self.delay)
            return self.real(*args)  # type: ignore[operator,no-any-return]
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def derive(monkeypatch: pytest.MonkeyPatch) -> Iterator[Derive]:
    counting = Derive(gateway.passwords._derive)
    monkeypatch.setattr(gateway.passwords, "_derive", counting)
    yield counting


def service(world: World, **limits: int) -> AuthService:
    return AuthService(world.store, login_ttl_seconds=60, cache_seconds=30, limits=AuthLimits(**limits))


@pytest.mark.parametrize(
    ("user", "password"),
    [("admin", ADMIN_PASSWORD), ("admin", "wrong"), ("ghost", "wrong"), ("keyonly", "wrong")],
)
def test_every_sign_in_costs_exactly_one_scrypt_check(world: World, derive: Derive, user: str, password: str) -> None:
    world.store.add_user("keyonly", ["Clerk"])  # no password
    auth = service(world)
    found = anyio.run(lambda: auth.check_password(user, password))
    assert (found is not None) == (password == ADMIN_PASSWORD and user == "admin")
    assert derive.calls == 1
    assert threading.get_ident() not in derive.threads  # a worker thread, not the event loop's


def test_a_missing_user_is_checked_at_the_same_scrypt_cost() -> None:
    # The dummy hash carries the same parameters as a fresh hash, so it costs the same.
    fresh = gateway.passwords.hash_password("x").split("$")[:4]
    assert gateway.passwords.DUMMY_HASH.split("$")[:4] == fresh
    assert not gateway.passwords.verify_password("", gateway.passwords.DUMMY_HASH)


def test_at_most_hash_concurrency_checks_run_at_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = Derive(gateway.passwords._derive, delay=0.05)
    monkeypatch.setattr(gateway.passwords, "_derive", slow)
    auth = service(world, hash_concurrency=2, user_failures=100, address_failures=100)

    async def flood() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(auth.check_password, f"user{i}", "wrong")

    anyio.run(flood)
    assert slow.calls == 8
    assert slow.peak <= 2


def test_repeated_failures_for_one_user_are_throttled_and_a_success_resets(world: World, derive: Derive) -> None:
    now = [0.0]
    auth = AuthService(
        world.store,
        login_ttl_seconds=60,
        cache_seconds=30,
        limits=AuthLimits(user_failures=3, window_seconds=60),
        throttle_clock=lambda: now[0],
    )
    for _ in range(2):
        assert anyio.run(lambda: auth.check_password("admin", "wrong")) is None
    assert anyio.run(lambda: auth.check_password("admin", ADMIN_PASSWORD)) is not None  # resets
    for _ in range(3):
        assert anyio.run(lambda: auth.check_password("ADMIN", "wrong")) is None  # names fold case
    calls = derive.calls
    now[0] = 20.5
    with pytest.raises(TooManyRequests) as caught:
        anyio.run(lambda: auth.check_password("admin", ADMIN_PASSWORD))
    assert (caught.value.status_code, caught.value.error_code) == (429, "TooManyRequests")
    assert caught.value.headers == {"Retry-After": "40"}
    assert derive.calls == calls  # throttled before any hashing
    now[0] = 60.0  # the window is over
    assert anyio.run(lambda: auth.check_password("admin", ADMIN_PASSWORD)) is not None


def test_failures_from_one_address_are_throttled_across_user_names(world: World, derive: Derive) -> None:
    auth = service(world, address_failures=3)
    for name in ("u0", "u1", "u2"):
        assert anyio.run(functools.partial(auth.check_password, name, "wrong", address="10.0.0.1")) is None
    with pytest.raises(TooManyRequests):
        anyio.run(lambda: auth.check_password("admin", ADMIN_PASSWORD, address="10.0.0.1"))
    assert anyio.run(lambda: auth.check_password("admin", ADMIN_PASSWORD, address="10.0.0.2")) is not None
    # Basic credentials carry the address too.
    headers = {name.lower(): value for name, value in basic("admin", ADMIN_PASSWORD).items()}
    c = Credentials(headers, {}, client="10.0.0.1")
    with pytest.raises(TooManyRequests):
        anyio.run(lambda: auth.identify(c))


def test_the_failure_table_is_capped() -> None:
    counter = FailureCounter(limit=1, window=60, max_entries=3, clock=lambda: 0.0)
    for i in range(10):
        counter.count(f"k{i}")
    assert len(counter) == 3
    assert counter.retry_after("k9") == 60 and counter.retry_after("k0") is None


def test_a_concurrent_burst_is_throttled_as_it_passes_the_limit() -> None:
    throttle = SignInThrottle(AuthLimits(user_failures=2), clock=lambda: 0.0)
    # Attempts are counted when they begin, so the third of a burst waits, finished or not.
    assert throttle.begin("a", None) is None
    assert throttle.begin("a", None) is None
    assert throttle.begin("a", None) == 60


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("json", b'"errorCode":"TooManyRequests"'),
        ("xml", b"<ErrorCode>TooManyRequests</ErrorCode>"),
        ("jsv", b"errorCode:TooManyRequests"),
        ("csv", b"TooManyRequests"),
    ],
)
def test_http_throttled_sign_in_is_429_with_retry_after_in_the_callers_format(
    world: World, fmt: str, marker: bytes
) -> None:
    app = create_app(Settings(db_url=world.db_url), store=world.store)
    with TestClient(app) as client:
        body = {"userName": "admin", "password": "wrong"}
        statuses = [client.post(f"/auth/credentials?format={fmt}", json=body).status_code for _ in range(10)]
        assert statuses == [401] * 10
        r = client.post(f"/auth/credentials?format={fmt}", json={"userName": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert marker in r.content
        assert "ss-id" not in r.cookies
        # Basic for the same user name is throttled the same way; API keys are not.
        assert client.get(f"/ai/sessions?format={fmt}", headers=basic("admin", "wrong")).status_code == 429
        assert client.get(f"/ai/sessions?format={fmt}", headers=world.admin).status_code == 200
