"""What only the SQLite store does, against a real file: its migrations, durability across reopen,
the serve lock and the session cache that stores on one file share (the shared contract is in
test_contract.py)."""

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
    SqliteStore,
    StoreUnavailable,
)
from gateway.store.base import SessionRecord
from gateway.store.migrations import MIGRATIONS
from gateway.store.sqlite import _PATCH_IF_VERSION_RETURNING, _PATCH_RETURNING, _SESSION_COLUMNS, _SESSION_FROM

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


def test_session_queries_select_the_record_fields_in_order(store: SqliteStore) -> None:
    # _session() builds a SessionRecord positionally from a row: the columns must be its fields.
    account = store.add_account("Acme")
    created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
    conn = sqlite3.connect(store.path)
    try:
        for sql, params in (
            (f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?", (created.id,)),
            (_PATCH_RETURNING, (None, LATER, "u", created.id)),
            (_PATCH_IF_VERSION_RETURNING, (None, LATER, "u", created.id, "[2]")),
        ):
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
        guest = SqliteStore(db_path)  # the CLI's or a worker's kind of store: no lock
        guest.add_account("Beside the server")
        guest.close()
    finally:
        owner.close()
    SqliteStore(db_path, owner=True).close()  # closing released the lock


def test_the_owners_cached_reads_follow_its_own_writes(db_path: str) -> None:
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


def _statements(store: SqliteStore) -> list[str]:
    """Every statement the calling thread's connection to `store` runs from now on."""
    seen: list[str] = []
    store._connection().set_trace_callback(seen.append)
    return seen


def test_stores_sharing_a_file_cache_and_see_each_others_writes(db_path: str) -> None:
    # What `serve --workers 2` runs: two stores on one file, each with its own cache and writer.
    first, second = SqliteStore(db_path), SqliteStore(db_path)
    try:
        account = first.add_account("Acme")

        async def scenario() -> None:
            created = await first.create_session(account_id=account.id, purpose="first", actor_id="u", now=NOW)
            assert (await second.get_session(created.id)) == created
            statements = _statements(second)
            assert (await second.get_session(created.id)) == created
            assert statements == []  # a hit: no SQL
            for n in range(20):
                await first.patch_session(created.id, purpose=f"p{n}", actor_id="u", now=LATER)
                got = await second.get_session(created.id)
                assert got is not None and got.purpose == f"p{n}"
            assert len(statements) == 20  # one read after each write, none in between
            first.add_user("admin")  # an admin transaction counts as a commit too
            await second.get_session(created.id)
            assert len(statements) == 21
            assert await first.delete_session(created.id)
            assert (await second.get_session(created.id)) is None

        anyio.run(scenario)
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("readers_store", ["the writer's", "another on the file"])
def test_reads_racing_writes_from_threads_never_go_back(db_path: str, readers_store: str) -> None:
    store = SqliteStore(db_path, owner=True)
    reading = store if readers_store == "the writer's" else SqliteStore(db_path)
    account = store.add_account("Acme")
    created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="0", actor_id="u", now=NOW))
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        async def loop() -> None:
            while not stop.is_set():
                before = acknowledged[0]
                got = await reading.get_session(created.id)
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
        reading.close()
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


def test_api_keys_are_not_in_the_file(store: SqliteStore, db_path: str) -> None:
    store.add_user("admin")
    key = store.add_api_key("admin")
    raw = Path(db_path).read_bytes() + Path(db_path + "-wal").read_bytes()
    assert key.encode() not in raw and hash_api_key(key).encode() in raw


def test_sessions_made_before_versions_existed_start_at_version_1(db_path: str) -> None:
    """A file made by the first schema (no version column) is migrated in place."""
    with sqlite3.connect(db_path) as conn:
        for statement in filter(str.strip, MIGRATIONS[0].split(";")):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO accounts VALUES ('a1', 'Acme', ?)", (NOW,))
        conn.execute("INSERT INTO ai_sessions VALUES ('s1', 'a1', 'old', ?, ?, 'u', 'u')", (NOW, NOW))
    store = SqliteStore(db_path)
    try:
        record = anyio.run(store.get_session, "s1")
        assert record is not None and (record.purpose, record.version) == ("old", 1)
        patched = anyio.run(lambda: store.patch_session("s1", purpose="new", actor_id="u", now=LATER))
        assert patched is not None and patched.version == 2
    finally:
        store.close()


def test_keys_made_before_key_ids_get_one_and_keep_working(db_path: str) -> None:
    # A file at schema version 1 (before API keys had ids, labels and last use), with one key.
    with sqlite3.connect(db_path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO users (id, name, created_at) VALUES ('u1', 'bob', ?)", (NOW,))
        conn.execute(
            "INSERT INTO api_keys (key_hash, user_id, created_at) VALUES (?, 'u1', ?)", (hash_api_key("ak_old"), NOW)
        )
        conn.execute("PRAGMA user_version = 1")
    store = SqliteStore(db_path)
    try:
        (old,) = store.list_api_keys()
        assert (old.id, old.user_name, old.label, old.created_at) == (hash_api_key("ak_old")[:32], "bob", None, NOW)
        assert anyio.run(store.user_by_api_key_hash, hash_api_key("ak_old")) is not None
        assert store.revoke_api_key(old.id) == old
    finally:
        store.close()
