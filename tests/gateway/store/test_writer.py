"""Group commit: many writes in one transaction, a failing job rolled back alone, durable results."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

from gateway.store import SqliteStore, StoreUnavailable, UnknownAccount
from gateway.store.writer import GroupCommitWriter

NOW = "2026-11-24T10:00:00.000000Z"


def insert(x: int, conn: sqlite3.Connection) -> sqlite3.Cursor:
    return conn.execute("INSERT INTO t VALUES (?)", (x,))


def test_a_failing_job_rolls_back_alone(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "w.db"))
    account = store.add_account("Acme")

    async def scenario() -> list[object]:
        calls = [
            store.create_session(account_id=account.id if i % 3 else "missing", purpose=str(i), actor_id="u", now=NOW)
            for i in range(60)
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        results = anyio.run(scenario)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 20 and all(isinstance(f, UnknownAccount) for f in failures)
    finally:
        store.close()
    # Every acknowledged write is in the file, read back by a fresh connection.
    with sqlite3.connect(tmp_path / "w.db") as conn:
        purposes = {row[0] for row in conn.execute("SELECT purpose FROM ai_sessions")}
    assert purposes == {str(i) for i in range(60) if i % 3}


def test_jobs_queued_before_close_are_committed(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    writer = GroupCommitWriter(connect)

    async def scenario() -> None:
        await asyncio.gather(*(writer.submit(functools.partial(insert, i)) for i in range(50)))

    anyio.run(scenario)
    writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 50
    with pytest.raises(StoreUnavailable):
        anyio.run(writer.submit, lambda c: None)


def test_a_database_error_surfaces_as_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "e.db"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    writer = GroupCommitWriter(connect)
    try:
        with pytest.raises(StoreUnavailable, match="no such table"):
            anyio.run(writer.submit, lambda c: c.execute("INSERT INTO nowhere VALUES (1)"))
    finally:
        writer.close()


def test_a_job_that_fails_after_writing_is_undone_alone(tmp_path: Path) -> None:
    # The optimistic pass has no savepoints: a failure there must roll the whole transaction back
    # and replay the batch job by job, so the others' writes land and the failed one's do not.
    path = tmp_path / "p.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def job(i: int) -> Callable[[sqlite3.Connection], int]:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO t VALUES (?)", (i,))
            if i % 7 == 3:
                raise ValueError(f"job {i} changed its mind")
            return i

        return work

    writer = GroupCommitWriter(connect)

    async def scenario() -> list[object]:
        return await asyncio.gather(*(writer.submit(job(i)) for i in range(100)), return_exceptions=True)

    try:
        results = anyio.run(scenario)
    finally:
        writer.close()
    failed = {i for i, r in enumerate(results) if isinstance(r, ValueError)}
    assert failed == {i for i in range(100) if i % 7 == 3}
    assert [r for r in results if not isinstance(r, ValueError)] == [i for i in range(100) if i not in failed]
    with sqlite3.connect(path) as conn:
        stored = {row[0] for row in conn.execute("SELECT x FROM t")}
    assert stored == set(range(100)) - failed


def test_no_write_turn_in_time_fails_the_batch_and_writes_nothing(tmp_path: Path) -> None:
    # Another process holds the file's write turn past the busy timeout: the callers hear
    # StoreUnavailable, and no transaction was begun behind the turn's back.
    path = tmp_path / "t.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()
    entered: list[int] = []

    @contextlib.contextmanager
    def refused_turn() -> Iterator[None]:
        entered.append(1)
        raise StoreUnavailable("no write turn on the database within 0.1 s")
        yield

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    writer = GroupCommitWriter(connect, turn=refused_turn)

    async def scenario() -> list[object]:
        return await asyncio.gather(
            *(writer.submit(functools.partial(insert, i)) for i in range(20)),
            return_exceptions=True,
        )

    try:
        results = anyio.run(scenario)
    finally:
        writer.close()
    assert all(isinstance(r, StoreUnavailable) and "write turn" in str(r) for r in results)
    assert 1 <= len(entered) <= 20  # once per group, not once per job
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
