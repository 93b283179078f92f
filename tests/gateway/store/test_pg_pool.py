"""The async connection pool behind the PostgreSQL store, against a real server: connections lent
across event loops, the size bound, waiting and its timeout, and what is never lent again."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from gateway.store.pg_pool import AsyncConnection, AsyncPool, PoolClosed, PoolTimeout


@pytest.fixture
def tagged(pg_url: str) -> Iterator[tuple[str, str]]:
    """The URL and an application name no other test's connections carry, to count ours."""
    yield pg_url, f"pool-test-{uuid.uuid4().hex[:12]}"


def make_pool(url: str, name: str, *, max_size: int = 2, timeout: float = 1.0) -> AsyncPool:
    async def connect() -> AsyncConnection:
        return await psycopg.AsyncConnection.connect(url, autocommit=True, application_name=name)

    return AsyncPool(connect, max_size=max_size, timeout=timeout)


def server_connections(url: str, name: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)).fetchone()
        assert row is not None
        return int(row[0])


async def backend_pid(pool: AsyncPool) -> int:
    conn = await pool.acquire()
    try:
        row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        pool.release(conn)


def test_one_connection_serves_loop_after_loop_and_thread_after_thread(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name)
    try:
        pids = {asyncio.run(backend_pid(pool)) for _ in range(3)}
        threads = [threading.Thread(target=lambda: pids.add(asyncio.run(backend_pid(pool)))) for _ in range(3)]
        for t in threads:
            t.start()
            t.join()
        assert len(pids) == 1  # six loops, one connection, reused
        assert pool.size == 1 and server_connections(url, name) == 1
    finally:
        pool.close()
    assert server_connections(url, name) == 0


def test_never_more_than_max_size_and_a_waiter_gets_the_next_release(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=2, timeout=5.0)

    async def scenario() -> None:
        held = [await pool.acquire(), await pool.acquire()]
        waiter = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.05)
        assert not waiter.done() and pool.size == 2
        pool.release(held[0])
        assert await asyncio.wait_for(waiter, 1) is held[0]
        pool.release(held[0])
        pool.release(held[1])
        # Twenty borrowers at once share the two connections.
        assert len(set(await asyncio.gather(*(backend_pid(pool) for _ in range(20))))) <= 2

    try:
        asyncio.run(scenario())
        assert server_connections(url, name) == 2
    finally:
        pool.close()


def test_a_waiter_on_another_loop_is_handed_the_connection(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1, timeout=5.0)
    got: list[AsyncConnection] = []

    async def hold_then_release(ready: threading.Event, waiting: threading.Event) -> None:
        conn = await pool.acquire()
        ready.set()
        assert await asyncio.to_thread(waiting.wait, 5)
        await asyncio.sleep(0.05)  # the other thread is inside acquire() by now
        pool.release(conn)

    ready, waiting = threading.Event(), threading.Event()

    async def borrow() -> None:
        assert ready.wait(5)
        waiting.set()
        conn = await pool.acquire()
        got.append(conn)
        pool.release(conn)

    other = threading.Thread(target=lambda: asyncio.run(borrow()))
    other.start()
    try:
        asyncio.run(hold_then_release(ready, waiting))
        other.join(5)
        assert len(got) == 1 and pool.size == 1
    finally:
        pool.close()


def test_waiting_is_bounded_by_the_timeout(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1, timeout=0.3)

    async def scenario() -> float:
        held = await pool.acquire()
        began = time.monotonic()
        with pytest.raises(PoolTimeout):
            await pool.acquire()
        waited = time.monotonic() - began
        pool.release(held)
        # The timed-out waiter left the queue: the connection is lent again at once.
        assert await pool.acquire() is held
        pool.release(held)
        return waited

    try:
        waited = asyncio.run(scenario())
        assert 0.25 <= waited < 3  # the bound, not some other wait
    finally:
        pool.close()


def test_a_connection_given_back_mid_statement_is_closed_not_lent(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1)

    async def scenario() -> None:
        async def slow() -> None:
            conn = await pool.acquire()
            try:
                await conn.execute("SELECT pg_sleep(5)")
            finally:
                pool.release(conn)

        task = asyncio.ensure_future(slow())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Whatever state the cancelled statement left, the next borrower gets a working connection.
        assert await backend_pid(pool) > 0
        assert pool.size == 1

    try:
        asyncio.run(scenario())
    finally:
        pool.close()


def test_a_connection_in_a_transaction_is_not_lent_again(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1)

    async def scenario() -> None:
        conn = await pool.acquire()
        await conn.execute("BEGIN")
        pid = await backend_pid_of(conn)
        pool.release(conn)
        assert conn.closed
        assert await backend_pid(pool) != pid

    try:
        asyncio.run(scenario())
    finally:
        pool.close()


async def backend_pid_of(conn: AsyncConnection) -> int:
    row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1)
    try:
        pid = asyncio.run(backend_pid(pool))
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 5
        while server_connections(url, name) and time.monotonic() < deadline:
            time.sleep(0.02)
        # No statement fails: the dropped connection is found before it is lent.
        assert asyncio.run(backend_pid(pool)) != pid
        assert pool.size == 1
    finally:
        pool.close()


def test_close_ends_idle_connections_and_refuses_borrowers(tagged: tuple[str, str]) -> None:
    url, name = tagged
    pool = make_pool(url, name, max_size=1, timeout=5.0)

    async def scenario() -> None:
        held = await pool.acquire()
        waiter = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.05)
        pool.close()
        with pytest.raises(PoolClosed):
            await waiter
        pool.release(held)  # a connection in use when the pool closed is closed on its return
        assert held.closed
        with pytest.raises(PoolClosed):
            await pool.acquire()

    asyncio.run(scenario())
    assert server_connections(url, name) == 0
