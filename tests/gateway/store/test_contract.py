"""The store contract: what every store (SQLite, PostgreSQL) must do alike, through the protocols
and the admin operations only. Each test runs once per store (the `store` fixture in conftest.py)."""

from __future__ import annotations

import functools
import threading

import anyio
import pytest

from gateway.apikeys import hash_api_key
from gateway.store import (
    AccountRecord,
    DuplicateName,
    SessionQuery,
    SessionRecord,
    Store,
    StoreUnavailable,
    UnknownAccount,
    UnknownApiKey,
    UnknownUser,
    UserSummary,
    VersionMatch,
)

NOW = "2026-11-24T10:00:00.000000Z"
LATER = "2026-11-24T11:00:00.000000Z"


def test_create_get_patch_delete(store: Store) -> None:
    account = store.add_account("Acme Voice")

    async def scenario() -> None:
        created = await store.create_session(account_id=account.id, purpose="sales", actor_id="u1", now=NOW)
        assert (created.account_name, created.purpose, created.date_created, created.created_by) == (
            "Acme Voice",
            "sales",
            NOW,
            "u1",
        )
        assert await store.get_session(created.id) == created

        patched = await store.patch_session(created.id, purpose=None, actor_id="u2", now=LATER)
        assert patched is not None
        # None leaves the purpose alone but still stamps the modification.
        assert (patched.purpose, patched.date_last_modified, patched.last_modified_by) == ("sales", LATER, "u2")
        assert patched.date_created == NOW and patched.created_by == "u1"

        patched = await store.patch_session(created.id, purpose="support", actor_id="u2", now=LATER)
        assert patched is not None and patched.purpose == "support"

        assert await store.delete_session(created.id) is True
        assert await store.delete_session(created.id) is False
        assert await store.get_session(created.id) is None
        assert await store.patch_session(created.id, purpose="x", actor_id="u2", now=LATER) is None

    anyio.run(scenario)


def test_ping_answers_on_an_open_store(store: Store) -> None:
    assert anyio.run(store.ping) is None


def test_create_session_for_unknown_account_raises(store: Store) -> None:
    async def scenario() -> None:
        with pytest.raises(UnknownAccount):
            await store.create_session(account_id="nope", purpose=None, actor_id="u1", now=NOW)
        page = await store.list_sessions(SessionQuery())
        assert page.items == [] and page.total_count == 0

    anyio.run(scenario)


def test_list_filters_sorts_and_pages(store: Store) -> None:
    acme = store.add_account("Acme")
    zeta = store.add_account("Zeta")

    async def scenario() -> None:
        ids = []
        for i in range(5):
            account = acme if i % 2 == 0 else zeta
            rec = await store.create_session(
                account_id=account.id, purpose=f"p{i}", actor_id="u", now=f"2026-01-0{i + 1}T00:00:00.000000Z"
            )
            ids.append(rec.id)

        everything = await store.list_sessions(SessionQuery())
        assert [r.id for r in everything.items] == ids and everything.total_count == 5
        # Built from rows in bulk, each is a whole SessionRecord, equal to the one read alone.
        assert all(type(r) is SessionRecord for r in everything.items)
        assert everything.items == [await store.get_session(i) for i in ids]
        assert not everything.has_more

        newest_first = await store.list_sessions(SessionQuery(descending=True))
        assert [r.id for r in newest_first.items] == ids[::-1]

        by_account = await store.list_sessions(SessionQuery(account_ids=(zeta.id,)))
        assert [r.id for r in by_account.items] == [ids[1], ids[3]] and by_account.total_count == 2

        specific = await store.list_sessions(SessionQuery(specific_ids=(ids[4], ids[0], "missing")))
        assert {r.id for r in specific.items} == {ids[0], ids[4]}

        page = await store.list_sessions(SessionQuery(offset=2, limit=2))
        assert [r.id for r in page.items] == ids[2:4] and page.has_more and page.total_count == 5
        last = await store.list_sessions(SessionQuery(offset=4, limit=2, count_total=False))
        assert [r.id for r in last.items] == ids[4:] and not last.has_more and last.total_count is None

        by_name = await store.list_sessions(SessionQuery(sort_key="accountname"))
        assert [r.account_name for r in by_name.items] == ["Acme"] * 3 + ["Zeta"] * 2

    anyio.run(scenario)


def test_duplicate_names_are_refused(store: Store) -> None:
    store.add_account("Acme")
    with pytest.raises(DuplicateName):
        store.add_account("Acme")
    store.add_user("admin")
    with pytest.raises(DuplicateName):
        store.add_user("ADMIN")  # user names are case-insensitive, as ServiceStack's auth repositories


