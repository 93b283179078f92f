"""Configuration from flags and the environment, and the one-line start failures of `serve`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from gateway import __version__

from .conftest import cli_env, free_port, serve_command
from .served import db_in, seed, serving


def _run(args: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env={**cli_env(), **(env or {})}, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_version() -> None:
    done = _run([sys.executable, "-m", "gateway", "--version"])
    assert (done.returncode, done.stdout.strip()) == (0, f"evo-gateway {__version__}")


def test_help_shows_each_default_and_variable() -> None:
    done = _run([sys.executable, "-m", "gateway", "serve", "--help"])
    text = " ".join(done.stdout.split())
    for variable in ("EVO_GATEWAY_PORT", "EVO_GATEWAY_WORKERS", "EVO_GATEWAY_ACCESS_LOG", "EVO_GATEWAY_METRICS"):
        assert variable in text
    assert "(default: 8000; env EVO_GATEWAY_PORT)" in text


@pytest.mark.parametrize(
    ("variable", "value"),
    [("EVO_GATEWAY_PORT", "eighty"), ("EVO_GATEWAY_WORKERS", "0"), ("EVO_GATEWAY_ACCESS_LOG", "xml"),
     ("EVO_GATEWAY_METRICS", "maybe")],
)  # fmt: skip
def test_a_bad_variable_is_one_line_and_exit_2(tmp_path: Path, variable: str, value: str) -> None:
    # No flags at all: everything comes from the environment (or defaults), nothing is served.
    done = _run([sys.executable, "-m", "gateway", "--db", db_in(tmp_path), "serve"], env={variable: value})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evo-gateway serve: error:") and variable in lines[0]


def test_the_environment_configures_and_a_flag_beats_it(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    # EVO_GATEWAY_PORT names a port nobody listens on; the --port flag (serve_command's) wins.
    env = {"EVO_GATEWAY_PORT": str(free_port()), "EVO_GATEWAY_METRICS": "false", "EVO_GATEWAY_MAX_BODY_BYTES": "10"}
    with serving(tmp_path, db, "--max-body-bytes", "20", env=env) as served:
        assert httpx.get(f"{served.base_url}/metrics").status_code == 404  # off from the environment
        body = b'{"purpose":"' + b"x" * 10 + b'"}'  # 24 bytes: over both limits
        small = b'{"a":"xxxxx"}'  # 13 bytes: over the variable's 10, under the flag's 20
        assert httpx.post(f"{served.base_url}/ai/sessions", content=body).status_code == 413
        assert httpx.post(f"{served.base_url}/ai/sessions", content=small).status_code != 413


@pytest.mark.parametrize(
    ("env", "stack"),
    [
        ({}, "uvicorn, uvloop"),
        ({"EVO_GATEWAY_LOOP": "asyncio"}, "uvicorn, asyncio"),
        ({"EVO_GATEWAY_SERVER": "granian", "EVO_GATEWAY_LOOP": "asyncio"}, "granian, asyncio"),
    ],
)
def test_the_server_and_loop_are_uvicorn_and_uvloop_unless_asked(
    tmp_path: Path, env: dict[str, str], stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The defaults, even in a run of the suite on granian (.ci/run sets EVO_GATEWAY_SERVER).
    monkeypatch.delenv("EVO_GATEWAY_SERVER", raising=False)
    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db, env=env) as served:
        r = httpx.get(f"{served.base_url}/ai/sessions", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
        assert f"({stack} loop)" in served.log()


def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(serve_command(db_in(tmp_path), port))
    assert done.returncode == 1
    assert done.stderr.strip() == f"evo-gateway: error: cannot listen on 127.0.0.1:{port}: the port is already in use"


def test_a_bad_host_is_one_line_and_exit_1(tmp_path: Path) -> None:
    command = serve_command(db_in(tmp_path), free_port())
    command[command.index("--host") + 1] = "no-such-host.invalid"
    done = _run(command)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot listen on host 'no-such-host.invalid'" in lines[0]


def test_an_address_of_another_machine_is_one_line_and_exit_1(tmp_path: Path) -> None:
    command = serve_command(db_in(tmp_path), free_port())
    command[command.index("--host") + 1] = "192.0.2.1"  # TEST-NET-1: never local
    done = _run(command)
    assert done.returncode == 1
    assert done.stderr.strip().endswith("'192.0.2.1' is not an address of this machine")


def test_a_missing_database_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = _run(serve_command(f"sqlite:///{missing / 'gw.db'}", free_port()))
    assert done.returncode == 1
    assert done.stderr.strip() == f"evo-gateway: error: the database directory {str(missing)!r} does not exist"
    assert "lock" not in done.stderr
