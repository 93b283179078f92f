"""`evo-gateway serve` as a process: logs on stderr only, a clean exit 0 on SIGTERM and SIGINT, and
a request already in flight when the signal lands is answered before the process exits."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import cli, cli_env, free_port, running_server, serve_command


def _start(db_url: str, port: int, out: Path, err: Path, *extra: str) -> subprocess.Popen[bytes]:
    with out.open("wb") as out_file, err.open("wb") as err_file:
        process = subprocess.Popen(
            serve_command(db_url, port, *extra),
            env=cli_env(),
            stdout=out_file,
            stderr=err_file,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/ai/sessions", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(err.read_text()) from None
            time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_and_finishes_the_request_in_flight(tmp_path: Path, sig: signal.Signals) -> None:
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    account_id = cli(db_url, "accounts", "add", "Acme")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    key = cli(db_url, "apikeys", "create", "admin")
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    process = _start(db_url, port, out, err)
    try:
        body = f'{{"accountId":"{account_id}","purpose":"in flight"}}'.encode()
        head = (
            f"POST /ai/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            # Half the body now; the signal arrives while the server is still reading the request.
            conn.sendall(head + body[:10])
            time.sleep(0.3)
            process.send_signal(sig)
            time.sleep(0.3)
            conn.sendall(body[10:])
            response = b""
            while chunk := conn.recv(65536):
                response += chunk
        assert response.startswith(b"HTTP/1.1 200"), response[:200]
        assert b'"purpose":"in flight"' in response
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert out.read_text() == ""
    logs = err.read_text()
    assert "POST /ai/sessions" in logs and "stopped serving" in logs


def test_a_client_that_stalls_mid_body_cannot_hold_the_shutdown(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    cli(db_url, "accounts", "add", "Acme")
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    process = _start(db_url, port, out, err, "--shutdown-timeout", "1")
    try:
        head = (
            b"POST /ai/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(head + b'{"acc')  # 5 of the 50 bytes, and then nothing
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            # Within 15 s: half the 30 s body timeout, so only the shutdown timeout can end it in time.
            assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stopped serving" in err.read_text()


def test_serve_negotiation_strict_answers_406(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    key = cli(db_url, "apikeys", "create", "admin")
    port = free_port()
    process = _start(db_url, port, tmp_path / "out.log", tmp_path / "err.log", "--negotiation", "strict")
    try:
        headers = {"Authorization": f"Bearer {key}"}
        r = httpx.get(f"http://127.0.0.1:{port}/ai/sessions", headers={**headers, "Accept": "image/png"}, timeout=10)
        assert r.status_code == 406 and r.json()["responseStatus"]["errorCode"] == "NotAcceptable"
        r = httpx.get(f"http://127.0.0.1:{port}/ai/sessions", headers={**headers, "Accept": "text/csv"}, timeout=10)
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


@pytest.mark.parametrize(("serve_args", "limit"), [((), 1024 * 1024), (("--max-body-bytes", "100"), 100)])
def test_the_body_limit_is_1_mib_unless_configured(tmp_path: Path, serve_args: tuple[str, ...], limit: int) -> None:
    db_url = f"sqlite:///{tmp_path / 'limit.db'}"
    account_id = cli(db_url, "accounts", "add", "Acme")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    auth = {"Authorization": f"Bearer {cli(db_url, 'apikeys', 'create', 'admin')}", "Content-Type": "application/json"}
    with running_server(db_url, *serve_args) as base:
        prefix = f'{{"accountId":"{account_id}","purpose":"'.encode()

        def body(size: int) -> bytes:
            # Padded with white space: a purpose of that size would meet the string limit first.
            return prefix + b'x"}' + b" " * (size - len(prefix) - 3)

        fits = httpx.post(f"{base}/ai/sessions", content=body(limit), headers=auth, timeout=30)
        assert fits.status_code == 200
        over = httpx.post(f"{base}/ai/sessions", content=body(limit + 1), headers=auth, timeout=30)
        assert over.status_code == 413 and over.json()["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
        listed = httpx.get(f"{base}/ai/sessions", headers=auth, timeout=10).json()
        assert listed["totalCount"] == 1  # the refused body created nothing


def test_a_second_server_on_the_same_file_is_refused_but_the_cli_works_beside_it(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'owned.db'}"
    cli(db_url, "accounts", "add", "Acme")
    with running_server(db_url) as base:
        second = subprocess.run(
            serve_command(db_url, free_port()), capture_output=True, text=True, env=cli_env(), timeout=60
        )
        assert second.returncode == 1
        assert second.stderr.strip().endswith("is already served by another evo-gateway process")
        assert second.stderr.count("\n") == 1
        # Seeding beside a running server still works: only `serve` takes the lock.
        cli(db_url, "users", "add", "late", "--role", "SystemAdministrator")
        key = cli(db_url, "apikeys", "create", "late")
        r = httpx.get(f"{base}/ai/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert r.status_code == 200


def test_a_client_that_leaves_mid_body_is_no_server_error(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'gone.db'}"
    cli(db_url, "accounts", "add", "Acme")
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    process = _start(db_url, port, out, err)
    try:
        head = b"PATCH /ai/sessions/x HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(head + b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"pur\r\nzz\r\n')  # a bad chunk
            conn.recv(65536)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(head + b'Content-Length: 50\r\n\r\n{"pur')
            time.sleep(0.3)  # then hang up with 45 bytes owed
        time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/ai/sessions", timeout=10).status_code == 401  # still serving
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    logs = err.read_text()
    assert "ERROR" not in logs and "Traceback" not in logs, logs
