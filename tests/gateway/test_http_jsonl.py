"""JSONL over HTTP: every way of selecting it, request bodies, auto-batches, errors in JSONL and
its metadata page. The byte-exact documents are in fixtures/http/jsonl (test_http_golden)."""

from __future__ import annotations

import msgspec
import pytest
from starlette.testclient import TestClient

from .conftest import World

JSONL = "text/jsonl"


@pytest.fixture
def session_ids(client: TestClient, world: World) -> list[str]:
    made = [
        client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": p}, headers=world.admin)
        for p in ("one", "two\u2028lines", "three")
    ]
    return [str(m.json()["id"]) for m in made]


def lines(body: bytes) -> list[object]:
    assert body.endswith(b"\n")
    return [msgspec.json.decode(line) for line in body.split(b"\n")[:-1]]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ai/sessions", {"Accept": JSONL}),
        ("/ai/sessions.jsonl", {}),
        ("/ai/sessions?format=jsonl", {}),
        ("/jsonl/reply/ListAISessions", {}),
        ("/json/reply/ListAISessions?format=jsonl", {}),
    ],
)
def test_a_list_is_one_session_a_line(
    client: TestClient, world: World, session_ids: list[str], path: str, headers: dict[str, str]
) -> None:
    r = client.get(path, headers={**world.admin, **headers})
    assert r.status_code == 200 and r.headers["content-type"] == JSONL
    records = lines(r.content)
    assert sorted(str(rec["id"]) for rec in records) == sorted(session_ids)  # type: ignore[index]
    # U+2028 is data inside a line, not a line break.
    assert "two\u2028lines" in [rec["purpose"] for rec in records]  # type: ignore[index]


def test_a_record_is_its_json_without_a_newline(client: TestClient, world: World, session_ids: list[str]) -> None:
    as_json = client.get(f"/ai/sessions/{session_ids[0]}", headers=world.admin)
    as_jsonl = client.get(f"/ai/sessions/{session_ids[0]}.jsonl", headers=world.admin)
    assert as_jsonl.status_code == 200 and as_jsonl.content == as_json.content


def test_request_bodies_are_read(client: TestClient, world: World) -> None:
    body = msgspec.json.encode({"accountId": world.account_id, "purpose": "from jsonl"})
    r = client.post("/ai/sessions", content=body, headers={**world.admin, "Content-Type": JSONL, "Accept": JSONL})
    assert r.status_code == 200 and r.headers["content-type"] == JSONL
    assert msgspec.json.decode(r.content)["purpose"] == "from jsonl"


def test_a_list_request_reads_its_account_ids_one_a_line(
    client: TestClient, world: World, session_ids: list[str]
) -> None:
    body = msgspec.json.encode(world.account_id) + b"\n" + b'"nobody"\n'
    r = client.request("GET", "/jsonl/reply/ListAISessions", content=body, headers=world.admin)
    assert r.status_code == 200 and len(lines(r.content)) == 3
    r = client.request("GET", "/jsonl/reply/ListAISessions", content=b'"nobody"\n', headers=world.admin)
    assert r.status_code == 200 and r.content == b""


def test_an_auto_batch_is_a_line_per_request_both_ways(client: TestClient, world: World) -> None:
    body = b"".join(msgspec.json.encode({"accountId": world.account_id, "purpose": p}) + b"\n" for p in ("a", "b"))
    r = client.post("/jsonl/reply/NewAISession[]", content=body, headers=world.admin)
    assert r.status_code == 200 and r.headers["x-autobatch-completed"] == "2"
    assert [rec["purpose"] for rec in lines(r.content)] == ["a", "b"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"accountId":', "line 1"),
        (b'{"purpose":"ok"}\n{nope}\n', "line 2"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_a_bad_document_is_a_400_in_jsonl(client: TestClient, world: World, body: bytes, needle: str) -> None:
    r = client.post("/jsonl/reply/NewAISession[]", content=body, headers=world.admin)
    assert r.status_code == 400 and r.headers["content-type"] == JSONL
    status = msgspec.json.decode(r.content)["responseStatus"]
    assert status["errorCode"] == "SerializationException" and needle in status["message"]


def test_a_wrong_member_type_names_the_member(client: TestClient, world: World) -> None:
    r = client.post(
        "/ai/sessions", content=b'{"accountId":[1]}', headers={**world.admin, "Content-Type": JSONL, "Accept": JSONL}
    )
    assert r.status_code == 400
    errors = msgspec.json.decode(r.content)["responseStatus"]["errors"]
    assert [e["fieldName"] for e in errors] == ["accountId"]


def test_errors_and_no_content_in_jsonl(client: TestClient, world: World, session_ids: list[str]) -> None:
    missing = client.get("/ai/sessions/nope.jsonl", headers=world.admin)
    assert missing.status_code == 404 and missing.headers["content-type"] == JSONL
    assert msgspec.json.decode(missing.content)["responseStatus"]["errorCode"] == "NotFound"
    deleted = client.delete(f"/ai/sessions/{session_ids[0]}.jsonl", headers=world.admin)
    assert deleted.status_code == 204 and deleted.content == b""


def test_the_metadata_page_shows_jsonl_samples(client: TestClient) -> None:
    index = client.get("/metadata")
    assert 'href="/jsonl/metadata?op=ListAISessions"' in index.text
    page = client.get("/jsonl/metadata?op=ListAISessions")
    assert page.status_code == 200
    assert "Content-Type: text/jsonl" in page.text and "Accept: text/jsonl" in page.text
