"""Slow and idle clients against a real `serve` process, over raw sockets."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx2 as httpx

from .rawsockets import closed_by_server, connect, trickle_to, wait_all_closed
from .served import db_in, seed, serving

SLOW = 50  # connections per test: bounded, loopback only


def test_slowloris_headers_are_cut_off_and_normal_requests_still_answered(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db, "--header-timeout", "2") as served:
        slow = [connect(served.port) for _ in range(SLOW)]
        trickle_to(slow, b"GET /ai/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # While all of them trickle, ordinary requests are answered (a generous bound: no timing claim).
        for _ in range(10):
            response = httpx.get(
                f"{served.base_url}/ai/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=5
            )
            assert response.status_code == 200
        # One header byte at a time never completes the headers; each connection is closed anyway.
        closed = wait_all_closed(slow, trickle=b"X", seconds=30)
        for conn in slow:
            conn.close()
    assert closed == SLOW


def test_a_stalled_body_is_cut_off(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--body-timeout", "2") as served:
        head = b"PATCH /ai/sessions/x HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        short = [connect(served.port) for _ in range(SLOW // 2)]
        trickle_to(short, head + b'Content-Length: 50\r\n\r\n{"pur')  # 5 of 50 bytes, then nothing
        chunked = [connect(served.port) for _ in range(SLOW // 2)]
        trickle_to(chunked, head + b"Transfer-Encoding: chunked\r\n\r\n")
        # A chunked body at one byte per chunk, every quarter second: it never ends in time.
        closed = wait_all_closed(short, trickle=b"", seconds=30)
        closed_chunked = wait_all_closed(chunked, trickle=b"1\r\na\r\n", seconds=30)
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
        idle = [connect(served.port) for _ in range(SLOW)]
        trickle_to(idle, b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        time.sleep(0.5)
        answers = 0
        for conn in idle:
            conn.setblocking(True)
            answers += conn.recv(65536).startswith(b"HTTP/1.1 200")
            conn.setblocking(False)
        closed = wait_all_closed(idle, trickle=b"", seconds=30)
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
        conn = connect(served.port)
        answered = 0
        started = time.monotonic()
        while time.monotonic() - started < 3.5:  # three and a half header deadlines
            conn.send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
            answered += _answer(conn).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
        still_open = not closed_by_server(conn)
        conn.close()
    assert answered >= 10 and still_open


def test_a_trickled_request_after_a_response_is_cut_off(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--header-timeout", "1", "--timeout-keep-alive", "1") as served:
        conns = [connect(served.port) for _ in range(10)]
        for conn in conns:
            conn.send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        answered = sum(_answer(conn).startswith(b"HTTP/1.1 200") for conn in conns)
        # The next request's headers, a byte every quarter second: never complete.
        trickle_to(conns, b"GET /health HTTP/1.1\r\n")
        closed = wait_all_closed(conns, trickle=b"X", seconds=30)
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
        conn = connect(served.port)
        conn.send(
            b"POST /json/reply/NewAISession HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
            b"Content-Length: 9000\r\n\r\n"
        )
        early = _answer(conn)
        conn.send(b"x" * 9000)  # the body, late
        trickle_to([conn], b"GET /health HTTP/1.1\r\n")
        closed = wait_all_closed([conn], trickle=b"X", seconds=30)
        conn.close()
    assert early.startswith(b"HTTP/1.1 413")
    assert closed == 1


def test_beyond_the_concurrency_limit_requests_get_503(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--limit-concurrency", "10", "--header-timeout", "60") as served:
        held = [connect(served.port) for _ in range(10)]
        time.sleep(0.5)  # let the server accept them all
        refused = httpx.get(f"{served.base_url}/health", timeout=10)
        for conn in held:
            conn.close()
        time.sleep(0.5)
        accepted = httpx.get(f"{served.base_url}/health", timeout=10)
    assert refused.status_code == 503
    assert accepted.status_code == 200
