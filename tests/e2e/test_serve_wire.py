"""The wire options of a real `serve`: compressed request bodies (always on), `--cors-origin` and
its companions from flags and the environment."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import brotli
import httpx2 as httpx
import pytest

from .conftest import cli_env, free_port, serve_command
from .served import db_in, seed, serving

APP = "https://app.example.com"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env={**cli_env(), **(env or {})}, capture_output=True, text=True, timeout=60, check=False
    )


def _cors(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k.startswith("access-control-")]


def _pinned(name: str) -> list[tuple[str, str]]:
    lines = (FIXTURES / "cors" / f"{name}.headers").read_text().splitlines()
    return [(key, value) for key, _, value in (line.partition(": ") for line in lines)]


def test_compressed_bodies_are_read_and_bounded_by_max_body_bytes(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with serving(tmp_path, db, "--max-body-bytes", "4096") as served:
        url = f"{served.base_url}/ai/sessions"
        listed = httpx.get(url, headers=account).json()
        assert listed["items"] == []
        account_id = _account_id(db)
        body = b'{"accountId":"%s","purpose":"zipped"}' % account_id.encode()
        for coding, packed in (("gzip", gzip.compress(body)), ("br", brotli.compress(body))):
            created = httpx.post(url, content=packed, headers={**account, "Content-Encoding": coding})
            assert created.status_code == 200, created.text
            assert created.json()["purpose"] == "zipped"
        bomb = gzip.compress(bytes(64 * 1024), 9)  # 64 KiB of zeros in about 100 bytes
        assert len(bomb) < 4096
        refused = httpx.post(url, content=bomb, headers={**account, "Content-Encoding": "gzip"})
        assert refused.status_code == 413
        assert refused.json()["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
        corrupt = httpx.post(url, content=b"\x1f\x8b not gzip", headers={**account, "Content-Encoding": "gzip"})
        assert corrupt.status_code == 400
        assert corrupt.json()["responseStatus"]["errorCode"] == "SerializationException"
        # The server is still answering after each refusal.
        assert httpx.get(f"{served.base_url}/health").status_code == 200


def _account_id(db: str) -> str:
    import sqlite3
    from contextlib import closing

    from gateway.store import sqlite_path

    with closing(sqlite3.connect(sqlite_path(db))) as conn:
        return str(conn.execute("SELECT id FROM accounts").fetchone()[0])


def test_without_cors_options_there_are_no_cors_headers(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db) as served:
        r = httpx.options(
            f"{served.base_url}/ai/sessions", headers={"Origin": APP, "Access-Control-Request-Method": "POST"}
        )
        assert r.status_code != 200 and _cors(r) == []
        assert _cors(httpx.get(f"{served.base_url}/health", headers={"Origin": APP})) == []


def test_cors_from_flags(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    flags = ["--cors-origin", APP, "--cors-origin", "http://localhost:5173", "--cors-credentials"]
    with serving(tmp_path, db, *flags, "--cors-allow-headers", "Content-Type,Authorization") as served:
        preflight = httpx.options(
            f"{served.base_url}/ai/sessions",
            headers={
                "Origin": APP,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200 and preflight.content == b""
        assert _cors(preflight) == _pinned("listed-origin-credentials")
        assert preflight.headers["vary"] == "Accept, Origin"
        denied = httpx.get(f"{served.base_url}/ai/sessions", headers={"Origin": APP})
        assert denied.status_code == 401 and _cors(denied) == _pinned("listed-origin-credentials")
        other = httpx.get(
            f"{served.base_url}/ai/sessions",
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {key}"},
        )
        assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_cors_from_the_environment(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    env = {"EVO_GATEWAY_CORS_ORIGIN": "*"}
    with serving(tmp_path, db, env=env) as served:
        r = httpx.get(f"{served.base_url}/ai/sessions/none.xml", headers={"Origin": APP})
        assert r.status_code == 401 and _cors(r) == _pinned("any-origin")
    env = {"EVO_GATEWAY_CORS_ORIGIN": f"https://a.example, {APP}"}
    with serving(tmp_path, db, env=env) as served:
        r = httpx.options(f"{served.base_url}/ai/sessions", headers={"Origin": APP})
        assert r.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize(
    ("args", "env", "status", "says"),
    [
        (["--cors-origin", "https://app.example.com/"], {}, 2, "not an origin"),
        ([], {"EVO_GATEWAY_CORS_ORIGIN": "app.example.com"}, 2, "EVO_GATEWAY_CORS_ORIGIN"),
        (["--cors-origin", "*", "--cors-credentials"], {}, 1, "credentials need a list of origins"),
        (["--cors-origin", "*", "--cors-origin", APP], {}, 1, "either * or a list"),
        (["--cors-origin", APP, "--cors-allow-headers", "Content Type"], {}, 2, "header names"),
    ],
)
def test_bad_cors_options_are_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], status: int, says: str
) -> None:
    done = _run(serve_command(db_in(tmp_path), free_port(), *args), env)
    assert done.returncode == status, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def test_help_names_the_cors_variables() -> None:
    text = " ".join(_run([sys.executable, "-m", "gateway", "serve", "--help"]).stdout.split())
    assert "env EVO_GATEWAY_CORS_ORIGIN" in text and "env EVO_GATEWAY_CORS_CREDENTIALS" in text


def _raw(method: str, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    with httpx.stream(method, url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def test_compress_from_the_flag(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    admin = {"Authorization": f"Bearer {key}"}
    with serving(tmp_path, db, "--compress", "--compress-min-bytes", "200") as served:
        url = f"{served.base_url}/ai/sessions"
        account_id = _account_id(db)
        for n in range(8):
            created = httpx.post(url, json={"accountId": account_id, "purpose": f"purpose {n}"}, headers=admin)
            assert created.status_code == 200
        plain, plain_raw = _raw("GET", f"{url}?format=xml", {**admin, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and len(plain_raw) > 200
        for coding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            packed, raw = _raw("GET", f"{url}?format=xml", {**admin, "Accept-Encoding": f"{coding}, identity;q=0.5"})
            assert packed.headers["content-encoding"] == coding
            assert int(packed.headers["content-length"]) == len(raw) and decode(raw) == plain_raw
            assert packed.headers["vary"] == "Accept, Accept-Encoding"
        # uvicorn sends no body for HEAD; the headers are the GET's.
        got, raw = _raw("GET", f"{served.base_url}/metadata", {"Accept-Encoding": "gzip"})
        head, head_raw = _raw("HEAD", f"{served.base_url}/metadata", {"Accept-Encoding": "gzip"})
        assert head_raw == b"" and head.headers["content-encoding"] == got.headers["content-encoding"] == "gzip"
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(raw))
        small, _ = _raw("GET", f"{served.base_url}/health", {"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers and small.headers["vary"] == "Accept-Encoding"


def test_compress_from_the_environment_and_off_by_default(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, env={"EVO_GATEWAY_COMPRESS": "on", "EVO_GATEWAY_COMPRESS_MIN_BYTES": "0"}) as served:
        r, raw = _raw("GET", f"{served.base_url}/metadata", {"Accept-Encoding": "deflate"})
        assert r.headers["content-encoding"] == "deflate" and int(r.headers["content-length"]) == len(raw)
    with serving(tmp_path, db) as served:
        r, raw = _raw("GET", f"{served.base_url}/metadata", {"Accept-Encoding": "gzip, deflate, br"})
        assert "content-encoding" not in r.headers and "Accept-Encoding" not in r.headers.get("vary", "")


def test_the_servicestack_client_reads_compressed_answers(tmp_path: Path) -> None:
    import requests
    from servicestack import JsonServiceClient, WebServiceException

    from .test_servicestack_client import GetAISession, NewAISession, PatchAISession

    db = db_in(tmp_path)
    key = seed(db)
    with serving(tmp_path, db, "--compress", "--compress-min-bytes", "0", "--access-log", "json") as served:
        client = JsonServiceClient(served.base_url)
        client.set_bearer_token(key)
        purpose = "a purpose long enough to be worth compressing " * 4
        created = client.post(NewAISession(account_id=_account_id(db), purpose=purpose))
        assert client.get(GetAISession(session_id=created.id)) == created
        assert client.patch(PatchAISession(session_id=created.id, purpose="sales")).purpose == "sales"
        with pytest.raises(WebServiceException) as missing:
            client.get(GetAISession(session_id="missing" * 20))
        assert missing.value.status_code == 404 and missing.value.response_status.error_code == "NotFound"
        # What the client's requests session asks for, answered in br: it read br answers above.
        asks = requests.utils.default_headers()["Accept-Encoding"]
        r, raw = _raw(
            "GET",
            f"{served.base_url}/ai/sessions/{created.id}",
            {"Authorization": f"Bearer {key}", "Accept-Encoding": asks},
        )
        assert "br" in asks and r.headers["content-encoding"] == "br" and int(r.headers["content-length"]) == len(raw)
