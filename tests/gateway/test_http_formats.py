"""JSV and CSV over HTTP: selection, headers, the debug form, errors in the caller's format and the
CSV formula guard."""

from __future__ import annotations

from pathlib import Path

import pyjsv
import pytest
from starlette.testclient import TestClient
from wirecodecs import CsvCodec

from gateway.app import create_app
from gateway.config import Settings
from gateway.dtos import PatchAISession

from ..pyjsv.work import count_work
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


@pytest.mark.parametrize("unit", [b"[,", b"{,", b'""'])
def test_hostile_csv_bodies_are_answered_quickly(
    client: TestClient, world: World, session_id: str, unit: bytes
) -> None:
    # Unclosed brackets and quote runs once made the CSV reader quadratic: 50 KB took 26 s.
    body = b"Purpose\r\n" + unit * 30_000  # 60 KB, under the test client's 64 KiB limit
    # Counted, not timed (the server runs on the client's worker thread, out of the meter's sight):
    # the codec's own work on this body, per byte, as tests/pyjsv holds the reader to.
    work = count_work(lambda: CsvCodec().decode(body, PatchAISession))
    assert work < 20 * len(body)
    r = client.patch(f"/ai/sessions/{session_id}", content=body, headers={**world.admin, "Content-Type": "text/csv"})
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert r.headers["content-type"] == "text/csv" or "SerializationException" in r.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"sortOrder":"descend"}'),
        ("application/json", b'{"sortOrder":1}'),
        ("application/json", b'{"SortOrder":"DESCEND"}'),
        ("application/jsv", b"{sortOrder:descend}"),
        ("application/jsv", b"{sortOrder:1}"),
        ("text/csv", b"SortOrder\r\ndescend\r\n"),
        (
            "application/xml",
            # SortOrder is declared by the base class ListRequest, in its namespace.
            b'<ListAISessions xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI">'
            b'<SortOrder xmlns="http://schemas.datacontract.org/2004/07/Voice.Api">descend</SortOrder>'
            b"</ListAISessions>",
        ),
        (None, b""),  # the query below
    ],
)
def test_enums_bind_by_any_case_or_number_in_every_format(
    client: TestClient, world: World, content_type: str | None, body: bytes
) -> None:
    for purpose in ("first", "second"):
        client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": purpose}, headers=world.admin)
    path = "/json/reply/ListAISessions" if content_type else "/ai/sessions?sortOrder=1&sortField=purpose"
    fmt = {"application/json": "json", "application/jsv": "jsv", "text/csv": "csv", "application/xml": "xml"}
    if content_type:
        path = f"/{fmt[content_type]}/reply/ListAISessions?format=json&sortField=purpose"
    r = client.request("GET", path, content=body, headers=world.admin)
    assert r.status_code == 200, r.text
    assert [item["purpose"] for item in r.json()["items"]][:2] == ["second", "first"]


def test_an_enum_number_out_of_range_is_a_field_error(client: TestClient, world: World) -> None:
    r = client.request("GET", "/json/reply/ListAISessions", content=b'{"sortOrder":7}', headers=world.admin)
    assert r.status_code == 400
    assert r.json()["responseStatus"]["errors"][0]["fieldName"] == "sortOrder"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/csv", b"\xef\xbb\xbfPurpose\r\nbom\r\n"),
        ("application/json", b'\xef\xbb\xbf{"purpose":"bom"}'),
        ("application/jsv", b"\xef\xbb\xbf{purpose:bom}"),
        (
            "application/xml",
            b'\xef\xbb\xbf<PatchAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI">'
            b"<Purpose>bom</Purpose></PatchAISession>",
        ),
    ],
)
def test_a_byte_order_mark_before_the_body_is_ignored(
    client: TestClient, world: World, session_id: str, content_type: str, body: bytes
) -> None:
    r = client.patch(
        f"/ai/sessions/{session_id}?format=json", content=body, headers={**world.admin, "Content-Type": content_type}
    )
    assert r.status_code == 200 and r.json()["purpose"] == "bom"


def test_a_csv_batch_is_one_request_per_row(client: TestClient, world: World, session_id: str) -> None:
    other = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin).json()["id"]
    body = f"SessionId,Purpose\r\n{session_id},one\r\n{other},two\r\n".encode()
    r = client.post("/csv/reply/PatchAISession[]", content=body, headers=world.admin)
    assert r.status_code == 200 and r.headers["x-autobatch-completed"] == "2"
    rows = pyjsv.csv.loads(r.text)
    assert [(row["Id"], row["Purpose"]) for row in rows] == [(session_id, "one"), (other, "two")]
