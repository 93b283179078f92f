"""TimedStore: every Store method is timed, under its own name, failures too, and nothing else
changes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator

import anyio
import pytest

from gateway.apikeys import hash_api_key
from gateway.serving.timed_store import TIMED_METHODS, TimedStore
from gateway.store import Store, UnknownAccount, open_store

NOW = "2026-11-24T10:00:00.000000Z"


class Samples:
    def __init__(self) -> None:
        self.seen: list[tuple[str, float]] = []

    def observer(self, method: str) -> Callable[[float], None]:
        return lambda seconds: self.seen.append((method, seconds))

    def methods(self) -> list[str]:
        return [method for method, _ in self.seen]


@pytest.fixture
def samples() -> Samples:
    return Samples()


@pytest.fixture
def timed(db_url: str, samples: Samples) -> Iterator[TimedStore]:
    inner = open_store(db_url)
    store = TimedStore(inner, samples.observer)
    try:
        yield store
    finally:
        store.close()


def test_every_store_method_is_timed() -> None:
    # A method added to the protocol without a timed twin would go unobserved.
    protocol = {name for name, _ in inspect.getmembers(Store, inspect.isfunction) if not name.startswith("_")}
    assert protocol - {"close"} == set(TIMED_METHODS)
    assert all(callable(getattr(TimedStore, name)) for name in TIMED_METHODS)


def test_calls_pass_through_and_each_is_one_sample(timed: TimedStore, samples: Samples) -> None:
    account = timed.add_account("Acme")
    timed.add_user("admin", ["SystemAdministrator"])
    key = timed.add_api_key("admin", label="ci")

    async def scenario() -> None:
        created = await timed.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        assert await timed.get_session(created.id) == created
        patched = await timed.patch_session(created.id, purpose="q", actor_id="u", now=NOW)
        assert patched is not None and patched.purpose == "q"
        found = await timed.api_key_user(hash_api_key(key))
        assert found is not None and found[0].name == "admin"
        await timed.ping()

    anyio.run(scenario)
    assert samples.methods() == [
        "add_account",
        "add_user",
        "add_api_key",
        "create_session",
        "get_session",
        "patch_session",
        "api_key_user",
        "ping",
    ]
    assert all(seconds >= 0 for _, seconds in samples.seen)
    assert [k.label for k in timed.list_api_keys()] == ["ci"]


def test_a_failed_call_is_timed_and_still_raises(timed: TimedStore, samples: Samples) -> None:
    with pytest.raises(UnknownAccount):
        anyio.run(lambda: timed.create_session(account_id="nope", purpose=None, actor_id="u", now=NOW))
    assert samples.methods() == ["create_session"]
