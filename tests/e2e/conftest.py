"""A real gateway: the `evo-gateway` CLI seeds a SQLite file, then `serve` runs uvicorn on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "e2e-admin-password"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "codecs"), env.get("PYTHONPATH", "")])
    return env


def cli(db_url: str, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(db_url: str, port: int, *serve_args: str) -> list[str]:
    """`evo-gateway serve` on loopback, as the tests start it."""
    return [
        sys.executable,
        "-m",
        "gateway",
        "--db",
        db_url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *serve_args,
    ]


@dataclass
class LiveServer:
    base_url: str
    db_url: str
    account_id: str
    admin_id: str
    admin_key: str


@contextmanager
def running_server(db_url: str, *serve_args: str) -> Iterator[str]:
    """Run `evo-gateway serve` until the block ends; then SIGTERM it and require a clean exit 0."""
    port = free_port()
    # Logs go to a file, not a pipe: an unread pipe fills up and stalls the server.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            serve_command(db_url, port, *serve_args),
            env=cli_env(),
            stdout=log,
            stderr=log,
            text=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/ai/sessions", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    log.seek(0)
                    raise RuntimeError(f"server did not start: {log.read()}") from None
                time.sleep(0.1)
        try:
            yield base_url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail("the server did not stop on SIGTERM")
            log.seek(0)
            assert process.returncode == 0, log.read()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'gateway.db'}"
    account_id = cli(db_url, "accounts", "add", "Acme Voice")
    admin_id = cli(
        db_url,
        "users",
        "add",
        "admin",
        "--role",
        "SystemAdministrator",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    admin_key = cli(db_url, "apikeys", "create", "admin")
    with running_server(db_url) as base_url:
        yield LiveServer(base_url, db_url, account_id, admin_id, admin_key)
