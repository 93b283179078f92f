"""A pool of async PostgreSQL connections that any event loop may borrow from.

psycopg_pool's async pool starts tasks on, and binds its locks to, the loop that opens it; the
store is called from several (uvicorn's in `serve`, a portal per test client, `anyio.run` in
tests). A psycopg `AsyncConnection` holds nothing bound to a loop between statements, so this pool
lends connections to whichever loop asks, one borrower per connection at a time, and keeps its
books under a thread lock. It is the store's serving path: one statement is one round trip on the
calling loop, with no worker thread in between.

- An idle connection whose socket has something to read has been told something unasked (the
  server shut down, or dropped it): it is closed, not lent, so a restarted database costs no
  failed request. Checking is a zero-timeout `select`, not a round trip.
- A connection given back mid-statement or mid-transaction (its borrower was cancelled) is closed;
  only an idle one is lent again.
- Waiting for a connection and opening one share one bound, `timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import psycopg
from psycopg.pq import TransactionStatus

__all__ = ["AsyncConnection", "AsyncPool", "PoolClosed", "PoolTimeout"]

AsyncConnection: TypeAlias = psycopg.AsyncConnection[tuple[Any, ...]]
#: What a waiter is handed: a connection, or None for "a slot is free: open a connection".
_Grant: TypeAlias = "AsyncConnection | None"


class PoolTimeout(psycopg.OperationalError):
    """No connection could be had within the pool's timeout."""


class PoolClosed(psycopg.OperationalError):
    """The pool was closed."""


class AsyncPool:
    def __init__(self, connect: Callable[[], Awaitable[AsyncConnection]], *, max_size: int, timeout: float) -> None:
        self._connect = connect
        self._max_size = max_size
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle: list[AsyncConnection] = []  # last in, first out: a few connections stay warm
        self._size = 0  # connections open or being opened
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Grant]]] = deque()
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    async def acquire(self) -> AsyncConnection:
        deadline = time.monotonic() + self._timeout
        while True:
            with self._lock:
                if self._closed:
                    raise PoolClosed("the connection pool is closed")
                while self._idle:
                    conn = self._idle.pop()
                    if _is_quiet(conn):
                        return conn
                    self._size -= 1
                    _close(conn)
                if self._size < self._max_size:
                    self._size += 1
                    break
                loop = asyncio.get_running_loop()
                waiter: asyncio.Future[_Grant] = loop.create_future()
                self._waiters.append((loop, waiter))
            grant = await self._wait(loop, waiter, deadline)
            if grant is None:
                break  # a slot was handed over: open a connection in it
            if _is_quiet(grant):
                return grant
            _close(grant)  # and open a fresh one in its slot
            break
        return await self._open(deadline)

    def release(self, conn: AsyncConnection) -> None:
        """Give `conn` back; it is lent again only if it is open and idle."""
        if self._closed or conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            _close(conn)
            self._free_slot()
            return
        with self._lock:
            if not self._hand_over(conn):
                self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._size -= len(idle)
            waiters, self._waiters = self._waiters, deque()
        for conn in idle:
            _close(conn)
        for loop, waiter in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed; nobody waits there any more
                loop.call_soon_threadsafe(_fail, waiter)

    async def _open(self, deadline: float) -> AsyncConnection:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                return await self._connect()
        except TimeoutError:
            self._free_slot()
            raise PoolTimeout(f"no database connection within {self._timeout:g} s") from None
        except BaseException:
            self._free_slot()
            raise

    async def _wait(self, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[_Grant], deadline: float) -> _Grant:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                return await waiter
        except BaseException as exc:
            # ValueError: already handed something, which `_deliver` will find not taken.
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove((loop, waiter))
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())  # it was handed over just as the wait ended
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"no database connection free within {self._timeout:g} s") from None
            raise

    def _free_slot(self) -> None:
        with self._lock:
            if not self._hand_over(None):
                self._size -= 1

    def _hand_over(self, grant: _Grant) -> bool:
        """Give `grant` to the longest waiter still waiting; False if there is none. Lock held."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        while self._waiters:
            loop, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            if loop is here:
                waiter.set_result(grant)  # schedules the waiter; nothing runs under the lock
                return True
            try:
                loop.call_soon_threadsafe(self._deliver, waiter, grant)
            except RuntimeError:  # that waiter's loop has closed
                continue
            return True
        return False

    def _deliver(self, waiter: asyncio.Future[_Grant], grant: _Grant) -> None:
        """On the waiter's own loop: hand `grant` over, or give it back if the wait has ended."""
        if waiter.done():
            self._give_back(grant)
        else:
            waiter.set_result(grant)

    def _give_back(self, grant: _Grant) -> None:
        if grant is None:
            self._free_slot()
        else:
            self.release(grant)


def _is_quiet(conn: AsyncConnection) -> bool:
    """An idle connection with nothing to read: not closed by the server since it was last used."""
    if conn.closed:
        return False
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return not readable


def _close(conn: AsyncConnection) -> None:
    # What `AsyncConnection.close()` does, without a loop: libpq's finish is synchronous.
    conn.pgconn.finish()


def _fail(waiter: asyncio.Future[_Grant]) -> None:
    if not waiter.done():
        waiter.set_exception(PoolClosed("the connection pool is closed"))