def test_api_keys_resolve_to_their_user(store: Store) -> None:
    user = store.add_user("admin", ["SystemAdministrator", "SystemAdministrator", "Ops"])
    key = store.add_api_key("admin")
    with pytest.raises(UnknownUser):
        store.add_api_key("nobody")

    found = anyio.run(store.user_by_api_key_hash, hash_api_key(key))
    assert found is not None and found.id == user.id and set(found.roles) == {"SystemAdministrator", "Ops"}
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(key + "x")) is None
    # The user name is matched as a login is: case-insensitively.
    other = store.add_api_key("ADMIN")
    found = anyio.run(store.user_by_api_key_hash, hash_api_key(other))
    assert found is not None and found.id == user.id


def test_logins_expire_and_can_be_deleted(store: Store) -> None:
    user = store.add_user("admin")

    async def scenario() -> None:
        await store.create_login(user.id, login_id="tok", expires_at=1_000_000_000_000.0)
        assert (await store.user_by_login("tok", now=0.0)) is not None
        assert (await store.user_by_login("tok", now=2_000_000_000_000.0)) is None
        assert (await store.user_by_login("other", now=0.0)) is None
        await store.delete_login("tok")
        assert (await store.user_by_login("tok", now=0.0)) is None

    anyio.run(scenario)


def test_user_by_name_returns_the_password_hash(store: Store) -> None:
    store.add_user("admin", password_hash="scrypt$x")
    store.add_user("keyonly")
    found = anyio.run(store.user_by_name, "admin")
    assert found is not None and found[1] == "scrypt$x"
    found = anyio.run(store.user_by_name, "keyonly")
    assert found is not None and found[1] is None
    assert anyio.run(store.user_by_name, "ghost") is None


def test_concurrent_patches_from_many_threads_lose_nothing(store: Store) -> None:
    account = store.add_account("Acme")
    created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                patch = functools.partial(
                    store.patch_session, created.id, purpose=f"{n}-{i}", actor_id=f"w{n}", now=NOW
                )
                anyio.run(patch)
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = anyio.run(store.get_session, created.id)
    assert final is not None
    # The last acknowledged write is what is stored: one of the writers' final values.
    assert final.purpose in {f"{n}-19" for n in range(8)}


def test_sorting_is_by_bytes_with_nulls_first_ascending(store: Store) -> None:
    # SQLite's BINARY collation orders UTF-8 bytes and puts NULL first ascending, last descending;
    # every store must list the same order, whatever its server's locale.
    account = store.add_account("Acme")
    purposes = ["b", None, "B", "a", "é", "Z", "a b", "ab"]

    async def scenario() -> None:
        for n, purpose in enumerate(purposes):
            await store.create_session(
                account_id=account.id, purpose=purpose, actor_id="u", now=f"2026-01-01T00:00:0{n}.000000Z"
            )
        ascending = await store.list_sessions(SessionQuery(sort_key="purpose"))
        assert [r.purpose for r in ascending.items] == [None, "B", "Z", "a", "a b", "ab", "b", "é"]
        descending = await store.list_sessions(SessionQuery(sort_key="purpose", descending=True))
        assert [r.purpose for r in descending.items] == ["é", "b", "ab", "a b", "a", "Z", "B", None]
        offset_only = await store.list_sessions(SessionQuery(sort_key="purpose", offset=6))
        assert [r.purpose for r in offset_only.items] == ["b", "é"] and offset_only.total_count == 8

    anyio.run(scenario)


def test_many_ids_in_one_filter(store: Store) -> None:
    account = store.add_account("Acme")

    async def scenario() -> None:
        made = [
            await store.create_session(account_id=account.id, purpose=None, actor_id="u", now=NOW) for _ in range(3)
        ]
        wanted = (*(f"{n:032x}" for n in range(5000)), made[1].id)
        page = await store.list_sessions(SessionQuery(specific_ids=wanted, account_ids=(account.id,) * 2000))
        assert [r.id for r in page.items] == [made[1].id] and page.total_count == 1

    anyio.run(scenario)


def test_user_names_fold_ascii_case_only(store: Store) -> None:
    # SQLite's NOCASE folds A-Z only: "ÉMILE" and "émile" are two users, "Admin" and "admin" one.
    admin = store.add_user("admin", ["Ops"])
    lower = store.add_user("émile")
    upper = store.add_user("ÉMILE")
    found = anyio.run(store.user_by_name, "ADMIN")
    assert found is not None and found[0].id == admin.id and found[0].name == "admin"
    found = anyio.run(store.user_by_name, "Émile")
    assert found is not None and found[0].id == upper.id
    found = anyio.run(store.user_by_name, "éMile")
    assert found is not None and found[0].id == lower.id
    with pytest.raises(DuplicateName):
        store.add_user("éMILE")


