"""The SQLite store against a real file: the SessionStore/IdentityStore contract, migrations,
durability across reopen, and concurrent writers."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from gateway.apikeys import hash_api_key
from gateway.store import (
    DuplicateName,
    SessionQuery,
    SqliteStore,
    StoreUnavailable,
    UnknownAccount,
    UnknownUser,
)
from gateway.store.base import SessionRecord
from gateway.store.migrations import MIGRATIONS
from gateway.store.sqlite import _PATCH_RETURNING, _SESSION_COLUMNS, _SESSION_FROM

NOW = "2026-11-24T10:00:00.000000Z"
LATER = "2026-11-24T11:00:00.000000Z"


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "store.db")


@pytest.fixture
def store(db_path: str) -> Iterator[SqliteStore]:
    s = SqliteStore(db_path)
    try:
        yield s
    finally:
        s.close()


def test_create_get_patch_delete(store: SqliteStore) -> None:
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


def test_create_session_for_unknown_account_raises(store: SqliteStore) -> None:
    async def scenario() -> None:
        with pytest.raises(UnknownAccount):
            await store.create_session(account_id="nope", purpose=None, actor_id="u1", now=NOW)
        page = await store.list_sessions(SessionQuery())
        assert page.items == [] and page.total_count == 0

    anyio.run(scenario)


def test_list_filters_sorts_and_pages(store: SqliteStore) -> None:
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


def test_duplicate_names_are_refused(store: SqliteStore) -> None:
    store.add_account("Acme")
    with pytest.raises(DuplicateName):
        store.add_account("Acme")
    store.add_user("admin")
    with pytest.raises(DuplicateName):
        store.add_user("ADMIN")  # user names are case-insensitive, as ServiceStack's auth repositories


def test_api_keys_are_stored_hashed_and_resolve_to_their_user(store: SqliteStore, db_path: str) -> None:
    user = store.add_user("admin", ["SystemAdministrator", "SystemAdministrator", "Ops"])
    key = store.add_api_key("admin")
    with pytest.raises(UnknownUser):
        store.add_api_key("nobody")

    found = anyio.run(store.user_by_api_key_hash, hash_api_key(key))
    assert found is not None and found.id == user.id and set(found.roles) == {"SystemAdministrator", "Ops"}
    assert anyio.run(store.user_by_api_key_hash, hash_api_key(key + "x")) is None

    raw = Path(db_path).read_bytes() + Path(db_path + "-wal").read_bytes()
    assert key.encode() not in raw


def test_logins_expire_and_can_be_deleted(store: SqliteStore) -> None:
    user = store.add_user("admin")

    async def scenario() -> None:
        await store.create_login(user.id, login_id="tok", expires_at=1_000_000_000_000.0)
        assert (await store.user_by_login("tok", now=0.0)) is not None
        assert (await store.user_by_login("tok", now=2_000_000_000_000.0)) is None
        assert (await store.user_by_login("other", now=0.0)) is None
        await store.delete_login("tok")
        assert (await store.user_by_login("tok", now=0.0)) is None

    anyio.run(scenario)


def test_user_by_name_returns_the_password_hash(store: SqliteStore) -> None:
    store.add_user("admin", password_hash="scrypt$x")
    store.add_user("keyonly")
    found = anyio.run(store.user_by_name, "admin")
    assert found is not None and found[1] == "scrypt$x"
    found = anyio.run(store.user_by_name, "keyonly")
    assert found is not None and found[1] is None
    assert anyio.run(store.user_by_name, "ghost") is None


def test_data_survives_reopen_and_schema_is_versioned(db_path: str) -> None:
    first = SqliteStore(db_path)
    account = first.add_account("Acme")
    created = anyio.run(lambda: first.create_session(account_id=account.id, purpose="kept", actor_id="u", now=NOW))
    first.close()

    second = SqliteStore(db_path)
    try:
        assert anyio.run(second.get_session, created.id) == created
    finally:
        second.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused(db_path: str) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreUnavailable, match="schema version"):
        SqliteStore(db_path)


def test_unopenable_paths_raise_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        SqliteStore(str(tmp_path / "missing-dir" / "x.db"))
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable):
        SqliteStore(str(garbage))


def test_a_closed_store_refuses_work(db_path: str) -> None:
    s = SqliteStore(db_path)
    s.close()
    with pytest.raises(StoreUnavailable):
        s.add_account("late")


def test_concurrent_patches_from_many_threads_lose_nothing(store: SqliteStore) -> None:
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


def test_session_queries_select_the_record_fields_in_order(store: SqliteStore) -> None:
    # _session() builds a SessionRecord positionally from a row: the columns must be its fields.
    account = store.add_account("Acme")
    created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
    conn = sqlite3.connect(store.path)
    try:
        for sql in (f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?", _PATCH_RETURNING):
            params = (created.id,) if sql.startswith("SELECT") else (None, LATER, "u", created.id)
            cursor = conn.execute(sql, params)
            assert tuple(d[0] for d in cursor.description) == SessionRecord._fields
            cursor.fetchall()
    finally:
        conn.close()


def test_one_owner_per_file_and_others_may_still_open_it(db_path: str) -> None:
    owner = SqliteStore(db_path, owner=True)
    try:
        with pytest.raises(StoreUnavailable, match="already served"):
            SqliteStore(db_path, owner=True)
        guest = SqliteStore(db_path)  # the CLI's kind of store: no lock, no cache
        guest.add_account("Beside the server")
        guest.close()
    finally:
        owner.close()
    SqliteStore(db_path, owner=True).close()  # closing released the lock


def test_the_owners_cached_reads_follow_its_writes(db_path: str) -> None:
    store = SqliteStore(db_path, owner=True)
    try:
        account = store.add_account("Acme")

        async def scenario() -> None:
            created = await store.create_session(account_id=account.id, purpose="first", actor_id="u", now=NOW)
            assert (await store.get_session(created.id)) == created
            assert (await store.get_session(created.id)) is (await store.get_session(created.id))  # cached
            for n in range(20):
                await store.patch_session(created.id, purpose=f"p{n}", actor_id="u", now=LATER)
                got = await store.get_session(created.id)
                assert got is not None and got.purpose == f"p{n}"
            assert await store.delete_session(created.id)
            assert (await store.get_session(created.id)) is None
            assert (await store.get_session("unknown")) is None

        anyio.run(scenario)
    finally:
        store.close()


def test_the_owners_reads_racing_writes_from_threads_never_go_back(db_path: str) -> None:
    store = SqliteStore(db_path, owner=True)
    account = store.add_account("Acme")
    created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="0", actor_id="u", now=NOW))
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        async def loop() -> None:
            while not stop.is_set():
                before = acknowledged[0]
                got = await store.get_session(created.id)
                if got is None or int(got.purpose or "0") < before:
                    errors.append(f"read {got} after {before} was acknowledged")

        anyio.run(loop)

    acknowledged = [0]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for n in range(1, 200):
            anyio.run(functools.partial(store.patch_session, created.id, purpose=str(n), actor_id="u", now=LATER))
            acknowledged[0] = n
    finally:
        stop.set()
        for t in readers:
            t.join()
        store.close()
    assert errors == []


def test_the_serve_lock_follows_the_real_file_not_its_spelling(db_path: str, tmp_path: Path) -> None:
    link = tmp_path / "alias.db"
    link.symlink_to(db_path)
    owner = SqliteStore(db_path, owner=True)
    try:
        with pytest.raises(StoreUnavailable, match="already served"):
            SqliteStore(str(link), owner=True)
    finally:
        owner.close()
