"""`serve --server granian` against a real process: the same answers as uvicorn, byte for byte, and
each serving option as granian maps it (slow clients, the concurrency bound, proxies, workers, stop)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import cli
from .rawsockets import connect, trickle_to, wait_all_closed
from .served import db_in, seed, serving

GRANIAN = ("--server", "granian")

#: Headers each server sets its own way (or per request); everything else must match.
_SERVER_OWN = frozenset({"date", "server", "x-request-id"})

SLOW = 20  # connections per test: bounded, loopback only


def _requests(base: str, key: str, session: str) -> list[httpx.Response]:
    auth = {"Authorization": f"Bearer {key}"}
    json_auth = {**auth, "Content-Type": "application/json"}
    answers = []
    for accept in ("application/json", "text/jsv", "application/xml", "text/csv"):
        answers.append(httpx.get(f"{base}/ai/sessions/{session}", headers={**auth, "Accept": accept}))
        answers.append(httpx.get(f"{base}/ai/sessions", headers={**auth, "Accept": accept}))
    answers.append(httpx.get(f"{base}/ai/sessions/{session}.jsv", headers=auth))
    answers.append(httpx.get(f"{base}/ai/sessions/{session}?format=xml", headers=auth))
    answers.append(httpx.get(f"{base}/ai/sessions/{session}", headers={**auth, "If-None-Match": '"1"'}))
    answers.append(httpx.get(f"{base}/ai/sessions/{session}"))  # 401
    answers.append(httpx.get(f"{base}/no/such/route", headers=auth))  # 404
    answers.append(httpx.patch(f"{base}/ai/sessions/{session}", headers=json_auth, content=b"{not json"))  # 400
    answers.append(httpx.request("HEAD", f"{base}/ai/sessions/{session}", headers=auth))  # 405
    return answers


def _comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in _SERVER_OWN)
    return response.status_code, response.content, headers


def test_granian_answers_every_format_and_error_as_uvicorn_does(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Same Bytes")
    with serving(tmp_path, db) as served:
        auth = {"Authorization": f"Bearer {key}"}
        session = httpx.post(f"{served.base_url}/ai/sessions", headers=auth, json={"accountId": account}).json()["id"]
        on_uvicorn = [_comparable(r) for r in _requests(served.base_url, key, session)]
    with serving(tmp_path, db, *GRANIAN) as served:
        on_granian = [_comparable(r) for r in _requests(served.base_url, key, session)]
        patched = httpx.patch(
            f"{served.base_url}/ai/sessions/{session}", headers=auth, json={"purpose": "on granian"}
        ).json()
        log = served.log()
    assert [status for status, _, _ in on_uvicorn] == [200] * 8 + [200, 200, 304, 401, 404, 400, 405]
    assert on_granian == on_uvicorn
    assert patched["purpose"] == "on granian"
    assert "(granian, " in log


def test_slow_headers_stalled_bodies_and_idle_connections_are_cut_off(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, *GRANIAN, "--header-timeout", "1", "--body-timeout", "2") as served:
        trickled = [connect(served.port) for _ in range(SLOW)]
        trickle_to(trickled, b"GET /health HTTP/1.1\r\n")
        stalled = _stalled(served.port, SLOW)
        idle = [connect(served.port) for _ in range(SLOW)]
        trickle_to(idle, b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        # Meanwhile the server answers everyone else.
        assert httpx.get(f"{served.base_url}/health", timeout=5).status_code == 200
        closed = wait_all_closed(trickled, trickle=b"X", seconds=30)
        answers = [_read_until_closed(conn) for conn in stalled]
        closed_idle = wait_all_closed(idle, trickle=b"", seconds=30)
        for conn in trickled + stalled + idle:
            conn.close()
        log = served.log()
    assert closed == SLOW
    assert all(answer.startswith(b"HTTP/1.1 408") and b"RequestTimeout" in answer for answer in answers), answers[0]
    assert closed_idle == SLOW
    assert "the request body did not arrive within 2 s" in log
    assert "Traceback" not in log


def _stalled(port: int, count: int) -> list[socket.socket]:
    """Connections whose requests sent 5 of their body's 50 bytes, then nothing."""
    conns = [connect(port) for _ in range(count)]
    trickle_to(conns, b'POST /ai/sessions HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n{"acc')
    return conns