def test_account_exists(store: Store) -> None:
    account = store.add_account("Acme")
    assert store.account_exists(account.id)
    assert not store.account_exists("0" * 32)
    assert not store.account_exists(account.id.upper())


def test_versions_start_at_one_and_every_patch_adds_one(store: Store) -> None:
    account = store.add_account("Acme")

    async def scenario() -> None:
        created = await store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        assert created.version == 1
        first = await store.patch_session(created.id, purpose=None, actor_id="u", now=LATER)
        second = await store.patch_session(created.id, purpose="q", actor_id="u", now=LATER)
        assert first is not None and second is not None
        assert (first.version, second.version) == (2, 3)
        assert await store.get_session(created.id) == second
        listed = await store.list_sessions(SessionQuery())
        assert [r.version for r in listed.items] == [3]

    anyio.run(scenario)


def test_conditional_patch_writes_only_at_an_expected_version(store: Store) -> None:
    account = store.add_account("Acme")

    async def scenario() -> None:
        created = await store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        stale = VersionMatch(versions=frozenset({7, 9}))
        assert await store.patch_session(created.id, purpose="lost", actor_id="u2", now=LATER, expected=stale) is None
        assert await store.get_session(created.id) == created  # nothing changed, not even the stamp

        either = VersionMatch(versions=frozenset({9, 1}))
        won = await store.patch_session(created.id, purpose="won", actor_id="u2", now=LATER, expected=either)
        assert won is not None and (won.purpose, won.version) == ("won", 2)
        # The same tag again is stale now.
        assert await store.patch_session(created.id, purpose="x", actor_id="u", now=LATER, expected=either) is None

        anything = VersionMatch(any_version=True)
        again = await store.patch_session(created.id, purpose="any", actor_id="u", now=LATER, expected=anything)
        assert again is not None and again.version == 3
        assert await store.patch_session("missing", purpose="x", actor_id="u", now=LATER, expected=anything) is None
        none_listed = VersionMatch()
        assert await store.patch_session(created.id, purpose="x", actor_id="u", now=LATER, expected=none_listed) is None
        assert await store.get_session(created.id) == again

    anyio.run(scenario)


def test_conditional_delete_deletes_only_at_an_expected_version(store: Store) -> None:
    account = store.add_account("Acme")

    async def scenario() -> None:
        created = await store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        assert await store.delete_session(created.id, expected=VersionMatch(versions=frozenset({2}))) is False
        assert await store.get_session(created.id) == created
        assert await store.delete_session(created.id, expected=VersionMatch(versions=frozenset({1}))) is True
        assert await store.get_session(created.id) is None
        assert await store.delete_session(created.id, expected=VersionMatch(any_version=True)) is False

        other = await store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        assert await store.delete_session(other.id, expected=VersionMatch(any_version=True)) is True

    anyio.run(scenario)


def test_concurrent_patches_with_one_tag_have_exactly_one_winner(store: Store) -> None:
    """The version is compared inside the UPDATE: of 20 writers holding the same tag, one wins."""
    account = store.add_account("Acme")

    async def scenario() -> None:
        created = await store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW)
        tag = VersionMatch(versions=frozenset({created.version}))
        results: list[object] = []

        async def one(i: int) -> None:
            results.append(
                await store.patch_session(created.id, purpose=f"w{i}", actor_id="u", now=LATER, expected=tag)
            )

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(one, i)
        winners = [r for r in results if r is not None]
        assert len(results) == 20 and len(winners) == 1
        assert await store.get_session(created.id) == winners[0]

    anyio.run(scenario)


# --- admin operations (the CLI's) ---


def test_accounts_and_users_are_listed_by_name(store: Store) -> None:
    zeta = store.add_account("Zeta")
    acme = store.add_account("Acme")
    assert store.list_accounts() == [AccountRecord(acme.id, "Acme"), AccountRecord(zeta.id, "Zeta")]
    bob = store.add_user("bob", ["Ops", "Clerk"], "scrypt$x")
    alice = store.add_user("alice")
    assert store.list_users() == [
        UserSummary(alice.id, "alice", (), has_password=False),
        UserSummary(bob.id, "bob", ("Clerk", "Ops"), has_password=True),
    ]


def test_set_roles_replaces_them_all(store: Store) -> None:
    user = store.add_user("bob", ["Ops"])
    key = store.add_api_key("bob")
    changed = store.set_roles("BOB", ["SystemAdministrator", "Clerk", "Clerk"])
    assert changed.id == user.id and changed.roles == ("Clerk", "SystemAdministrator")
    found = anyio.run(store.user_by_api_key_hash, hash_api_key(key))
    assert found is not None and found.roles == ("Clerk", "SystemAdministrator")
    assert store.set_roles("bob", []).roles == ()
    assert [u.roles for u in store.list_users()] == [()]
    with pytest.raises(UnknownUser):
        store.set_roles("nobody", ["Ops"])


