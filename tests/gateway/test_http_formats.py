"""JSV and CSV over HTTP: selection, headers, the debug form, errors in the caller's format and the
CSV formula guard."""

from __future__ import annotations

from pathlib import Path

import pyjsv
import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings

from .conftest import World


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    r = client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "=1+2"}, headers=world.admin)
    assert r.status_code == 200
    return str(r.json()["id"])


def test_the_seed_pages_accept_text_jsv_selects_jsv(client: TestClient, world: World, session_id: str) -> None:
    r = client.patch(
        f"/ai/sessions/{session_id}",
        content=b"{purpose:sales}",
        headers={**world.admin, "Accept": "text/jsv", "Content-Type": "text/jsv"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/jsv"
    assert r.headers["vary"] == "Accept"
    assert r.text.startswith("{accountId:") and ",purpose:sales," in r.text


@pytest.mark.parametrize(
    "path", ["/ai/sessions/{id}.jsv", "/ai/sessions/{id}?format=jsv", "/jsv/reply/GetAISession?sessionId={id}"]
)
def test_jsv_by_suffix_format_and_predefined_route(
    client: TestClient, world: World, session_id: str, path: str
) -> None:
    r = client.get(path.format(id=session_id), headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"] == "application/jsv"
    assert pyjsv.loads(r.text)["id"] == session_id


def test_debug_gives_the_pretty_jsv_as_text_plain(client: TestClient, world: World, session_id: str) -> None:
    r = client.get(f"/ai/sessions/{session_id}.jsv?debug=1", headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("{\n\taccountId: ") and r.text.endswith("\n}")
    compact = client.get(f"/ai/sessions/{session_id}.jsv", headers=world.admin).text
    assert r.text == pyjsv.format(compact)


def test_csv_is_a_download_named_after_the_operation(client: TestClient, world: World, session_id: str) -> None:
    r = client.get(f"/ai/sessions/{session_id}.csv", headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv"
    assert r.headers["content-disposition"] == "attachment;filename=GetAISession.csv"
    header, row, end = r.text.split("\r\n")
    assert header.startswith("AccountId,AccountName,Purpose,Id,") and end == ""
    # Formulas pass through unless the guard is on (next test).
    assert ",=1+2," in row


def test_csv_list_is_the_items_table(client: TestClient, world: World, session_id: str) -> None:
    client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "two"}, headers=world.admin)
    r = client.get("/ai/sessions?format=csv&sortField=purpose", headers=world.admin)
    assert r.headers["content-disposition"] == "attachment;filename=ListAISessions.csv"
    lines = r.text.split("\r\n")
    assert len(lines) == 4 and lines[0].startswith("AccountId,") and lines[-1] == ""


def test_csv_formula_guard(tmp_path: Path, world: World, session_id: str) -> None:
    app = create_app(Settings(db_url=world.db_url, csv_neutralize_formulas=True), store=world.store)
    with TestClient(app) as guarded:
        r = guarded.get(f"/ai/sessions/{session_id}.csv", headers=world.admin)
    assert ",'=1+2," in r.text


@pytest.mark.parametrize(
    ("fmt", "content_type", "body"),
    [
        ("jsv", "application/jsv", b"{purpose:"),
        ("jsv", "application/jsv", b"[" * 1000),
        ("csv", "text/csv", b'Purpose\r\n"x'),
        # A record is a header and one row; a second row has nowhere to go.
        ("csv", "text/csv", b"Purpose\r\nfirst\r\nsecond\r\n"),
    ],
)
def test_malformed_bodies_are_400_in_the_callers_format(
    client: TestClient, world: World, session_id: str, fmt: str, content_type: str, body: bytes
) -> None:
    r = client.patch(
        f"/ai/sessions/{session_id}",
        content=body,
        headers={**world.admin, "Content-Type": content_type, "Accept": content_type},
    )
    assert r.status_code == 400 and r.headers["content-type"] == content_type
    assert "SerializationException" in r.text
    unchanged = client.get(f"/ai/sessions/{session_id}", headers=world.admin).json()
    assert unchanged["purpose"] == "=1+2"


def test_wrong_types_in_jsv_name_the_field(client: TestClient, world: World) -> None:
    bad = client.request("GET", "/jsv/reply/ListAISessions", content=b"{countPerPage:lots}", headers=world.admin)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/jsv"
    status = pyjsv.loads(bad.text)["responseStatus"]
    assert status["errorCode"] == "SerializationException"
    assert status["errors"][0]["fieldName"] == "countPerPage"


def test_too_large_is_413_in_jsv(client: TestClient, world: World, session_id: str) -> None:
    r = client.patch(
        f"/ai/sessions/{session_id}.jsv",
        content=b"{purpose:" + b"x" * 70_000 + b"}",
        headers={**world.admin, "Content-Type": "application/jsv"},
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/jsv"
    assert pyjsv.loads(r.text)["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
