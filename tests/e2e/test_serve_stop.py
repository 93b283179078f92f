"""A forced stop after --shutdown-timeout, and running behind a proxy."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx2 as httpx

from .served import db_in, seed, serving


def test_a_forced_stop_hangs_up_on_stalled_clients_without_a_traceback(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--shutdown-timeout", "1", "--body-timeout", "600") as served:
        head = b"POST /ai/sessions HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n"
        stalled = [socket.create_connection(("127.0.0.1", served.port), timeout=20) for _ in range(5)]
        for conn in stalled:
            conn.sendall(head + b'{"acc')  # 5 of 50 bytes: each request waits for the rest
        time.sleep(0.5)
        served.process.send_signal(signal.SIGTERM)
        answers = []
        for conn in stalled:
            try:
                answers.append(conn.recv(65536))
            except ConnectionResetError:
                answers.append(b"")
            conn.close()
        assert served.process.wait(timeout=30) == 0
        log = served.log()
    assert answers == [b""] * 5  # closed, not a plain-text 500
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
    assert "shutdown timeout (1 s) exceeded: closing 5 connection(s)" in log


def test_forwarded_headers_from_an_allowed_proxy_set_the_base_url(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with serving(tmp_path, db, env={"EVO_GATEWAY_FORWARDED_ALLOW_IPS": "127.0.0.1"}) as served:
        trusted = httpx.get(f"{served.base_url}/openapi.json", headers=proxy).json()
    with serving(tmp_path, db, "--forwarded-allow-ips", "192.0.2.1") as served:
        untrusted = httpx.get(f"{served.base_url}/openapi.json", headers=proxy).json()
    assert trusted["servers"][0]["url"].startswith("https://127.0.0.1:")
    assert untrusted["servers"][0]["url"].startswith("http://127.0.0.1:")
