"""The shared store: one PostgreSQL database that any number of gateway processes use at once.

- Nothing is cached in the process and nothing is locked outside the database: every read sees
  every node's committed writes, so several nodes can serve one database behind a load balancer.
- Requests use async connections on the calling event loop (`pg_pool.AsyncPool`), in autocommit:
  a single-statement operation is one round trip, with no worker thread and no BEGIN/COMMIT
  around it; operations of several statements run in an explicit transaction. The admin
  operations (the CLI's) are synchronous and use a `psycopg_pool` pool of their own, opened on
  first use, so a serving process never opens it.
- Every wait is bounded: the connection attempt (`connect_timeout`), the wait for a pooled
  connection (`pool_timeout`), each statement and lock wait (`statement_timeout`, `lock_timeout`)
  and unacknowledged TCP data (`tcp_user_timeout`), and a whole operation, all of those together
  (`operation_timeout`, so that a slow pool and then a slow statement cannot add up). When the
  database is down or too slow the store raises StoreUnavailable within that bound. A connection
  the server dropped is closed, not lent, and the next request dials afresh, so service resumes
  without a restart.
- Commits wait for the WAL flush (PostgreSQL's default `synchronous_commit=on`): an acknowledged
  write survives a crash of the gateway or of the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from ..apikeys import generate_api_key, hash_api_key
from ..clock import utc_now_iso
from .base import (
    SORTABLE_FIELDS,
    AccountRecord,
    ApiKeyRecord,
    DuplicateName,
    SessionPage,
    SessionQuery,
    SessionRecord,
    StoreUnavailable,
    UnknownAccount,
    UnknownApiKey,
    UnknownUser,
    UserRecord,
    UserSummary,
    VersionMatch,
    session_records,
)
from .ids import api_key_lookup, login_hash, new_id
from .pg_migrations import PG_MIGRATIONS, ascii_fold
from .pg_pool import AsyncConnection, AsyncPool

__all__ = ["MIGRATION_LOCK_KEY", "PostgresStore"]

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

#: The advisory lock every process takes to migrate; one at a time, the rest wait and find it done.
MIGRATION_LOCK_KEY = 0x65766F5F67770001  # "evo_gw" + 1

_SESSION_COLUMNS = """
    s.id AS id, s.account_id AS account_id, a.name AS account_name, s.purpose AS purpose,
    s.date_created AS date_created, s.date_last_modified AS date_last_modified,
    s.created_by AS created_by, s.last_modified_by AS last_modified_by, s.version AS version
