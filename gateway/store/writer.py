"""A single writer thread with group commit, for SQLite.

SQLite allows one writer at a time. Letting many threads race for the lock makes losers sleep in
SQLite's busy handler (back-off steps up to 100 ms), and every commit pays its own fsync. Instead,
async callers queue write jobs to one thread, which runs everything queued so far in one
transaction and commits once. A caller's future resolves only after that COMMIT (and its fsync)
returns, so an acknowledged write is a durable write.

A failing job must roll back alone. Jobs rarely fail, so a batch first runs straight through; only
if a job raises is the transaction rolled back and the batch run again with a SAVEPOINT around
each job. (Savepoints on every job doubled the statements per write, and under load every
statement is a GIL round trip for this thread.)
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..serving.metrics import observe_writer_batch
from .base import StoreUnavailable

__all__ = ["GroupCommitWriter"]

T = TypeVar("T")

#: Enough to amortise an fsync over a burst, small enough to bound one transaction's latency.
MAX_BATCH = 256


@dataclass(slots=True)
class _Job(Generic[T]):
    work: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop


_Outcome = tuple[Any, BaseException | None]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the caller went away; the write itself stands
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _settle_all(settlements: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in settlements:
        _settle(future, result, error)


class _JobFailed(Exception):
    """A job raised during the optimistic pass: run the batch again with savepoints."""


def _as_store_error(exc: BaseException) -> BaseException:
    # Integrity errors are the job's own business (duplicates, foreign keys); any other SQLite
    # error means the database itself is in trouble.
    if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError):
        return StoreUnavailable(f"database error: {exc}")
    return exc


class GroupCommitWriter:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        turn: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self._connect = connect
        #: Held around each group transaction: the file's write turn among processes, which counts
        #: the commit on its way out, before any caller hears of it (generation.py).
        self._turn = turn
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._closed = False
        self._thread.start()

    async def submit(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` inside the next group transaction; return once it is committed."""
        if self._closed:
            raise StoreUnavailable("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    def close(self) -> None:
        """Finish every queued job, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = self._connect()
        except BaseException as exc:
            self._fail_all(exc)
            return
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch: list[_Job[Any]] = [first]
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stop = True
                        break
                    batch.append(job)
                self._commit(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job[Any]]) -> None:
        try:
            with self._turn():
                try:
                    outcomes = self._run_batch(conn, batch, isolated=False)
                except _JobFailed:
                    conn.execute("ROLLBACK")
                    outcomes = self._run_batch(conn, batch, isolated=True)
            observe_writer_batch(len(batch))
        except StoreUnavailable as exc:  # no write turn in time; nothing was begun
            outcomes = [(None, exc) for _ in batch]
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure = StoreUnavailable(f"database error: {exc}")
            outcomes = [(None, failure) for _ in batch]
        # One wake-up per event loop for the whole batch, not one per job.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
        for job, (result, error) in zip(batch, outcomes, strict=True):
            by_loop.setdefault(job.loop, []).append((job.future, result, error))
        for loop, settlements in by_loop.items():
            # RuntimeError: that caller's event loop has closed; nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle_all, settlements)

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Job[Any]], *, isolated: bool) -> list[_Outcome]:
        """Run every job in one transaction and commit. Not `isolated`: the first job to raise
        aborts the pass with _JobFailed (the caller rolls back). `isolated`: each job runs in its
        own SAVEPOINT, and one that raises is rolled back alone and reports its error."""
        outcomes: list[_Outcome] = []
        conn.execute("BEGIN IMMEDIATE")
        for job in batch:
            if not isolated:
                try:
                    outcomes.append((job.work(conn), None))
                except Exception as exc:
                    raise _JobFailed from exc
                continue
            conn.execute("SAVEPOINT job")
            try:
                result = job.work(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((None, _as_store_error(exc)))
            else:
                conn.execute("RELEASE job")
                outcomes.append((result, None))
        conn.execute("COMMIT")
        return outcomes

    def _fail_all(self, exc: BaseException) -> None:
        error = _as_store_error(exc)
        while True:
            job = self._queue.get()
            if job is None:
                return
            with contextlib.suppress(RuntimeError):
                job.loop.call_soon_threadsafe(_settle, job.future, None, error)