def _read_until_closed(conn: socket.socket) -> bytes:
    conn.settimeout(30)  # a server that never answers fails the test instead of hanging it
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def test_limit_concurrency_holds_requests_beyond_it_until_one_ends(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, *GRANIAN, "--limit-concurrency", "2", "--body-timeout", "60") as served:
        held = _stalled(served.port, 2)
        time.sleep(0.5)  # both requests are in the app, waiting for their bodies
        answered = threading.Event()
        status: list[int] = []

        def third() -> None:
            status.append(httpx.get(f"{served.base_url}/health", timeout=30).status_code)
            answered.set()

        waiter = threading.Thread(target=third)
        waiter.start()
        # Load can only delay an answer, so this cannot fail on a busy machine; an unbounded server
        # answers well within it.
        waited = not answered.wait(1.0)
        for conn in held:
            conn.close()  # the two requests end: the third is read and answered
        waiter.join(30)
    assert waited
    assert status == [200]


def test_forwarded_headers_from_an_allowed_proxy_set_the_base_url(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with serving(tmp_path, db, *GRANIAN) as served:
        trusted = httpx.get(f"{served.base_url}/openapi.json", headers=proxy).json()
    with serving(tmp_path, db, *GRANIAN, "--forwarded-allow-ips", "192.0.2.1") as served:
        untrusted = httpx.get(f"{served.base_url}/openapi.json", headers=proxy).json()
    assert trusted["servers"][0]["url"].startswith("https://127.0.0.1:")
    assert untrusted["servers"][0]["url"].startswith("http://127.0.0.1:")


def test_sigterm_lets_a_request_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Stopping Co")
    with serving(tmp_path, db, *GRANIAN) as served:
        body = f'{{"accountId":"{account}"}}'.encode()
        conn = socket.create_connection(("127.0.0.1", served.port), timeout=20)
        conn.sendall(
            f"POST /ai/sessions HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:5]
        )
        time.sleep(0.5)  # the request is in the app, waiting for the rest of its body
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        conn.sendall(body[5:])
        answer = _read_until_closed(conn)
        conn.close()
        assert served.process.wait(timeout=30) == 0
        log = served.log()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert b'"accountName":"Stopping Co"' in answer
    assert "Traceback" not in log


def test_two_workers_on_granian_read_their_writes(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Two Workers")
    auth = {"Authorization": f"Bearer {key}"}
    with serving(tmp_path, db, *GRANIAN, "--workers", "2") as served:
        session = httpx.post(f"{served.base_url}/ai/sessions", headers=auth, json={"accountId": account}).json()["id"]
        url = f"{served.base_url}/ai/sessions/{session}"
        for i in range(20):  # fresh connections, which the kernel deals out between the workers
            assert httpx.patch(url, headers=auth, json={"purpose": f"p{i}"}).json()["purpose"] == f"p{i}"
            assert httpx.get(url, headers=auth).json()["purpose"] == f"p{i}"
        log = served.log()
    assert log.count("(granian, ") == 2  # each worker said where it listens


def test_a_forced_stop_after_the_shutdown_timeout_answers_stalled_clients_503(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, *GRANIAN, "--shutdown-timeout", "1", "--body-timeout", "600") as served:
        stalled = _stalled(served.port, 5)
        time.sleep(0.5)
        started = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
        stopped_after = time.monotonic() - started
        answers = [_read_until_closed(conn) for conn in stalled]
        for conn in stalled:
            conn.close()
        log = served.log()
    assert stopped_after >= 1  # it waited for them first
    assert all(a.startswith(b"HTTP/1.1 503") and b"ServiceUnavailable" in a for a in answers), answers
    assert "ending 5 request(s) still in flight" in log
    assert "Traceback" not in log and "Application callable raised" not in log, log
    assert "stopped serving" in log  # granian's own stop ended, and the app's lifespan with it


@pytest.mark.parametrize(("timeout", "signals"), [("0", 1), ("600", 2)], ids=["no-grace", "second-signal"])
def test_no_grace_or_a_second_signal_forces_the_stop_at_once(tmp_path: Path, timeout: str, signals: int) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, *GRANIAN, "--shutdown-timeout", timeout, "--body-timeout", "600") as served:
        [stalled] = _stalled(served.port, 1)
        time.sleep(0.5)
        for _ in range(signals):
            served.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
        # Without the forced stop this would wait for the 600 s body deadline, past the 30 s bound.
        assert served.process.wait(timeout=30) == 0
        answer = _read_until_closed(stalled)
        stalled.close()
        log = served.log()
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert "Traceback" not in log and "stopped serving" in log, log