"""
_SESSION_FROM = "FROM ai_sessions AS s JOIN accounts AS a ON a.id = s.account_id"
_SELECT_SESSION = f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = %s"
_PATCH = (
    "UPDATE ai_sessions SET purpose = COALESCE(%s, purpose), date_last_modified = %s, last_modified_by = %s,"
    " version = version + 1 WHERE id = %s"
)
_RETURNING = (
    " RETURNING id, account_id,"
    " (SELECT name FROM accounts WHERE accounts.id = ai_sessions.account_id) AS account_name,"
    " purpose, date_created, date_last_modified, created_by, last_modified_by, version"
)
_PATCH_RETURNING = _PATCH + _RETURNING
#: The If-Match form: the version is compared in the same statement that writes, so two writers
#: holding the same tag cannot both succeed.
_PATCH_IF_VERSION_RETURNING = _PATCH + " AND version = ANY(%s)" + _RETURNING
_DELETE = "DELETE FROM ai_sessions WHERE id = %s"
_DELETE_IF_VERSION = _DELETE + " AND version = ANY(%s)"
#: User names compare case-insensitively in ASCII only, as SQLite's NOCASE (and the unique index).
_BY_FOLDED_NAME = f"FROM users AS u WHERE {ascii_fold('u.name')} = {ascii_fold('%s')}"
_ROLES = "ARRAY(SELECT role FROM user_roles WHERE user_id = u.id)"
_USER_COLUMNS = f"SELECT u.id, u.name, u.password_hash, {_ROLES}"
_KEY_USER_COLUMNS = f"SELECT u.id, u.name, k.last_used_at, {_ROLES}"
_KEY_COLUMNS = (
    "SELECT k.id, u.name, k.label, k.created_at, k.last_used_at FROM api_keys AS k JOIN users AS u ON u.id = k.user_id"
)


def _session(row: tuple[Any, ...]) -> SessionRecord:
    return SessionRecord(*row)


class PostgresStore:
    """`SessionStore`, `IdentityStore` and `AdminStore` over one PostgreSQL database. Opening it
    creates or migrates the schema under an advisory lock, so nodes may start at the same moment."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: int = 2,
        pool_timeout: float = 3.0,
        statement_timeout: float = 4.0,
        operation_timeout: float = 4.0,
        reconnect_seconds: float = 2.0,
        max_connections: int = 10,
    ) -> None:
        self.url = url
        self._pool_timeout = pool_timeout
        self._operation_timeout = operation_timeout
        ms = int(statement_timeout * 1000)
        self._max_connections = max_connections
        self._reconnect_seconds = reconnect_seconds
        self._connect_kwargs: dict[str, Any] = {
            "connect_timeout": max(2, connect_timeout),  # libpq counts whole seconds, at least 2
            "tcp_user_timeout": ms,
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={ms}",
            "application_name": "evo-gateway",
        }
        self._migrate()
        self._pool = AsyncPool(self._connect, max_size=max_connections, timeout=pool_timeout)
        self._admin_pool: ConnectionPool[Connection] | None = None
        self._closed = False

    # --- connections and transactions ---

    def _migrate(self) -> None:
        try:
            with psycopg.connect(self.url, **self._connect_kwargs) as conn, conn.transaction():
                # Migrating takes longer than a request may: bound it generously but still bound it.
                conn.execute("SET LOCAL statement_timeout = '60s'")
                conn.execute("SET LOCAL lock_timeout = '60s'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                conn.execute("CREATE TABLE IF NOT EXISTS evo_gateway_schema (version INTEGER NOT NULL)")
                row = conn.execute("SELECT version FROM evo_gateway_schema").fetchone()
                if row is None:
                    conn.execute("INSERT INTO evo_gateway_schema (version) VALUES (0)")
                version = 0 if row is None else int(row[0])
                if version > len(PG_MIGRATIONS):
                    raise StoreUnavailable(
                        f"database has schema version {version}; this gateway knows up to {len(PG_MIGRATIONS)}"
                    )
                for number, script in enumerate(PG_MIGRATIONS[version:], start=version + 1):
                    conn.execute(script.encode("utf-8"))
                    conn.execute("UPDATE evo_gateway_schema SET version = %s", (number,))
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot open database: {_reason(exc)}") from None

    async def _connect(self) -> AsyncConnection:
        return await psycopg.AsyncConnection.connect(self.url, autocommit=True, **self._connect_kwargs)

    async def _on_connection(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` on a pooled connection in autocommit: each statement commits on its own."""
        try:
            async with asyncio.timeout(self._operation_timeout):
                conn = await self._pool.acquire()
                try:
                    return await work(conn)
                finally:
                    # Cut off mid-statement, the connection is not idle: the pool closes it.
                    self._pool.release(conn)
        except TimeoutError:
            raise StoreUnavailable(f"database did not answer within {self._operation_timeout:g} s") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # A pool timeout, a closed pool and a cancelled statement are OperationalErrors too.
            raise StoreUnavailable(f"database unavailable: {_reason(exc)}") from None

    async def _fetchone(self, sql: str | bytes, params: Sequence[Any]) -> tuple[Any, ...] | None:
        async def work(conn: AsyncConnection) -> tuple[Any, ...] | None:
            return await (await conn.execute(sql, params)).fetchone()

        return await self._on_connection(work)

    async def _rowcount(self, sql: str | bytes, params: Sequence[Any]) -> int:
        async def work(conn: AsyncConnection) -> int:
            return (await conn.execute(sql, params)).rowcount

        return await self._on_connection(work)

    async def _in_transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def transaction(conn: AsyncConnection) -> T:
            async with conn.transaction():
                return await work(conn)

        return await self._on_connection(transaction)

    def _run(self, work: Callable[[Connection], T]) -> T:
        """An admin operation: `work` in one transaction on a synchronous pooled connection."""
        if self._closed:
            raise StoreUnavailable("the store is closed")
        if self._admin_pool is None:
            self._admin_pool = ConnectionPool(
                self.url,
                kwargs=self._connect_kwargs,
                min_size=1,
                max_size=self._max_connections,
                timeout=self._pool_timeout,
                # Admin calls are rare: a round trip to check each connection costs nothing here.
                check=ConnectionPool.check_connection,
                reconnect_timeout=self._reconnect_seconds,
                open=False,
                name="evo-gateway-admin",
            )
            self._admin_pool.open(wait=False)
        try:
            with self._admin_pool.connection(timeout=self._pool_timeout) as conn:
                return work(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise StoreUnavailable(f"database unavailable: {_reason(exc)}") from None

    async def ping(self) -> None:
        """Readiness: return once the server answers a trivial query; StoreUnavailable if it cannot."""
        await self._fetchone("SELECT 1", ())

    def close(self) -> None:
        self._closed = True
        self._pool.close()
        if self._admin_pool is not None:
            self._admin_pool.close()

    # --- admin operations (synchronous, like SqliteStore's) ---

    def add_account(self, name: str) -> AccountRecord:
        record = AccountRecord(id=new_id(), name=name)

        def work(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO accounts (id, name, created_at) VALUES (%s, %s, %s)", (record.id, name, utc_now_iso())
            )

        try:
            self._run(work)
        except psycopg.errors.UniqueViolation:
            raise DuplicateName(f"an account named {name!r} already exists") from None
        return record

    def add_user(self, name: str, roles: Sequence[str] = (), password_hash: str | None = None) -> UserRecord:
        record = UserRecord(id=new_id(), name=name, roles=tuple(dict.fromkeys(roles)))

        def work(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO users (id, name, password_hash, created_at) VALUES (%s, %s, %s, %s)",
                (record.id, name, password_hash, utc_now_iso()),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO user_roles (user_id, role) VALUES (%s, %s)", [(record.id, r) for r in record.roles]
                )

        try:
            self._run(work)
        except psycopg.errors.UniqueViolation:
            raise DuplicateName(f"a user named {name!r} already exists") from None
        return record

    @staticmethod
    def _user_id(conn: Connection, user_name: str) -> str:
        row = conn.execute(f"SELECT u.id {_BY_FOLDED_NAME}", (user_name,)).fetchone()
        if row is None:
            raise UnknownUser(f"no user named {user_name!r}")
        return str(row[0])

    def add_api_key(self, user_name: str, label: str | None = None) -> str:
        key = generate_api_key()

        def work(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO api_keys (id, key_hash, user_id, label, created_at) VALUES (%s, %s, %s, %s, %s)",
                (new_id(), hash_api_key(key), self._user_id(conn, user_name), label, utc_now_iso()),
            )

        self._run(work)
        return key

    def list_accounts(self) -> list[AccountRecord]:
        rows = self._run(lambda conn: conn.execute("SELECT id, name FROM accounts ORDER BY name, id").fetchall())
        return [AccountRecord(id=row[0], name=row[1]) for row in rows]

    def list_users(self) -> list[UserSummary]:
        rows = self._run(
            lambda conn: conn.execute(
                f"SELECT u.id, u.name, u.password_hash IS NOT NULL, {_ROLES} FROM users AS u ORDER BY u.name, u.id"
            ).fetchall()
        )
        return [UserSummary(id=row[0], name=row[1], roles=tuple(sorted(row[3])), has_password=row[2]) for row in rows]

    def set_roles(self, user_name: str, roles: Sequence[str]) -> UserRecord:
        wanted = tuple(dict.fromkeys(roles))

        def work(conn: Connection) -> UserRecord:
            row = conn.execute(f"SELECT u.id, u.name {_BY_FOLDED_NAME} FOR UPDATE", (user_name,)).fetchone()
            if row is None:
                raise UnknownUser(f"no user named {user_name!r}")
            conn.execute("DELETE FROM user_roles WHERE user_id = %s", (row[0],))
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO user_roles (user_id, role) VALUES (%s, %s)", [(row[0], r) for r in wanted])
            return UserRecord(id=row[0], name=row[1], roles=tuple(sorted(wanted)))

        return self._run(work)

    def set_password(self, user_name: str, password_hash: str) -> str:
        def work(conn: Connection) -> str:
            user_id = self._user_id(conn, user_name)
            conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))
            return user_id

        return self._run(work)

    def remove_user(self, user_name: str) -> str:
        # Roles, API keys and logins go with the user (ON DELETE CASCADE).
        def work(conn: Connection) -> str:
            user_id = self._user_id(conn, user_name)
            conn.execute("DELETE FROM users WHERE id = %s", (user_id,))
            return user_id

        return self._run(work)

    def list_api_keys(self, user_name: str | None = None) -> list[ApiKeyRecord]:
        def work(conn: Connection) -> list[tuple[Any, ...]]:
            if user_name is None:
                return conn.execute(f"{_KEY_COLUMNS} ORDER BY u.name, k.created_at, k.id").fetchall()
            return conn.execute(
                f"{_KEY_COLUMNS} WHERE k.user_id = %s ORDER BY u.name, k.created_at, k.id",
                (self._user_id(conn, user_name),),
            ).fetchall()

        return [ApiKeyRecord(*row) for row in self._run(work)]

    def revoke_api_key(self, key_id_or_key: str) -> ApiKeyRecord:
        lookup = api_key_lookup(key_id_or_key)

        def work(conn: Connection) -> tuple[Any, ...] | None:
            row = conn.execute(f"{_KEY_COLUMNS} WHERE k.{lookup.column} = %s".encode(), (lookup.value,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM api_keys WHERE id = %s", (row[0],))
            return row

        row = self._run(work)
        if row is None:
            raise UnknownApiKey(lookup.described)
        return ApiKeyRecord(*row)

    def account_exists(self, account_id: str) -> bool:
        return self._run(
            lambda conn: conn.execute("SELECT 1 FROM accounts WHERE id = %s", (account_id,)).fetchone() is not None
        )

    # --- SessionStore ---

    async def create_session(self, *, account_id: str, purpose: str | None, actor_id: str, now: str) -> SessionRecord:
        session_id = new_id()

        # One statement: the insert happens only if the account exists, and the row comes back
        # with the account's name joined in.
        row = await self._fetchone(
            "WITH inserted AS (INSERT INTO ai_sessions (id, account_id, purpose, date_created,"
            " date_last_modified, created_by, last_modified_by)"
            " SELECT %s, a.id, %s, %s, %s, %s, %s FROM accounts AS a WHERE a.id = %s"
            " RETURNING *)"
            " SELECT s.id, s.account_id, a.name, s.purpose, s.date_created, s.date_last_modified, s.created_by,"
            " s.last_modified_by, s.version FROM inserted AS s JOIN accounts AS a ON a.id = s.account_id",
            (session_id, purpose, now, now, actor_id, actor_id, account_id),
        )
        if row is None:
            raise UnknownAccount(f"no account has id {account_id!r}")
        return _session(row)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        row = await self._fetchone(_SELECT_SESSION, (session_id,))
        return None if row is None else _session(row)

    async def patch_session(
        self, session_id: str, *, purpose: str | None, actor_id: str, now: str, expected: VersionMatch | None = None
    ) -> SessionRecord | None:
        params: tuple[Any, ...]
        if expected is None or expected.any_version:
            sql, params = _PATCH_RETURNING, (purpose, now, actor_id, session_id)
        else:
            sql, params = _PATCH_IF_VERSION_RETURNING, (purpose, now, actor_id, session_id, sorted(expected.versions))
        row = await self._fetchone(sql, params)
        return None if row is None else _session(row)

    async def delete_session(self, session_id: str, *, expected: VersionMatch | None = None) -> bool:
        params: tuple[Any, ...]
        if expected is None or expected.any_version:
            sql, params = _DELETE, (session_id,)
        else:
            sql, params = _DELETE_IF_VERSION, (session_id, sorted(expected.versions))
        return await self._rowcount(sql, params) > 0

    @staticmethod
    async def _list_sessions(conn: AsyncConnection, query: SessionQuery) -> SessionPage:
        where: list[str] = []
        params: list[Any] = []
        # One array parameter per id list: no limit on the number of ids.
        if query.account_ids:
            where.append("s.account_id = ANY(%s)")
            params.append(list(query.account_ids))
        if query.specific_ids:
            where.append("s.id = ANY(%s)")
            params.append(list(query.specific_ids))
        where_sql = f"WHERE {' AND '.join(where)}" if where else ""
        # The column comes from a fixed whitelist, never from the request text. SQLite puts NULL
        # first when ascending and last when descending; PostgreSQL is told to do the same.
        column = SORTABLE_FIELDS[query.sort_key]
        direction = "DESC NULLS LAST" if query.descending else "ASC NULLS FIRST"
        order_sql = f"ORDER BY {column} {direction}, id {direction}"
        page_sql = ""
        page_params: list[Any] = []
        if query.limit is not None:
            # One row beyond the page tells whether more pages exist without counting.
            page_sql = "LIMIT %s OFFSET %s"
            page_params = [query.limit + 1, query.offset]
        elif query.offset:
            page_sql = "OFFSET %s"
            page_params = [query.offset]
        # One snapshot for the page and its count, as SQLite's read transaction gives.
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = await (
            await conn.execute(
                f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} {where_sql} {order_sql} {page_sql}".encode(),
                [*params, *page_params],
            )
        ).fetchall()
        total = None
        if query.count_total:
            counted = await (
                await conn.execute(f"SELECT COUNT(*) {_SESSION_FROM} {where_sql}".encode(), params)
            ).fetchone()
            total = 0 if counted is None else int(counted[0])
        has_more = query.limit is not None and len(rows) > query.limit
        items = session_records(rows[: query.limit] if query.limit is not None else rows)
        return SessionPage(items=items, total_count=total, has_more=has_more)

    async def list_sessions(self, query: SessionQuery) -> SessionPage:
        return await self._in_transaction(lambda conn: self._list_sessions(conn, query))

    # --- IdentityStore ---

    async def _user(
        self, clause: str, params: Sequence[Any], *, columns: str = _USER_COLUMNS
    ) -> tuple[UserRecord, str | None] | None:
        # The third column is the password hash, or the key's last use for a lookup by key.
        row = await self._fetchone(f"{columns} {clause}".encode(), params)
        if row is None:
            return None
        return UserRecord(id=row[0], name=row[1], roles=tuple(sorted(row[3]))), row[2]

    async def user_by_name(self, name: str) -> tuple[UserRecord, str | None] | None:
        return await self._user(_BY_FOLDED_NAME, (name,))

    async def user_by_api_key_hash(self, key_hash: str) -> UserRecord | None:
        found = await self.api_key_user(key_hash)
        return None if found is None else found[0]

    async def api_key_user(self, key_hash: str) -> tuple[UserRecord, str | None] | None:
        return await self._user(
            "FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.key_hash = %s",
            (key_hash,),
            columns=_KEY_USER_COLUMNS,
        )

    async def record_api_key_use(self, key_hash: str, minute: str) -> None:
        await self._rowcount("UPDATE api_keys SET last_used_at = %s WHERE key_hash = %s", (minute, key_hash))

    async def create_login(self, user_id: str, *, login_id: str, expires_at: float) -> None:
        async def work(conn: AsyncConnection) -> None:
            # Expired logins are swept as new ones arrive, so the table stays small without a job.
            await conn.execute("DELETE FROM logins WHERE expires_at <= %s", (time.time(),))
            await conn.execute(
                "INSERT INTO logins (login_hash, user_id, expires_at) VALUES (%s, %s, %s)",
                (login_hash(login_id), user_id, expires_at),
            )

        await self._in_transaction(work)

    async def user_by_login(self, login_id: str, *, now: float) -> UserRecord | None:
        found = await self._user(
            "FROM logins AS l JOIN users AS u ON u.id = l.user_id WHERE l.login_hash = %s AND l.expires_at > %s",
            (login_hash(login_id), now),
        )
        return None if found is None else found[0]

    async def delete_login(self, login_id: str) -> None:
        await self._rowcount("DELETE FROM logins WHERE login_hash = %s", (login_hash(login_id),))


def _reason(exc: psycopg.Error) -> str:
    # libpq messages span lines; the CLI and the logs want one.
    return " ".join(str(exc).split()) or type(exc).__name__
