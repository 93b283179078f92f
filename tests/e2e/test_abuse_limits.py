"""The request limits against a real `serve` process (docs/security.md): auto-batch size, string
length, answer size and the anonymous body cap, in every format, with their flags and variables;
and clients that hang up on `?all=true&format=xml` stop costing work."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from wirecodecs import default_registry

from gateway.dtos import Authenticate, GetAISession, NewAISession

from .conftest import ADMIN_PASSWORD, cli
from .served import Served, serving

FORMATS = ("json", "jsv", "xml", "csv")
MEDIA_TYPES = {"json": "application/json", "jsv": "application/jsv", "xml": "application/xml", "csv": "text/csv"}
REGISTRY = default_registry()
SESSIONS = 3000


def encode(fmt: str, value: object) -> bytes:
    codec = REGISTRY.by_format(fmt)
    assert codec is not None
    return codec.encode(value)


def error_code(fmt: str, response: httpx.Response) -> str:
    """The ResponseStatus errorCode, read in the answer's own format."""
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt]), response.headers
    text = response.text
    if fmt == "json":
        return str(response.json()["responseStatus"]["errorCode"])
    marker = "<ErrorCode>" if fmt == "xml" else "errorCode:"
    end = "<" if fmt == "xml" else ","
    return text.split(marker, 1)[1].split(end, 1)[0]


@dataclass
class Gateway:
    served: Served
    account_id: str
    key: str

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.served.base_url, timeout=60)

    def total(self) -> int:
        with self.client() as c:
            return int(c.get("/ai/sessions?countPerPage=1", headers=self.admin).json()["totalCount"])


