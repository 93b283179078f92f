"""Slow and idle clients against a real `serve` process, over raw sockets."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from pathlib import Path

import httpx2 as httpx

from .served import db_in, seed, serving

SLOW = 50  # connections per test: bounded, loopback only


def _connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.setblocking(False)
    return conn


def _closed_by_server(conn: socket.socket) -> bool:
    """True once the server has closed (or reset) the connection; False while it is open."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def _trickle(conns: list[socket.socket], data: bytes) -> None:
    for conn in conns:
        with contextlib.suppress(BlockingIOError, ConnectionResetError, BrokenPipeError):
            conn.send(data)


def _wait_all_closed(conns: list[socket.socket], *, trickle: bytes, seconds: float) -> int:
    """Keep trickling `trickle` to every open connection; how many the server closed in time."""
    open_ = list(conns)
    deadline = time.monotonic() + seconds
    while open_ and time.monotonic() < deadline:
        _trickle(open_, trickle)
        time.sleep(0.25)
        open_ = [conn for conn in open_ if not _closed_by_server(conn)]
    return len(conns) - len(open_)


def test_slowloris_headers_are_cut_off_and_normal_requests_still_answered(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db, "--header-timeout", "2") as served:
        slow = [_connect(served.port) for _ in range(SLOW)]
        _trickle(slow, b"GET /ai/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # While all of them trickle, ordinary requests are answered (a generous bound: no timing claim).
        for _ in range(10):
            response = httpx.get(
                f"{served.base_url}/ai/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=5
            )
            assert response.status_code == 200
        # One header byte at a time never completes the headers; each connection is closed anyway.
        closed = _wait_all_closed(slow, trickle=b"X", seconds=30)
        for conn in slow:
            conn.close()
    assert closed == SLOW


def test_a_stalled_body_is_cut_off(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--body-timeout", "2") as served:
        head = b"PATCH /ai/sessions/x HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        short = [_connect(served.port) for _ in range(SLOW // 2)]
        _trickle(short, head + b'Content-Length: 50\r\n\r\n{"pur')  # 5 of 50 bytes, then nothing
        chunked = [_connect(served.port) for _ in range(SLOW // 2)]
        _trickle(chunked, head + b"Transfer-Encoding: chunked\r\n\r\n")
        # A chunked body at one byte per chunk, every quarter second: it never ends in time.
        closed = _wait_all_closed(short, trickle=b"", seconds=30)
        closed_chunked = _wait_all_closed(chunked, trickle=b"1\r\na\r\n", seconds=30)
        assert httpx.get(f"{served.base_url}/health").status_code == 200
        for conn in short + chunked:
            conn.close()
        log = served.log()
    assert (closed, closed_chunked) == (SLOW // 2, SLOW // 2)
    assert "Traceback" not in log


def test_idle_keep_alive_connections_are_closed(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--timeout-keep-alive", "1") as served:
        idle = [_connect(served.port) for _ in range(SLOW)]
        _trickle(idle, b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        time.sleep(0.5)
        answers = 0
        for conn in idle:
            conn.setblocking(True)
            answers += conn.recv(65536).startswith(b"HTTP/1.1 200")
            conn.setblocking(False)
        closed = _wait_all_closed(idle, trickle=b"", seconds=30)
        for conn in idle:
            conn.close()
    assert answers == SLOW
    assert closed == SLOW


def _answer(conn: socket.socket) -> bytes:
    """One whole response to a /health request (its body is short and has a Content-Length)."""
    conn.settimeout(10)  # a server that never answers fails the test instead of hanging it
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.setblocking(False)
    return data


def test_a_busy_keep_alive_connection_outlives_the_header_deadline(tmp_path: Path) -> None:
    # Deadlines are re-armed per request: requests that each arrive whole keep a connection open
    # for as long as they come, far past the header deadline of its first request.
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--header-timeout", "1") as served:
        conn = _connect(served.port)
        answered = 0
        started = time.monotonic()
        while time.monotonic() - started < 3.5:  # three and a half header deadlines
            conn.send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
            answered += _answer(conn).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
        still_open = not _closed_by_server(conn)
        conn.close()
    assert answered >= 10 and still_open


def test_a_trickled_request_after_a_response_is_cut_off(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--header-timeout", "1", "--timeout-keep-alive", "1") as served:
        conns = [_connect(served.port) for _ in range(10)]
        for conn in conns:
            conn.send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        answered = sum(_answer(conn).startswith(b"HTTP/1.1 200") for conn in conns)
        # The next request's headers, a byte every quarter second: never complete.
        _trickle(conns, b"GET /health HTTP/1.1\r\n")
        closed = _wait_all_closed(conns, trickle=b"X", seconds=30)
        for conn in conns:
            conn.close()
        log = served.log()
    assert answered == 10 and closed == 10
    assert "no complete request headers in time" in log


def test_a_request_after_an_early_answer_is_still_under_the_header_deadline(tmp_path: Path) -> None:
    # A 413 is answered before its body is read; the body arriving afterwards must not clear the
    # deadline the connection now waits under for its next request's headers.
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--header-timeout", "1", "--timeout-keep-alive", "1") as served:
        conn = _connect(served.port)
        conn.send(
            b"POST /json/reply/NewAISession HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
            b"Content-Length: 9000\r\n\r\n"
        )
        early = _answer(conn)
        conn.send(b"x" * 9000)  # the body, late
        _trickle([conn], b"GET /health HTTP/1.1\r\n")
        closed = _wait_all_closed([conn], trickle=b"X", seconds=30)
        conn.close()
    assert early.startswith(b"HTTP/1.1 413")
    assert closed == 1


def test_beyond_the_concurrency_limit_requests_get_503(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--limit-concurrency", "10", "--header-timeout", "60") as served:
        held = [_connect(served.port) for _ in range(10)]
        time.sleep(0.5)  # let the server accept them all
        refused = httpx.get(f"{served.base_url}/health", timeout=10)
        for conn in held:
            conn.close()
        time.sleep(0.5)
        accepted = httpx.get(f"{served.base_url}/health", timeout=10)
    assert refused.status_code == 503
    assert accepted.status_code == 200
