"""A `serve` process for the serving tests: its log file, its process and its URL, and seeding."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from .conftest import cli, cli_env, free_port, serve_command


@dataclass
class Served:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not stop on SIGTERM:\n{self.log()}") from None


def seed(db_url: str) -> str:
    """An account and an admin; the admin's API key."""
    cli(db_url, "accounts", "add", "Acme Voice")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    return cli(db_url, "apikeys", "create", "admin")


@contextmanager
def serving(
    tmp_path: Path, db_url: str, *serve_args: str, env: dict[str, str] | None = None, stop_timeout: float = 30
) -> Iterator[Served]:
    """`serve` until the block ends, then SIGTERM it and require exit 0."""
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command(db_url, port, *serve_args),
            env={**cli_env(), **(env or {})},
            stdout=log,
            stderr=log,
        )
    served = Served(f"http://127.0.0.1:{port}", port, process, log_path)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{served.base_url}/health", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise RuntimeError(f"server did not start: {served.log()}") from None
            time.sleep(0.1)
    try:
        yield served
    finally:
        status = served.stop(stop_timeout)
        assert status == 0, served.log()


def db_in(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.db'}"


__all__ = ["Served", "db_in", "seed", "serving"]