def _seeded(tmp_path: Path, *serve_args: str, env: dict[str, str] | None = None) -> Iterator[Gateway]:
    db_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    account_id = cli(db_url, "accounts", "add", "Acme Voice")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin=ADMIN_PASSWORD)
    key = cli(db_url, "apikeys", "create", "admin")
    with serving(tmp_path, db_url, "--access-log", "json", *serve_args, env=env) as served:
        yield Gateway(served, account_id, key)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Default limits, and SESSIONS sessions made by batches of exactly the default limit (1,000)."""
    for gw in _seeded(tmp_path_factory.mktemp("limits")):
        with gw.client() as c:
            for start in range(0, SESSIONS, 1000):
                batch = [
                    {"accountId": gw.account_id, "purpose": f"session {i} " * 20} for i in range(start, start + 1000)
                ]
                r = c.post("/json/reply/NewAISession[]", json=batch, headers=gw.admin)
                assert r.status_code == 200 and r.headers["x-autobatch-completed"] == "1000", r.text[:300]
        yield gw


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_batch_of_1001_is_400_before_any_of_it_runs(gateway: Gateway, fmt: str) -> None:
    before = gateway.total()
    body = encode(fmt, [NewAISession(account_id=gateway.account_id, purpose="b") for _ in range(1001)])
    with gateway.client() as c:
        r = c.post(f"/{fmt}/reply/NewAISession[]", content=body, headers=gateway.admin)
    assert r.status_code == 400
    assert error_code(fmt, r) == "BatchTooLarge"
    assert "at most 1000 requests; this one holds 1001" in r.text
    assert gateway.total() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_purpose_over_10000_characters_is_400_naming_the_member(gateway: Gateway, fmt: str) -> None:
    before = gateway.total()
    headers = {**gateway.admin, "Content-Type": MEDIA_TYPES[fmt], "Accept": MEDIA_TYPES[fmt]}
    too_long = encode(fmt, NewAISession(account_id=gateway.account_id, purpose="x" * 10_001))
    at_limit = encode(fmt, NewAISession(account_id=gateway.account_id, purpose="x" * 10_000))
    with gateway.client() as c:
        r = c.post("/ai/sessions", content=too_long, headers=headers)
        assert r.status_code == 400
        assert error_code(fmt, r) == "MaximumLength"
        assert "Purpose" in r.text and "must be 10000 characters or fewer. You entered 10001 characters." in r.text
        assert gateway.total() == before
        assert c.post("/ai/sessions", content=at_limit, headers=headers).status_code == 200
        # A PATCH through the query string is held to the same limit.
        made = c.post("/ai/sessions", json={"accountId": gateway.account_id}, headers=gateway.admin).json()
        patched = c.patch(f"/ai/sessions/{made['id']}?purpose={'y' * 10_001}&format={fmt}", headers=gateway.admin)
        assert patched.status_code == 400 and error_code(fmt, patched) == "MaximumLength"


def _anonymous_bodies() -> dict[str, tuple[str, bytes]]:
    """Sign-in bodies just over 8 KiB, built the way the abuse probes built them: many columns,
    elements, keys or fields."""
    n = 1_500
    return {
        "json": ("application/json", b'{"userName":"admin","password":"' + b"x" * 8_192 + b'"}'),
        "jsv": ("application/jsv", b"{" + b",".join(b"k%d:1" % i for i in range(n)) + b"}"),
        "xml": ("application/xml", b"<Authenticate>" + b"<A/>" * 2_100 + b"</Authenticate>"),
        "csv": ("text/csv", b",".join(b"c%d" % i for i in range(2 * n)) + b"\r\n"),
        "form": ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(n))),
    }


@pytest.mark.parametrize("fmt", [*FORMATS, "form"])
def test_an_anonymous_body_over_8_kib_is_413_in_the_callers_format(gateway: Gateway, fmt: str) -> None:
    content_type, body = _anonymous_bodies()[fmt]
    assert len(body) > 8_192
    answer = "json" if fmt == "form" else fmt
    with gateway.client() as c:
        r = c.post(f"/auth/credentials?format={answer}", content=body, headers={"Content-Type": content_type})
        assert r.status_code == 413, r.text[:200]
        assert error_code(answer, r) == "RequestEntityTooLarge"
        # A wrong key is no credential: the same cap.
        r = c.post("/auth/credentials", content=body, headers={"Content-Type": content_type, "X-Api-Key": "ak_wrong"})
        assert r.status_code == 413
        # A real sign-in is far below it.
        sign_in = encode(answer, Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD))
        ok = c.post("/auth/credentials", content=sign_in, headers={"Content-Type": MEDIA_TYPES[answer]})
        assert ok.status_code == 200, ok.text


def test_an_authenticated_body_keeps_the_general_limit(gateway: Gateway) -> None:
    body = b'{"accountId":"' + gateway.account_id.encode() + b'","purpose":"padded"}' + b" " * 200_000
    with gateway.client() as c:
        r = c.post("/ai/sessions", content=body, headers={**gateway.admin, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def _access_log(served: Served) -> list[dict[str, object]]:
    lines = [line for line in served.log().splitlines() if line.startswith('{"time"')]
    return [json.loads(line) for line in lines]


def test_50_abandoned_full_lists_leave_the_next_get_answered_within_a_second(gateway: Gateway) -> None:
    port = gateway.served.port
    request = (
        "GET /ai/sessions?all=true&format=xml HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {gateway.key}\r\n\r\n"
    ).encode()
    sockets = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        sockets.append(s)
    time.sleep(0.05)
    for s in sockets:
        s.close()
    with gateway.client() as c:
        started = time.perf_counter()
        r = c.get("/ai/sessions?countPerPage=1", headers=gateway.admin)
        waited = time.perf_counter() - started
    assert r.status_code == 200
    # Each full list is ~2 MB of XML; built for all 50 it is seconds of work ahead of this GET.
    assert waited < 1.0, waited
    # Count the work: the 50 requests were abandoned, not answered into closed sockets.
    deadline = time.monotonic() + 30
    while True:
        full = [e for e in _access_log(gateway.served) if e["path"] == "/ai/sessions?all=true&format=xml"]
        if len(full) == 50 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    answered = [e for e in full if e["status"] == 200]
    abandoned = [e for e in full if e["status"] == 0 and e["error_code"] == "ClientDisconnected"]
    assert len(answered) <= 10 and len(abandoned) >= 40, (len(answered), len(abandoned), len(full))


def test_each_limit_follows_its_flag_or_variable(tmp_path: Path) -> None:
    env = {"EVO_GATEWAY_MAX_RESPONSE_BYTES": "400", "EVO_GATEWAY_MAX_STRING_LENGTH": "40"}
    for gw in _seeded(tmp_path, "--max-batch-requests", "3", "--max-anonymous-body-bytes", "200", env=env):
        with gw.client() as c:
            four = [{"accountId": gw.account_id, "purpose": "p"}] * 4
            r = c.post("/json/reply/NewAISession[]", json=four, headers=gw.admin)
            assert r.status_code == 400 and r.json()["responseStatus"]["errorCode"] == "BatchTooLarge"
            # One answer holds about 195 characters of strings (ids, dates, names): two fit in 400.
            made = c.post("/json/reply/NewAISession[]", json=four[:2], headers=gw.admin)
            assert made.status_code == 200
            third = c.post("/ai/sessions", json=four[0], headers=gw.admin)
            ids = [s["id"] for s in [*made.json(), third.json()]]
            r = c.post("/ai/sessions", json={"accountId": gw.account_id, "purpose": "x" * 41}, headers=gw.admin)
            assert r.status_code == 400 and r.json()["responseStatus"]["errors"][0]["fieldName"] == "Purpose"
            r = c.get("/ai/sessions?all=true&format=xml", headers=gw.admin)
            assert r.status_code == 400 and error_code("xml", r) == "ResponseTooLarge"
            gets = encode("jsv", [GetAISession(session_id=i) for i in ids])
            r = c.post("/jsv/reply/GetAISession[]", content=gets, headers=gw.admin)
            assert r.status_code == 400 and error_code("jsv", r) == "ResponseTooLarge"
            assert r.headers["x-autobatch-completed"] == "2"
            body = b'{"userName":"admin","password":"' + b"x" * 200 + b'"}'
            r = c.post("/auth/credentials", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 413


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def test_the_amplification_run_leaves_rss_within_twice_its_warm_size(tmp_path: Path) -> None:
    """The batch that made 5 GB: 5,000 GETs of a session whose purpose is 1 MB (stored under a raised
    string limit, as sessions from before the limit are). Refused before it runs; 1,000 of them stop
    at the answer limit; afterwards the process is back within twice its warm size."""
    for gw in _seeded(tmp_path, "--max-string-length", "1100000"):
        pid = gw.served.process.pid
        with gw.client() as c:
            made = c.post("/ai/sessions", json={"accountId": gw.account_id, "purpose": "w"}, headers=gw.admin).json()
            for fmt in FORMATS:  # warm: every codec, the batch path, a sign-in
                assert c.get(f"/ai/sessions?all=true&format={fmt}", headers=gw.admin).status_code == 200
                gets = encode(fmt, [GetAISession(session_id=made["id"])] * 10)
                assert c.post(f"/{fmt}/reply/GetAISession[]", content=gets, headers=gw.admin).status_code == 200
            assert (
                c.post("/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD}).status_code == 200
            )
            warm = rss_mb(pid)

            big = c.post(
                "/ai/sessions", json={"accountId": gw.account_id, "purpose": "x" * 1_000_000}, headers=gw.admin
            )
            assert big.status_code == 200
            big_id = big.json()["id"]
            for fmt in FORMATS:
                five_thousand = encode(fmt, [GetAISession(session_id=big_id)] * 5000)
                r = c.post(f"/{fmt}/reply/GetAISession[]", content=five_thousand, headers=gw.admin)
                assert r.status_code == 400 and error_code(fmt, r) == "BatchTooLarge"
                thousand = encode(fmt, [GetAISession(session_id=big_id)] * 1000)
                r = c.post(f"/{fmt}/reply/GetAISession[]", content=thousand, headers=gw.admin)
                assert r.status_code == 400 and error_code(fmt, r) == "ResponseTooLarge"
                # 64 MiB of strings hold 67 answers of ~1,000,200 characters; the 68th crosses it.
                assert r.headers["x-autobatch-completed"] == "67"
            time.sleep(1)
            after = rss_mb(pid)
        assert after < 2 * warm, (warm, after)
