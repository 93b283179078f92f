"""`?jsconfig=` over HTTP in every format it reaches, pinned in fixtures/jsconfig/ byte for byte.

The session under test has no purpose, so `inv` has a null to write; `{{name}}` placeholders are
filled from the store, as in test_http_golden."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from .conftest import World
from .test_http_golden import render, values_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jsconfig"
MISSING = "0123456789abcdef0123456789abcdef"

#: (request, format, the `?jsconfig=` spellings, golden file): every spelling must give the file.
PINNED = [
    ("get", "json", ["inv", "IncludeNullValues", "includenullvalues:true", "inv:1"], "GetAISession.inv.json"),
    ("get", "json", ["tc:pc", "TextCase:PascalCase", "epcn", "tc:d", "textcase:default"], "GetAISession.pascal.json"),
    (
        "get",
        "json",
        ["tc:sc", "TextCase:SnakeCase", "elun", "EmitLowercaseUnderscoreNames:true"],
        "GetAISession.snake.json",
    ),
    ("get", "json", ["inv,tc:sc", "tc:sc,inv", "TC:SC,INV"], "GetAISession.inv-snake.json"),
    (
        "list",
        "json",
        ["edv", "ExcludeDefaultValues", "edv,inv", "IncludeNullValues,ExcludeDefaultValues"],
        "ListAISessions.edv.json",
    ),
    ("missing", "json", ["pp", "indent", "Indent:true", "i"], "NotFound.indent.json"),
    ("list", "json", ["pp,tc:pc", "Indent,TextCase:PascalCase"], "ListAISessions.indent-pascal.json"),
    ("get", "jsv", ["tc:sc", "elun"], "GetAISession.snake.jsv"),
    ("list", "jsv", ["edv"], "ListAISessions.edv.jsv"),
    ("missing", "csv", ["tc:pc", "tc:pc,inv,edv"], "NotFound.pascal.csv"),
    ("list", "jsonl", ["tc:sc"], "ListAISessions.snake.jsonl"),
    ("get", "jsonl", ["inv"], "GetAISession.inv.jsonl"),
]

#: Settings that change nothing in that format: the body is the one without `?jsconfig=`.
UNCHANGED = [
    # The host's names are camelCase already; `eccn:false` keeps the current case, as CreateScope does.
    ("get", "json", "eccn"),
    ("get", "json", "eccn:false"),
    ("get", "json", "EmitCamelCaseNames:false"),
    ("get", "json", "tc:cc"),
    # Unknown keys and values are ignored; false and 0 turn a setting off.
    ("get", "json", "nosuchkey,alsonot:1"),
    ("get", "json", "tc:bogus"),
    ("get", "json", "inv:false,pp:0"),
    ("get", "json", ""),
    ("get", "json", ",,:"),
    # JSV never writes null, and Indent is JSON's alone.
    ("get", "jsv", "inv"),
    ("get", "jsv", "pp"),
    # CSV's header and top-level cells ignore the settings (ServiceStack fixes a type's header once).
    ("list", "csv", "tc:sc,edv,inv"),
    # JSONL keeps each record on its line.
    ("list", "jsonl", "pp"),
    # XML is DataContractSerializer's: JsConfig does not reach it.
    ("get", "xml", "tc:sc,inv,edv,pp"),
    ("missing", "xml", "tc:pc,pp"),
]


def _path(kind: str, session_id: str) -> str:
    return {"get": f"/ai/sessions/{session_id}", "list": "/ai/sessions", "missing": f"/ai/sessions/{MISSING}"}[kind]


@pytest.fixture
def session(client: TestClient, world: World) -> dict[str, str]:
    created = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin)
    assert created.status_code == 200
    values = values_of(world, created.json()["id"])
    return values


def _get(client: TestClient, world: World, kind: str, fmt: str, session_id: str, jsconfig: str | None) -> bytes:
    params = {"format": fmt} | ({} if jsconfig is None else {"jsconfig": jsconfig})
    response = client.get(_path(kind, session_id), params=params, headers=world.admin)
    assert response.status_code == (404 if kind == "missing" else 200), response.text
    return response.content


@pytest.mark.parametrize(("kind", "fmt", "spellings", "golden"), PINNED, ids=[p[3] for p in PINNED])
def test_jsconfig_output_is_pinned(
    client: TestClient, world: World, session: dict[str, str], kind: str, fmt: str, spellings: list[str], golden: str
) -> None:
    values = {**session, "id": MISSING if kind == "missing" else session["id"]}
    expected = render((FIXTURES / golden).read_bytes().decode("utf-8"), values)
    plain = _get(client, world, kind, fmt, session["id"], None)
    assert plain != expected, "the golden file must differ from the output without ?jsconfig="
    for spelling in spellings:
        assert _get(client, world, kind, fmt, session["id"], spelling) == expected, spelling


@pytest.mark.parametrize(("kind", "fmt", "jsconfig"), UNCHANGED)
def test_settings_that_do_not_apply_change_nothing(
    client: TestClient, world: World, session: dict[str, str], kind: str, fmt: str, jsconfig: str
) -> None:
    plain = _get(client, world, kind, fmt, session["id"], None)
    assert _get(client, world, kind, fmt, session["id"], jsconfig) == plain


def test_jsconfig_shapes_jsonp_and_errors_in_the_callers_format(client: TestClient, world: World) -> None:
    wrapped = client.get(f"/ai/sessions/{MISSING}", params={"callback": "cb", "jsconfig": "tc:pc"}, headers=world.admin)
    assert wrapped.status_code == 200  # JSONP answers 200, as ServiceStack does
    assert wrapped.text.startswith('cb({"ResponseStatus":{"ErrorCode":"NotFound",')
    bad = client.get("/ai/sessions", params={"page": "x", "jsconfig": "tc:sc", "format": "jsv"}, headers=world.admin)
    assert bad.status_code == 400 and bad.text.startswith("{response_status:{error_code:")


def test_jsconfig_does_not_leak_into_the_next_request(
    client: TestClient, world: World, session: dict[str, str]
) -> None:
    plain = _get(client, world, "get", "json", session["id"], None)
    _get(client, world, "get", "json", session["id"], "tc:sc,inv,pp")
    assert _get(client, world, "get", "json", session["id"], None) == plain


def test_the_session_has_no_purpose(world: World, session: dict[str, str]) -> None:
    record = anyio.run(world.store.get_session, session["id"])
    assert record is not None and record.purpose is None
