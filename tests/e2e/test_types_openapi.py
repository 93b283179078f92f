"""The OpenAPI document against the running server: schemathesis generates requests from
/openapi.json (authenticated as the admin) and checks every answer: no 5xx, and every status,
content type, header and body as the document says. A bounded run: seeded, a few examples each."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import LiveServer

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if Path(found).exists():
        return found
    if os.environ.get("CI"):
        pytest.fail("schemathesis is not installed (pip install schemathesis)")
    pytest.skip("schemathesis is not installed (pip install schemathesis)")


def test_schemathesis_finds_no_server_errors_or_undocumented_responses(live_server: LiveServer, tmp_path: Path) -> None:
    # A real session for the `{sessionId}` routes, so their 200 answers get checked too (random ids
    # only ever reach the 404 path). schemathesis reads its config from the working directory.
    created = httpx.post(
        f"{live_server.base_url}/ai/sessions",
        json={"accountId": live_server.account_id, "purpose": "schemathesis"},
        headers={"Authorization": f"Bearer {live_server.admin_key}"},
        timeout=10,
    )
    assert created.status_code == 200
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.sessionId" = "{created.json()["id"]}"\n')
    done = subprocess.run(
        [
            schemathesis(),
            "run",
            f"{live_server.base_url}/openapi.json",
            "--checks",
            CHECKS,
            # The gateway is lenient by design (ServiceStack binds what it can), so only
            # schema-valid requests are generated: negative cases would "fail" on purpose.
            "--mode",
            "positive",
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            "10",
            "--seed",
            "20261124",
            "--max-time",
            "45",
            "--workers",
            "2",
            "--header",
            f"Authorization: Bearer {live_server.admin_key}",
            "--request-timeout",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", done.stdout), done.stdout[-3000:]