def test_set_password_replaces_the_hash(store: Store) -> None:
    user = store.add_user("bob")
    assert store.set_password("Bob", "scrypt$new") == user.id
    found = anyio.run(store.user_by_name, "bob")
    assert found is not None and found[1] == "scrypt$new"
    with pytest.raises(UnknownUser):
        store.set_password("nobody", "scrypt$x")


def test_removing_a_user_takes_its_keys_and_logins(store: Store) -> None:
    bob = store.add_user("bob", ["Ops"])
    kept = store.add_user("kept")
    bob_key = store.add_api_key("bob")
    kept_key = store.add_api_key("kept")

    async def login(user_id: str, login_id: str) -> None:
        await store.create_login(user_id, login_id=login_id, expires_at=1e12)

    anyio.run(login, bob.id, "bob-login")
    anyio.run(login, kept.id, "kept-login")
    assert store.remove_user("BOB") == bob.id
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(bob_key)) is None
    assert anyio.run(functools.partial(store.user_by_login, "bob-login", now=0.0)) is None
    assert anyio.run(store.user_by_name, "bob") is None
    assert [u.name for u in store.list_users()] == ["kept"]
    assert [k.user_name for k in store.list_api_keys()] == ["kept"]
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(kept_key)) is not None
    assert anyio.run(functools.partial(store.user_by_login, "kept-login", now=0.0)) is not None
    with pytest.raises(UnknownUser):
        store.remove_user("bob")
    store.add_user("bob")  # the name is free again


def test_api_keys_are_listed_by_id_never_by_key(store: Store) -> None:
    store.add_user("bob")
    store.add_user("alice")
    first = store.add_api_key("bob", label="ci")
    second = store.add_api_key("bob")
    store.add_api_key("alice", label="laptop")
    keys = store.list_api_keys()
    assert [(k.user_name, k.label) for k in keys] == [("alice", "laptop"), ("bob", "ci"), ("bob", None)]
    assert all(len(k.id) == 32 and k.last_used_at is None for k in keys)
    assert len({k.id for k in keys}) == 3
    for k in keys:  # neither the key nor its digest is shown
        assert k.id not in (first, second) and k.id != hash_api_key(first)[:32] and k.id != hash_api_key(second)[:32]
    bobs = store.list_api_keys("BOB")
    assert [k.label for k in bobs] == ["ci", None] and bobs[0].created_at <= bobs[1].created_at
    with pytest.raises(UnknownUser):
        store.list_api_keys("nobody")


def test_revoking_a_key_by_id_or_by_the_key_itself(store: Store) -> None:
    store.add_user("bob")
    by_id = store.add_api_key("bob", label="one")
    by_key = store.add_api_key("bob", label="two")
    kept = store.add_api_key("bob", label="three")
    one = next(k for k in store.list_api_keys() if k.label == "one")
    revoked = store.revoke_api_key(one.id)
    assert revoked == one
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(by_id)) is None
    assert store.revoke_api_key(by_key).label == "two"
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(by_key)) is None
    assert [k.label for k in store.list_api_keys()] == ["three"]
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(kept)) is not None
    with pytest.raises(UnknownApiKey, match="'" + one.id + "'"):
        store.revoke_api_key(one.id)
    with pytest.raises(UnknownApiKey) as refused:
        store.revoke_api_key(by_key)
    assert by_key not in str(refused.value)  # a key is a secret: never echoed


def test_a_keys_last_use_is_recorded_to_the_minute(store: Store) -> None:
    store.add_user("bob")
    key = store.add_api_key("bob")
    found = anyio.run(store.api_key_user, hash_api_key(key))
    assert found is not None and found[0].name == "bob" and found[1] is None
    anyio.run(store.record_api_key_use, hash_api_key(key), "2026-11-24T10:00Z")
    found = anyio.run(store.api_key_user, hash_api_key(key))
    assert found is not None and found[1] == "2026-11-24T10:00Z"
    assert [k.last_used_at for k in store.list_api_keys()] == ["2026-11-24T10:00Z"]
    anyio.run(store.record_api_key_use, hash_api_key("ak_gone"), "2026-11-24T10:01Z")  # no error
    assert anyio.run(store.api_key_user, hash_api_key("ak_gone")) is None


def test_a_closed_store_refuses_work(store: Store) -> None:
    account = store.add_account("Acme")
    store.close()
    store.close()  # twice is harmless (the fixture closes it again)
    with pytest.raises(StoreUnavailable):
        store.add_account("late")
    with pytest.raises(StoreUnavailable):
        anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
