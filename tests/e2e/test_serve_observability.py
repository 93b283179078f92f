"""Health, readiness, request ids and the access log, against a real `serve` process."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx2 as httpx

from .served import db_in, seed, serving


def test_health_and_ready_need_no_auth_and_are_not_logged(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db) as served:
        health = httpx.get(f"{served.base_url}/health")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        ready = httpx.get(f"{served.base_url}/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        # Not a probe: an operation path still needs auth.
        assert httpx.get(f"{served.base_url}/ai/sessions").status_code == 401
        time.sleep(0.3)
        log = served.log()
    assert "GET /ai/sessions 401" in log
    assert "/health" not in log and "/ready" not in log


def test_ready_is_503_with_the_reason_when_the_database_is_gone(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--access-log-probes") as served:
        # Replaced by a file that is no database: connections opened from now on fail (the probe's
        # thread opens its first one when asked).
        path = tmp_path / "gateway.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"this is not a SQLite database" * 200)
        ready = httpx.get(f"{served.base_url}/ready", timeout=10)
        health = httpx.get(f"{served.base_url}/health", timeout=10)
        time.sleep(0.3)
        log = served.log()
    assert ready.status_code == 503, ready.text
    assert ready.json()["status"] == "unavailable"
    assert "not a database" in ready.json()["reason"]
    assert health.status_code == 200  # the process itself is fine
    assert "GET /ready 503" in log  # --access-log-probes logs them


def test_request_ids_are_kept_when_sane_and_made_otherwise(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    auth = {"Authorization": f"Bearer {key}"}
    with serving(tmp_path, db) as served:
        kept = httpx.get(f"{served.base_url}/ai/sessions", headers={**auth, "X-Request-Id": "abc-123.X_y"})
        made = [
            httpx.get(f"{served.base_url}/ai/sessions", headers={**auth, "X-Request-Id": bad})
            for bad in ("has space", "x" * 129, "")
        ]
        plain = httpx.get(f"{served.base_url}/ai/sessions", headers=auth)
        time.sleep(0.3)
        log = served.log()
    assert kept.headers["x-request-id"] == "abc-123.X_y"
    ids = [response.headers["x-request-id"] for response in [*made, plain]]
    assert all(len(i) == 32 and i.isalnum() for i in ids) and len(set(ids)) == len(ids)
    assert "id=abc-123.X_y" in log
    assert all(f"id={i}" in log for i in ids)


def test_no_secret_reaches_the_log(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--log-level", "debug") as served:
        refused = httpx.get(f"{served.base_url}/auth/credentials?userName=x&password=SECRET1")
        httpx.get(f"{served.base_url}/ai/sessions?ApiKey=SECRET2&Ss-Tok=SECRET3&ss-id=SECRET4&x=visible")
        httpx.get(f"{served.base_url}/json/reply/GetAISession?PASSWORD=SECRET5&token=SECRET6&ss-pid=SECRET7")
        time.sleep(0.3)
        log = served.log()
    assert refused.status_code in (400, 401, 403, 405)
    assert "SECRET" not in log, log
    assert "password=***" in log and "x=visible" in log


def test_json_access_log_has_every_field(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db, "--access-log", "json") as served:
        httpx.get(f"{served.base_url}/ai/sessions/nope?apikey=k", headers={"Authorization": f"Bearer {key}"})
        time.sleep(0.3)
        lines = [line for line in served.log().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    entry = next(e for e in entries if e["path"].startswith("/ai/sessions/nope"))
    assert entry["path"] == "/ai/sessions/nope?apikey=***"
    assert entry["method"] == "GET" and entry["status"] == 404
    assert set(entry) >= {"time", "duration_ms", "operation", "format", "user_id", "error_code", "request_id"}
    assert entry["duration_ms"] >= 0 and entry["request_id"]
    # What the endpoint learnt: the operation, the negotiated format, the caller and the error code.
    assert (entry["operation"], entry["format"], entry["error_code"]) == ("GetAISession", "json", "NotFound")
    assert len(entry["user_id"]) == 32


def test_text_access_log_names_operation_format_user_and_error(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db) as served:
        httpx.get(f"{served.base_url}/ai/sessions.xml", headers={"Authorization": f"Bearer {key}"})
        httpx.get(f"{served.base_url}/ai/sessions/nope?format=jsv")
        time.sleep(0.3)
        log = served.log()
    listed = next(line for line in log.splitlines() if "/ai/sessions.xml" in line)
    assert " 200 " in listed and "op=ListAISessions format=xml user=" in listed and "error=-" in listed
    assert "user=-" not in listed
    refused = next(line for line in log.splitlines() if "/ai/sessions/nope" in line)
    assert "op=GetAISession format=jsv user=- error=Unauthorized" in refused


def test_access_log_off_writes_no_request_lines(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, env={"EVO_GATEWAY_ACCESS_LOG": "off"}) as served:
        httpx.get(f"{served.base_url}/ai/sessions")
        time.sleep(0.3)
        log = served.log()
    assert "/ai/sessions" not in log
    assert os.environ.get("EVO_GATEWAY_ACCESS_LOG") is None  # the test's own environment is untouched
