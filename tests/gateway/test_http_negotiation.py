"""Negotiation over HTTP, both modes: repeated Accept lines as ASP.NET Core sees them, JSONP only
for JSON, and the strict mode's 406 and 415 answers (`serve --negotiation strict`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings

from .conftest import World
from .test_http_operations import new_session


@pytest.fixture
def strict(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=world.db_url, negotiation="strict"), store=world.store)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # Each line is one entry: the first line's first media range decides, in server order.
        (["application/xml", "application/json"], "application/json; charset=utf-8"),
        (["text/csv", "application/xml"], "application/xml"),
        # One line, one entry: "starts with" sees only its start.
        (["application/xml, application/json"], "application/xml"),
    ],
)
def test_repeated_accept_lines_are_separate_entries(
    client: TestClient, world: World, lines: list[str], expected: str
) -> None:
    sid = new_session(client, world)["id"]
    headers = [*world.admin.items(), *(("Accept", line) for line in lines)]
    r = client.get(f"/ai/sessions/{sid}", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == expected


@pytest.mark.parametrize("suffix", ["xml", "csv", "jsv"])
def test_a_format_suffix_outranks_callback_and_is_not_wrapped(client: TestClient, world: World, suffix: str) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}.{suffix}?callback=cb", headers=world.admin)
    assert r.status_code == 200
    assert not r.text.startswith("cb(") and r.headers["content-type"] != "text/javascript"
    if suffix == "csv":
        assert r.headers["content-disposition"] == "attachment;filename=GetAISession.csv"


def test_a_forbidden_csv_request_is_no_download(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}.csv", headers=world.user)
    assert r.status_code == 403 and r.text.startswith("Forbidden")
    assert "content-disposition" not in r.headers


def test_strict_picks_by_q_value(strict: TestClient, world: World) -> None:
    sid = new_session(strict, world)["id"]
    r = strict.get(f"/ai/sessions/{sid}", headers={**world.admin, "Accept": "application/json;q=0.2, text/csv"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv"
    r = strict.get(f"/ai/sessions/{sid}", headers={**world.admin, "Accept": "text/*, application/json;q=0"})
    assert r.headers["content-type"] == "text/csv"


def test_strict_406_lists_the_available_types(strict: TestClient, world: World) -> None:
    sid = new_session(strict, world)["id"]
    r = strict.get(f"/ai/sessions/{sid}", headers={**world.admin, "Accept": "image/png"})
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    status = r.json()["responseStatus"]
    assert status["errorCode"] == "NotAcceptable"
    for media_type in ("application/json", "application/xml", "application/jsv", "text/csv"):
        assert media_type in status["message"]
    # An explicit format the client refuses is not acceptable either.
    r = strict.get(f"/ai/sessions/{sid}.xml", headers={**world.admin, "Accept": "application/json"})
    assert r.status_code == 406


def test_strict_415_for_an_unsupported_body_and_nothing_changes(strict: TestClient, world: World) -> None:
    sid = new_session(strict, world, purpose="original")["id"]
    r = strict.patch(
        f"/ai/sessions/{sid}", content=b"purpose: x", headers={**world.admin, "Content-Type": "application/yaml"}
    )
    assert r.status_code == 415
    assert r.json()["responseStatus"]["errorCode"] == "UnsupportedMediaType"
    assert strict.get(f"/ai/sessions/{sid}", headers=world.admin).json()["purpose"] == "original"


def test_servicestack_mode_never_406_or_415(client: TestClient, world: World) -> None:
    sid = new_session(client, world, purpose="original")["id"]
    r = client.get(f"/ai/sessions/{sid}", headers={**world.admin, "Accept": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
    r = client.patch(
        f"/ai/sessions/{sid}", content=b"purpose: x", headers={**world.admin, "Content-Type": "application/yaml"}
    )
    assert r.status_code == 200 and r.json()["purpose"] == "original"


def test_strict_406_holds_when_a_form_overrides_the_verb(strict: TestClient, world: World) -> None:
    sid = new_session(strict, world, purpose="original")["id"]
    r = strict.post(
        f"/ai/sessions/{sid}",
        data={"X-Http-Method-Override": "PATCH", "purpose": "changed"},
        headers={**world.admin, "Accept": "image/png"},
    )
    assert r.status_code == 406
    assert strict.get(f"/ai/sessions/{sid}", headers=world.admin).json()["purpose"] == "original"


@pytest.mark.parametrize(
    ("accept", "path", "expected"),
    [
        # An alias named exactly outranks a wildcard that reaches the codec's own type.
        ("text/xml, */*;q=0.5", "/ai/sessions/{sid}", "application/xml"),
        ("text/jsv;q=0.9, application/*;q=0.1", "/ai/sessions/{sid}", "application/jsv"),
        # An explicit format is acceptable when the client names it by an alias.
        ("text/xml", "/xml/reply/GetAISession?sessionId={sid}", "application/xml"),
    ],
)
def test_strict_exact_aliases_count(strict: TestClient, world: World, accept: str, path: str, expected: str) -> None:
    sid = new_session(strict, world)["id"]
    r = strict.get(path.format(sid=sid), headers={**world.admin, "Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == expected


@pytest.mark.parametrize("path", ["/api/PatchAISession", "/jsv/reply/PatchAISession"])
def test_strict_415_on_predefined_routes_for_a_body_in_another_format(
    strict: TestClient, world: World, path: str
) -> None:
    sid = new_session(strict, world, purpose="original")["id"]
    r = strict.patch(
        path, content=f"sessionId,purpose\r\n{sid},x\r\n", headers={**world.admin, "Content-Type": "text/csv"}
    )
    assert r.status_code == 415
    assert r.headers["content-type"].startswith("application/json" if path.startswith("/api") else "application/jsv")
    assert strict.get(f"/ai/sessions/{sid}", headers=world.admin).json()["purpose"] == "original"


def test_strict_predefined_route_accepts_a_body_in_its_own_format(strict: TestClient, world: World) -> None:
    sid = new_session(strict, world)["id"]
    r = strict.patch("/api/PatchAISession", json={"sessionId": sid, "purpose": "api"}, headers=world.admin)
    assert r.status_code == 200 and r.json()["purpose"] == "api"
    r = strict.patch(
        "/jsv/reply/PatchAISession",
        content=f"{{sessionId:{sid},purpose:jsv}}",
        headers={**world.admin, "Content-Type": "text/jsv"},
    )
    assert r.status_code == 200, r.text


def test_remembered_negotiations_still_follow_each_requests_own_switches(client: TestClient, world: World) -> None:
    # The endpoint remembers each distinct negotiation input; whatever differs between these
    # requests (suffix, ?format=, ?callback=, the /{format}/reply/ path, Accept, the session) must
    # still change the answer's format, in whichever order they come.
    sid = new_session(client, world)["id"]
    other = new_session(client, world)["id"]
    cases = [
        (f"/ai/sessions/{sid}", {}, "application/json; charset=utf-8"),
        (f"/ai/sessions/{sid}.xml", {}, "application/xml"),
        (f"/ai/sessions/{sid}?format=csv", {}, "text/csv"),
        (f"/ai/sessions/{sid}?callback=cb", {}, "text/javascript"),
        (f"/ai/sessions/{other}", {"Accept": "text/jsv"}, "application/jsv"),
        (f"/xml/reply/GetAISession?sessionId={sid}", {}, "application/xml"),
        (f"/ai/sessions/{other}", {}, "application/json; charset=utf-8"),
    ]
    for _ in range(2):
        for path, headers, expected in cases:
            r = client.get(path, headers={**world.admin, **headers})
            assert r.status_code == 200 and r.headers["content-type"] == expected, (path, headers)
