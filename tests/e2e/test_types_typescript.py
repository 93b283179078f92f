"""Add ServiceStack Reference for TypeScript: fetch /types/typescript from the running server, compile
it with `tsc --strict` beside a small driver, and run the same operations under Node with
`@servicestack/client`'s JsonServiceClient. Node and the npm packages come from `.ci/setup-node`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import LiveServer

NODE_PROJECT = Path(__file__).resolve().parent / "node"
TSC = NODE_PROJECT / "node_modules" / ".bin" / "tsc"


def tool(path: str | None, what: str) -> str:
    """A binary the test needs: missing fails in CI (CI=1/true), skips locally with the reason."""
    if path and Path(path).exists():
        return path
    message = f"{what} is not installed (run .ci/setup-node)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_typescript_dtos_compile_and_drive_the_api(live_server: LiveServer, tmp_path: Path) -> None:
    node = tool(shutil.which("node"), "node")
    tsc = tool(str(TSC), "typescript (npm)")
    response = httpx.get(f"{live_server.base_url}/types/typescript", timeout=10)
    assert response.status_code == 200
    assert response.text.startswith("/* Options:\n")
    (tmp_path / "dtos.ts").write_text(response.text)
    shutil.copy(NODE_PROJECT / "drive.ts", tmp_path / "drive.ts")
    (tmp_path / "node_modules").symlink_to(NODE_PROJECT / "node_modules", target_is_directory=True)
    compiled = subprocess.run(
        [
            node,
            tsc,
            "--strict",
            "--target",
            "es2020",
            "--module",
            "commonjs",
            "--moduleResolution",
            "node",
            "--skipLibCheck",
            "--outDir",
            "out",
            "drive.ts",
            "dtos.ts",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    run = subprocess.run(
        [node, "out/drive.js", live_server.base_url, live_server.admin_key, live_server.account_id],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    created = seen["created"]
    assert created["accountId"] == live_server.account_id and created["purpose"] == "node"
    assert created["accountName"] == "Acme Voice" and created["id"]
    assert seen["fetched"] == created
    assert seen["patched"]["id"] == created["id"] and seen["patched"]["purpose"] == "node-patched"
    assert seen["sent"]["purpose"] == "node-sent"
    assert created["id"] in seen["listed"]
    assert seen["afterDelete"] == "NotFound"
