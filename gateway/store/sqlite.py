"""The embedded store: one SQLite file in WAL mode.

- Writes from the service go to one writer thread that commits in groups (`writer.py`); with
  `synchronous=FULL` the response leaves only after the write is on disk.
- Point reads (a session by id, a user by key) run inline on the calling thread with that thread's
  own connection: in WAL mode readers never wait for the writer, and a primary-key lookup costs
  less than a hop to a worker thread. So do list pages of up to 1,000 rows; an unbounded list
  (`all`) runs on a worker thread.
- The synchronous admin methods (the CLI's) use plain `BEGIN IMMEDIATE` transactions and SQLite's
  busy timeout, so they work beside a running server.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

import anyio.to_thread

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
from .cache import CommitCache
from .generation import SharedGeneration
from .ids import api_key_lookup, login_hash, new_id
from .migrations import MIGRATIONS
from .writer import GroupCommitWriter

__all__ = ["SqliteStore"]

T = TypeVar("T")

_SESSION_COLUMNS = """
    s.id AS id, s.account_id AS account_id, a.name AS account_name, s.purpose AS purpose,
    s.date_created AS date_created, s.date_last_modified AS date_last_modified,
    s.created_by AS created_by, s.last_modified_by AS last_modified_by, s.version AS version
"""
_SESSION_FROM = "FROM ai_sessions AS s JOIN accounts AS a ON a.id = s.account_id"
_PATCH = (
    "UPDATE ai_sessions SET purpose = COALESCE(?, purpose), date_last_modified = ?, last_modified_by = ?,"
    " version = version + 1 WHERE id = ?"
)
_RETURNING = (
    " RETURNING id, account_id,"
    " (SELECT name FROM accounts WHERE accounts.id = ai_sessions.account_id) AS account_name,"
    " purpose, date_created, date_last_modified, created_by, last_modified_by, version"
)
_PATCH_RETURNING = _PATCH + _RETURNING
#: The If-Match form: the version is compared in the same statement that writes, so two writers
#: holding the same tag cannot both succeed.
_PATCH_IF_VERSION_RETURNING = _PATCH + " AND version IN (SELECT value FROM json_each(?))" + _RETURNING
_DELETE = "DELETE FROM ai_sessions WHERE id = ?"
_DELETE_IF_VERSION = _DELETE + " AND version IN (SELECT value FROM json_each(?))"


_SELECT_SESSION = f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?"
#: List pages up to this size are read on the calling thread (see `list_sessions`).
_INLINE_LIST_LIMIT = 1000


def _claim(path: str) -> int:
    """Hold `<path>-serve.lock` exclusively for as long as the returned descriptor stays open."""
    # Named after the real file, so a symlink or another spelling of the path finds the same lock.
    lock_path = f"{os.path.realpath(path)}-serve.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreUnavailable(f"cannot open {lock_path!r}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreUnavailable(f"database {path!r} is already served by another evo-gateway process") from None
    return fd


def _session(row: sqlite3.Row) -> SessionRecord:
    # Positional: _SESSION_COLUMNS and _PATCH_RETURNING select SessionRecord's fields in its order
    # (tests/gateway/store/test_sqlite_only.py holds them to it), and a Row unpacks 2.5x faster than
    # it is read by name.
    return SessionRecord(*row)


def _versions(expected: VersionMatch) -> str:
    # One JSON parameter for json_each, however many tags If-Match listed.
    return json.dumps(sorted(expected.versions))


class SqliteStore:
    """`SessionStore` and `IdentityStore` over one SQLite file, plus the admin operations the CLI
    uses. Opening it creates the file if needed and applies pending migrations."""

    def __init__(self, path: str, *, busy_timeout_seconds: float = 30.0, owner: bool = False) -> None:
        """`owner`: this process serves the file (`serve`, or the supervisor of `--workers`): it
        takes the file's serve lock, and a second owner fails with StoreUnavailable. Any number of
        other stores (workers, the CLI, tests) may share the file. Every store caches sessions read
        by id, under the file's shared commit counter (`generation.py`), so a commit by any of them
        is seen by all."""
        self.path = path
        self._busy_timeout = busy_timeout_seconds
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._owner_lock = _claim(path) if owner else None
        self._sessions: CommitCache[str, SessionRecord] = CommitCache()
        try:
            self._migrate(self._connection())
            # After the file opened, so that a path that cannot be opened is reported as the database.
            self._generation = SharedGeneration(path)
        except BaseException:
            self._close_connections()
            self._release_owner_lock()
            raise
        self._writer = GroupCommitWriter(self._open, turn=self._write_turn)

    def _release_owner_lock(self) -> None:
        if self._owner_lock is not None:
            os.close(self._owner_lock)  # closing the descriptor drops the flock
            self._owner_lock = None

    # --- connections and transactions ---

    def _open(self) -> sqlite3.Connection:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False only so
            # close() may close every thread's connection at shutdown.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open database {self.path!r}: {exc}") from None
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _write_turn(self) -> AbstractContextManager[None]:
        """The file's write turn among every process on it, held from BEGIN to COMMIT; it counts
        the commit before the write is acknowledged (generation.py)."""
        return self._generation.writing(self._busy_timeout)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        try:
            with self._write_turn() if write else nullcontext():
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"database error: {exc}") from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                conn.execute("ROLLBACK")
                raise StoreUnavailable(
                    f"database {self.path!r} has schema version {version}; this gateway knows up to {len(MIGRATIONS)}"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                # executescript() would COMMIT first; run statement by statement inside our transaction.
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"cannot open database {self.path!r}: {exc}") from None

    async def _in_worker_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))

    def _read(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        try:
            row: sqlite3.Row | None = self._connection().execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"database error: {exc}") from None
        return row

    async def ping(self) -> None:
        """Readiness: return once the file answers a trivial query; StoreUnavailable if it cannot."""
        await self._in_worker_thread(self._read, "PRAGMA user_version", ())

    def close(self) -> None:
        self._writer.close()
        self._close_connections()
        self._generation.close()
        self._release_owner_lock()

    def _close_connections(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    # --- admin operations (synchronous: the CLI and tests call them directly) ---

    def add_account(self, name: str) -> AccountRecord:
        record = AccountRecord(id=new_id(), name=name)
        try:
            with self._transaction(write=True) as conn:
                conn.execute(
                    "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)", (record.id, name, utc_now_iso())
                )
        except sqlite3.IntegrityError:
            raise DuplicateName(f"an account named {name!r} already exists") from None
        return record

    def add_user(self, name: str, roles: Sequence[str] = (), password_hash: str | None = None) -> UserRecord:
        record = UserRecord(id=new_id(), name=name, roles=tuple(dict.fromkeys(roles)))
        try:
            with self._transaction(write=True) as conn:
                conn.execute(
                    "INSERT INTO users (id, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (record.id, name, password_hash, utc_now_iso()),
                )
                conn.executemany(
                    "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", [(record.id, r) for r in record.roles]
                )
        except sqlite3.IntegrityError:
            raise DuplicateName(f"a user named {name!r} already exists") from None
        return record

    def _user_id(self, conn: sqlite3.Connection, user_name: str) -> str:
        # The name column is COLLATE NOCASE: this matches ASCII case-insensitively, as names are unique.
        row = conn.execute("SELECT id FROM users WHERE name = ?", (user_name,)).fetchone()
        if row is None:
            raise UnknownUser(f"no user named {user_name!r}")
        return str(row["id"])

    def add_api_key(self, user_name: str, label: str | None = None) -> str:
        """Create an API key for the user; returns the key, which is stored only as a hash."""
        key = generate_api_key()
        with self._transaction(write=True) as conn:
            conn.execute(
                "INSERT INTO api_keys (id, key_hash, user_id, label, created_at) VALUES (?, ?, ?, ?, ?)",
                (new_id(), hash_api_key(key), self._user_id(conn, user_name), label, utc_now_iso()),
            )
        return key

    def list_accounts(self) -> list[AccountRecord]:
        with self._transaction(write=False) as conn:
            rows = conn.execute("SELECT id, name FROM accounts ORDER BY name, id").fetchall()
        return [AccountRecord(id=row["id"], name=row["name"]) for row in rows]

    def list_users(self) -> list[UserSummary]:
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT u.id, u.name, u.password_hash IS NOT NULL AS has_password,"
                " (SELECT group_concat(role, char(31)) FROM user_roles WHERE user_id = u.id) AS roles"
                " FROM users AS u ORDER BY u.name COLLATE BINARY, u.id"
            ).fetchall()
        return [
            UserSummary(
                id=row["id"],
                name=row["name"],
                roles=tuple(sorted(row["roles"].split("\x1f"))) if row["roles"] else (),
                has_password=bool(row["has_password"]),
            )
            for row in rows
        ]

    def set_roles(self, user_name: str, roles: Sequence[str]) -> UserRecord:
        wanted = tuple(dict.fromkeys(roles))
        with self._transaction(write=True) as conn:
            row = conn.execute("SELECT id, name FROM users WHERE name = ?", (user_name,)).fetchone()
            if row is None:
                raise UnknownUser(f"no user named {user_name!r}")
            conn.execute("DELETE FROM user_roles WHERE user_id = ?", (row["id"],))
            conn.executemany("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", [(row["id"], r) for r in wanted])
        return UserRecord(id=row["id"], name=row["name"], roles=tuple(sorted(wanted)))

    def set_password(self, user_name: str, password_hash: str) -> str:
        with self._transaction(write=True) as conn:
            user_id = self._user_id(conn, user_name)
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
        return user_id

    def remove_user(self, user_name: str) -> str:
        # Roles, API keys and logins go with the user (ON DELETE CASCADE, foreign_keys=ON).
        with self._transaction(write=True) as conn:
            user_id = self._user_id(conn, user_name)
            conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return user_id

    def list_api_keys(self, user_name: str | None = None) -> list[ApiKeyRecord]:
        with self._transaction(write=False) as conn:
            where, params = "", tuple[str, ...]()
            if user_name is not None:
                where, params = "WHERE k.user_id = ?", (self._user_id(conn, user_name),)
            rows = conn.execute(
                "SELECT k.id, u.name, k.label, k.created_at, k.last_used_at"
                f" FROM api_keys AS k JOIN users AS u ON u.id = k.user_id {where}"
                " ORDER BY u.name COLLATE BINARY, k.created_at, k.id",
                params,
            ).fetchall()
        return [ApiKeyRecord(*row) for row in rows]

    def revoke_api_key(self, key_id_or_key: str) -> ApiKeyRecord:
        lookup = api_key_lookup(key_id_or_key)
        with self._transaction(write=True) as conn:
            row = conn.execute(
                "SELECT k.id, u.name, k.label, k.created_at, k.last_used_at"
                f" FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.{lookup.column} = ?",
                (lookup.value,),
            ).fetchone()
            if row is None:
                raise UnknownApiKey(lookup.described)
            conn.execute("DELETE FROM api_keys WHERE id = ?", (row["id"],))
        return ApiKeyRecord(*row)

    def account_exists(self, account_id: str) -> bool:
        with self._transaction(write=False) as conn:
            return conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone() is not None

    # --- SessionStore ---

    def _select_session(self, conn: sqlite3.Connection, session_id: str) -> SessionRecord | None:
        row = conn.execute(_SELECT_SESSION, (session_id,)).fetchone()
        return None if row is None else _session(row)

    async def create_session(self, *, account_id: str, purpose: str | None, actor_id: str, now: str) -> SessionRecord:
        session_id = new_id()

        def work(conn: sqlite3.Connection) -> SessionRecord:
            if conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone() is None:
                raise UnknownAccount(f"no account has id {account_id!r}")
            conn.execute(
                "INSERT INTO ai_sessions (id, account_id, purpose, date_created, date_last_modified, created_by,"
                " last_modified_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, account_id, purpose, now, now, actor_id, actor_id),
            )
            record = self._select_session(conn, session_id)
            assert record is not None
            return record

        return await self._writer.submit(work)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        # Observed before the read, so the record holds every commit counted up to it (cache.py).
        generation = self._generation.current()
        record = self._sessions.get(session_id, generation)
        if record is None:
            row = self._read(_SELECT_SESSION, (session_id,))
            if row is None:
                return None  # misses are not cached: unknown ids must not fill the cache
            record = _session(row)
            self._sessions.put(session_id, record, generation)
        return record

    async def patch_session(
        self, session_id: str, *, purpose: str | None, actor_id: str, now: str, expected: VersionMatch | None = None
    ) -> SessionRecord | None:
        params: tuple[Any, ...]
        if expected is None or expected.any_version:
            sql, params = _PATCH_RETURNING, (purpose, now, actor_id, session_id)
        else:
            sql, params = _PATCH_IF_VERSION_RETURNING, (purpose, now, actor_id, session_id, _versions(expected))

        def work(conn: sqlite3.Connection) -> SessionRecord | None:
            # One statement, not UPDATE then SELECT: every statement on the writer thread costs a
            # GIL round trip under load.
            row = conn.execute(sql, params).fetchone()
            return None if row is None else _session(row)

        return await self._writer.submit(work)

    async def delete_session(self, session_id: str, *, expected: VersionMatch | None = None) -> bool:
        params: tuple[Any, ...]
        if expected is None or expected.any_version:
            sql, params = _DELETE, (session_id,)
        else:
            sql, params = _DELETE_IF_VERSION, (session_id, _versions(expected))

        def work(conn: sqlite3.Connection) -> bool:
            return bool(conn.execute(sql, params).rowcount > 0)

        return await self._writer.submit(work)

    def _list_sessions(self, query: SessionQuery) -> SessionPage:
        where: list[str] = []
        params: list[Any] = []
        # json_each binds a whole id list as one parameter: no limit on the number of ids.
        if query.account_ids:
            where.append("s.account_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(query.account_ids)))
        if query.specific_ids:
            where.append("s.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(query.specific_ids)))
        where_sql = f"WHERE {' AND '.join(where)}" if where else ""
        # The column comes from a fixed whitelist, never from the request text.
        column = SORTABLE_FIELDS[query.sort_key]
        direction = "DESC" if query.descending else "ASC"
        order_sql = f"ORDER BY {column} {direction}, id {direction}"
        page_sql = ""
        page_params: list[Any] = []
        if query.limit is not None:
            # One row beyond the page tells whether more pages exist without counting.
            page_sql = "LIMIT ? OFFSET ?"
            page_params = [query.limit + 1, query.offset]
        elif query.offset:
            page_sql = "LIMIT -1 OFFSET ?"
            page_params = [query.offset]
        with self._transaction(write=False) as conn:
            cursor = conn.cursor()
            cursor.row_factory = None  # plain tuples: SessionRecord is built positionally anyway
            rows = cursor.execute(
                f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} {where_sql} {order_sql} {page_sql}", [*params, *page_params]
            ).fetchall()
            total = None
            if query.count_total:
                # Without the join: every session has exactly one account (a NOT NULL foreign key,
                # enforced), and the join made the count ten times dearer.
                count_sql = f"SELECT COUNT(*) FROM ai_sessions AS s {where_sql}"
                total = int(conn.execute(count_sql, params).fetchone()[0])
        has_more = query.limit is not None and len(rows) > query.limit
        items = session_records(rows[: query.limit] if query.limit is not None else rows)
        return SessionPage(items=items, total_count=total, has_more=has_more)

    async def list_sessions(self, query: SessionQuery) -> SessionPage:
        if query.limit is not None and query.limit <= _INLINE_LIST_LIMIT:
            # A bounded page reads in about a millisecond: inline it costs less than the hop, and
            # under load dozens of worker threads contending for the GIL cost ten times more.
            return self._list_sessions(query)
        return await self._in_worker_thread(self._list_sessions, query)

    # --- IdentityStore ---

    def _user(
        self, clause: str, params: Sequence[Any], *, third: str = "u.password_hash"
    ) -> tuple[UserRecord, str | None] | None:
        # One statement (roles folded in with group_concat), so a lookup needs no explicit transaction.
        row = self._read(
            f"SELECT u.id, u.name, {third} AS third,"
            " (SELECT group_concat(role, char(31)) FROM user_roles WHERE user_id = u.id) AS roles"
            f" {clause}",
            params,
        )
        if row is None:
            return None
        roles = tuple(sorted(row["roles"].split("\x1f"))) if row["roles"] else ()
        return UserRecord(id=row["id"], name=row["name"], roles=roles), row["third"]

    async def user_by_name(self, name: str) -> tuple[UserRecord, str | None] | None:
        return self._user("FROM users AS u WHERE u.name = ?", (name,))

    async def user_by_api_key_hash(self, key_hash: str) -> UserRecord | None:
        found = await self.api_key_user(key_hash)
        return None if found is None else found[0]

    async def api_key_user(self, key_hash: str) -> tuple[UserRecord, str | None] | None:
        # _user's third column is the password hash; here it is the key's last use instead.
        return self._user(
            "FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.key_hash = ?",
            (key_hash,),
            third="k.last_used_at",
        )

    async def record_api_key_use(self, key_hash: str, minute: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?", (minute, key_hash))

        await self._writer.submit(work)

    async def create_login(self, user_id: str, *, login_id: str, expires_at: float) -> None:
        def work(conn: sqlite3.Connection) -> None:
            # Expired logins are swept as new ones arrive, so the table stays small without a job.
            conn.execute("DELETE FROM logins WHERE expires_at <= ?", (time.time(),))
            conn.execute(
                "INSERT INTO logins (login_hash, user_id, expires_at) VALUES (?, ?, ?)",
                (login_hash(login_id), user_id, expires_at),
            )

        await self._writer.submit(work)

    async def user_by_login(self, login_id: str, *, now: float) -> UserRecord | None:
        found = self._user(
            "FROM logins AS l JOIN users AS u ON u.id = l.user_id WHERE l.login_hash = ? AND l.expires_at > ?",
            (login_hash(login_id), now),
        )
        return None if found is None else found[0]

    async def delete_login(self, login_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM logins WHERE login_hash = ?", (login_hash(login_id),))

        await self._writer.submit(work)
