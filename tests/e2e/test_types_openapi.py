"""The OpenAPI document against the running server, in two bounded, seeded schemathesis runs as
the admin.

- Positive: schema-valid requests only. There must be no 5xx, every status, content type, header
  and body must be as the document says, and no schema-valid request may be refused
  (`positive_data_acceptance`: a 400 means the document promised too much).
- Negative: schema-violating requests (wrong types, missing members, undeclared content types,
  malformed bodies). The only check is that none gets a 5xx: the gateway is lenient by design
  (ServiceStack binds what it can), so an accepted invalid request is not a failure.

Real identifiers come from the config file. One session is read and patched and must survive both
runs. Each DELETE route gets a session of its own to delete. The real account goes into
NewAISession bodies.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from .conftest import LiveServer

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
CONFORMANCE = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
]
#: Every operation in the document, as schemathesis names them.
OPERATIONS = [
    "POST /ai/sessions",
    "GET /ai/sessions",
    "GET /ai/sessions/{sessionId}",
    "PATCH /ai/sessions/{sessionId}",
    "DELETE /ai/sessions/{sessionId}",
    "POST /api/NewAISession",
    "GET /api/ListAISessions",
    "GET /api/GetAISession",
    "PATCH /api/PatchAISession",
    "DELETE /api/DeleteAISession",
]


def schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if Path(found).exists():
        return found
    if os.environ.get("CI"):
        pytest.fail("schemathesis is not installed (pip install schemathesis)")
    pytest.skip("schemathesis is not installed (pip install schemathesis)")


def config(account_id: str, keep: str, doomed_route: str, doomed_api: str) -> str:
    """schemathesis.toml. Fixed values replace generated ones, in the path, the query, the
    headers and the body. Operation blocks override the global values, and the first block that matches wins,
    so each block names one operation exactly."""
    return f"""
[parameters]
"path.sessionId" = "{keep}"
"query.sessionId" = "{keep}"
"body.sessionId" = "{keep}"
"body.accountId" = "{account_id}"
# A generated tag is a stale one, and a stale If-Match is rightly 412; `*` only asks that the
# session exists. (tests/gateway/test_http_preconditions.py covers the tags themselves.)
"header.If-Match" = "*"
# Generated header text is mostly filtered out as unsendable (a failed health check); "0" is a
# well-formed tag no session has (versions start at 1), so GETs are parsed for it and answer 200.
"header.If-None-Match" = '"0"'

[[operations]]
include-name = "DELETE /ai/sessions/{{sessionId}}"
parameters = {{ "path.sessionId" = "{doomed_route}" }}

[[operations]]
include-name = "DELETE /api/DeleteAISession"
parameters = {{ "query.sessionId" = "{doomed_api}" }}

# The coverage phase does not apply body values, so it would send NewAISession an account that
# does not exist, a 400 no document can rule out. Fuzzing still sends these two the real account.
# The negative run covers both operations in its coverage phase.
[[operations]]
include-name = ["POST /ai/sessions", "POST /api/NewAISession"]
phases.coverage.enabled = false
"""


def run(live_server: LiveServer, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            schemathesis(),
            "run",
            f"{live_server.base_url}/openapi.json",
            "--phases",
            "coverage,fuzzing",
            "--seed",
            "20261124",
            # One worker: two threads in hypothesis's lambda-source parsing hit CPython 3.11's
            # "AST constructor recursion depth mismatch" SystemError (a race fixed in 3.12).
            "--workers",
            "1",
            "--header",
            f"Authorization: Bearer {live_server.admin_key}",
            "--request-timeout",
            "10",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "NO_COLOR": "1"},
    )


def statuses(har: Path) -> dict[str, set[int]]:
    """The statuses each operation got, read from the HAR report of the run."""
    out: dict[str, set[int]] = collections.defaultdict(set)
    for entry in json.loads(har.read_text())["log"]["entries"]:
        path = urlsplit(entry["request"]["url"]).path
        if path.startswith("/ai/sessions/"):
            path = "/ai/sessions/{sessionId}"
        out[f"{entry['request']['method']} {path}"].add(entry["response"]["status"])
    return out


def test_schemathesis_finds_no_server_errors_or_undocumented_responses(live_server: LiveServer, tmp_path: Path) -> None:
    admin = {"Authorization": f"Bearer {live_server.admin_key}"}

    def new_session(purpose: str) -> str:
        body = {"accountId": live_server.account_id, "purpose": purpose}
        created = httpx.post(f"{live_server.base_url}/ai/sessions", json=body, headers=admin, timeout=10)
        assert created.status_code == 200, created.text
        return str(created.json()["id"])

    keep = new_session("schemathesis: read and patched, never deleted")
    doomed_route, doomed_api = new_session("deleted by DELETE /ai/sessions"), new_session("deleted by /api")
    (tmp_path / "schemathesis.toml").write_text(config(live_server.account_id, keep, doomed_route, doomed_api))
    before = httpx.get(f"{live_server.base_url}/ai/sessions/{keep}", headers=admin, timeout=10).json()

    har = tmp_path / "positive.har"
    positive = run(
        live_server,
        tmp_path,
        "--mode",
        "positive",
        "--checks",
        ",".join(CONFORMANCE),
        "--max-examples",
        "60",
        "--report",
        "har",
        "--report-har-path",
        str(har),
    )
    assert positive.returncode == 0, positive.stdout[-6000:] + positive.stderr[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", positive.stdout), positive.stdout[-3000:]
    # With real identifiers, every operation reached its success path, not only its 404.
    seen = statuses(har)
    assert set(OPERATIONS) <= set(seen), sorted(seen)
    for operation in OPERATIONS:
        assert any(200 <= s < 300 for s in seen[operation]), (operation, seen[operation])
    assert 204 in seen["DELETE /ai/sessions/{sessionId}"] and 204 in seen["DELETE /api/DeleteAISession"]

    negative = run(
        live_server,
        tmp_path,
        "--mode",
        "negative",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "60",
    )
    assert negative.returncode == 0, negative.stdout[-6000:] + negative.stderr[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", negative.stdout), negative.stdout[-3000:]

    # The shared session survived both runs, and the positive run's PATCHes reached it.
    after = httpx.get(f"{live_server.base_url}/ai/sessions/{keep}", headers=admin, timeout=10)
    assert after.status_code == 200
    assert after.json()["dateLastModified"] != before["dateLastModified"]
    for doomed in (doomed_route, doomed_api):
        assert httpx.get(f"{live_server.base_url}/ai/sessions/{doomed}", headers=admin, timeout=10).status_code == 404
