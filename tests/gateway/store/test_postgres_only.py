"""What only the PostgreSQL store does, against a real server: migrations under the advisory
lock (several processes at once), secrets at rest, and bounded failure while the server is down
followed by recovery without reopening the store (the shared contract is in test_contract.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import anyio
import psycopg
import pytest

from gateway.apikeys import hash_api_key
from gateway.store import StoreUnavailable, open_store
from gateway.store.base import SessionRecord
from gateway.store.pg_migrations import PG_MIGRATIONS
from gateway.store.postgres import _PATCH_IF_VERSION_RETURNING, _PATCH_RETURNING, _SELECT_SESSION, PostgresStore

from ...conftest import require_postgres_binaries
from ...pgcluster import PgCluster, create_database

NOW = "2026-11-24T10:00:00.000000Z"


def test_postgres_and_postgresql_schemes_open_it(pg_url: str) -> None:
    for url in (pg_url, pg_url.replace("postgresql://", "postgres://", 1)):
        store = open_store(url)
        try:
            assert isinstance(store, PostgresStore)
            store.add_account(f"Acme {url[:10]}")
        finally:
            store.close()


def test_many_processes_migrating_an_empty_database_at_once(pg_url: str) -> None:
    # Each thread opens its own store, as each node would: the advisory lock lets one migrate and
    # the others find the schema done; nobody fails on a half-made schema.
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []
    start = threading.Barrier(8)

    def node() -> None:
        try:
            start.wait()
            stores.append(PostgresStore(pg_url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=node) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(stores) == 8
        account = stores[0].add_account("Acme")
        assert all(s.account_exists(account.id) for s in stores)
    finally:
        for s in stores:
            s.close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM evo_gateway_schema").fetchall() == [(len(PG_MIGRATIONS),)]


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE evo_gateway_schema SET version = %s", (len(PG_MIGRATIONS) + 1,))
    with pytest.raises(StoreUnavailable, match="schema version"):
        PostgresStore(pg_url)


def test_keys_made_before_key_ids_get_one_and_keep_working(pg_url: str) -> None:
    # A database at schema version 1 (before API keys had ids, labels and last use), with one key.
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE evo_gateway_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO evo_gateway_schema (version) VALUES (1)")
        conn.execute(PG_MIGRATIONS[0].encode())
        conn.execute("INSERT INTO users (id, name, created_at) VALUES ('u1', 'bob', %s)", (NOW,))
        conn.execute(
            "INSERT INTO api_keys (key_hash, user_id, created_at) VALUES (%s, 'u1', %s)", (hash_api_key("ak_old"), NOW)
        )
    store = PostgresStore(pg_url)
    try:
        (old,) = store.list_api_keys()
        assert (old.id, old.user_name, old.label, old.created_at) == (hash_api_key("ak_old")[:32], "bob", None, NOW)
        assert anyio.run(store.user_by_api_key_hash, hash_api_key("ak_old")) is not None
        assert store.revoke_api_key(old.id) == old
    finally:
        store.close()


def test_secrets_are_stored_as_digests_and_queries_select_record_fields_in_order(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        user = store.add_user("admin")
        key = store.add_api_key("admin")
        account = store.add_account("Acme")
        created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
        anyio.run(lambda: store.create_login(user.id, login_id="secret-login", expires_at=1e12))
    finally:
        store.close()
    with psycopg.connect(pg_url) as conn:
        dump = repr(conn.execute("SELECT * FROM api_keys").fetchall() + conn.execute("SELECT * FROM logins").fetchall())
        assert key not in dump and "secret-login" not in dump
        for sql, params in (
            (_SELECT_SESSION, (created.id,)),
            (_PATCH_RETURNING, (None, NOW, "u", created.id)),
            (_PATCH_IF_VERSION_RETURNING, (None, NOW, "u", created.id, [2])),
        ):
            cursor = conn.execute(sql.encode(), params)
            assert cursor.description is not None
            assert tuple(d.name for d in cursor.description) == SessionRecord._fields


def test_unreachable_server_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="cannot open database"):
        open_store("postgresql://nobody@127.0.0.1:1/none")


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[PgCluster]:
    """A cluster of this module's own, so stopping it does not disturb the other tests."""
    cluster = require_postgres_binaries()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def test_server_down_fails_fast_and_the_same_store_recovers(own_cluster: PgCluster) -> None:
    url = create_database(own_cluster.admin_url)
    store = PostgresStore(url)
    try:
        account = store.add_account("Acme")
        created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
        own_cluster.stop()
        for _ in range(3):  # every call fails within the bound, not only the first
            began = time.monotonic()
            with pytest.raises(StoreUnavailable):
                anyio.run(store.get_session, created.id)
            # Generous: the budget is 5 s for a whole request; the store's own bounds are ~3 s.
            assert time.monotonic() - began < 5
        with pytest.raises(StoreUnavailable):  # readiness says so too
            anyio.run(store.ping)
        own_cluster.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                assert anyio.run(store.get_session, created.id) == created
                anyio.run(store.ping)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store did not recover within 10 s"
                time.sleep(0.2)
    finally:
        store.close()


def test_a_whole_operation_is_bounded_not_only_each_wait(pg_url: str) -> None:
    # A row locked elsewhere: the PATCH would wait for lock_timeout (30 s here). The operation's own
    # bound (1 s) cuts it off first, and the connection cut off mid-statement is not lent again.
    store = PostgresStore(pg_url, statement_timeout=30.0, operation_timeout=1.0)
    try:
        account = store.add_account("Acme")
        created = anyio.run(lambda: store.create_session(account_id=account.id, purpose="p", actor_id="u", now=NOW))
        with psycopg.connect(pg_url) as holder:
            holder.execute("SELECT 1 FROM ai_sessions WHERE id = %s FOR UPDATE", (created.id,))
            began = time.monotonic()
            with pytest.raises(StoreUnavailable, match="within 1 s"):
                anyio.run(lambda: store.patch_session(created.id, purpose="q", actor_id="u", now=NOW))
            # 1 s by the operation bound; 30 s if only the lock wait were bounded: generous either way.
            assert time.monotonic() - began < 15
            holder.rollback()
        record = anyio.run(store.get_session, created.id)
        assert record is not None and record.purpose == "p"  # nothing was written
    finally:
        store.close()


def test_sessions_made_before_versions_existed_start_at_version_1(pg_url: str) -> None:
    """A database made by the first schema (no version column) is migrated in place."""
    with psycopg.connect(pg_url) as conn:
        conn.execute(PG_MIGRATIONS[0].encode())
        conn.execute("CREATE TABLE evo_gateway_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO evo_gateway_schema VALUES (1)")
        conn.execute("INSERT INTO accounts VALUES ('a1', 'Acme', %s)", (NOW,))
        conn.execute("INSERT INTO ai_sessions VALUES ('s1', 'a1', 'old', %s, %s, 'u', 'u')", (NOW, NOW))
    store = PostgresStore(pg_url)
    try:
        record = anyio.run(store.get_session, "s1")
        assert record is not None and (record.purpose, record.version) == ("old", 1)
        patched = anyio.run(lambda: store.patch_session("s1", purpose="new", actor_id="u", now=NOW))
        assert patched is not None and patched.version == 2
    finally:
        store.close()
