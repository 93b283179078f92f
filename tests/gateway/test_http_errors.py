"""Bad input gets a clear 4xx in the caller's format and changes nothing in the store."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import World
from .test_http_operations import new_session


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    return str(new_session(client, world, purpose="original")["id"])


def assert_untouched(client: TestClient, world: World, session_id: str) -> None:
    info = client.get(f"/ai/sessions/{session_id}", headers=world.admin).json()
    assert info["purpose"] == "original"
    assert info["dateCreated"] == info["dateLastModified"]


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b'{"purpose":}', b"\xff\xfe\x00", b'{"purpose":"x"', b"[" * 60_000, b'{"purpose":"a"}x'],
)
def test_undecodable_body_is_400_serialization_exception(
    client: TestClient, world: World, session_id: str, body: bytes
) -> None:
    r = client.patch(
        f"/ai/sessions/{session_id}", content=body, headers={**world.admin, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    status = r.json()["responseStatus"]
    assert status["errorCode"] == "SerializationException"
    assert "PatchAISession" in status["message"]
    assert_untouched(client, world, session_id)


def test_wrong_types_are_400_with_field_errors(client: TestClient, world: World, session_id: str) -> None:
    r = client.patch(f"/ai/sessions/{session_id}", json={"purpose": {"deep": [1]}}, headers=world.admin)
    assert r.status_code == 400
    status = r.json()["responseStatus"]
    assert status["errors"][0]["fieldName"] == "purpose"
    assert status["errors"][0]["errorCode"] == "SerializationException"
    r = client.get("/ai/sessions", params={"page": "two"}, headers=world.admin)
    assert r.status_code == 400 and r.json()["responseStatus"]["errors"][0]["fieldName"] == "page"
    assert_untouched(client, world, session_id)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b'{"purpose":"x"}'),  # no boundary
        ("multipart/form-data; boundary=zz", b"garbage"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n"),
        ("application/x-www-form-urlencoded", b"purpose=\xff\xfe"),
        ("application/x-www-form-urlencoded", b"purpose=%FF%FE"),  # percent-encoded, still not UTF-8
        # Cut off before the closing delimiter: the torn part must not vanish silently.
        ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nabc'),
        ('multipart/form-data; boundary="zz"', b""),
    ],
)
@pytest.mark.parametrize("path", ["/ai/sessions/{sid}", "/api/PatchAISession", "/api/PatchAISession[]", "/nope"])
def test_malformed_form_bodies_are_400(
    client: TestClient, world: World, session_id: str, content_type: str, body: bytes, path: str
) -> None:
    r = client.patch(path.format(sid=session_id), content=body, headers={**world.admin, "Content-Type": content_type})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json()["responseStatus"]["errorCode"] == "SerializationException"
    assert_untouched(client, world, session_id)


def test_malformed_multipart_without_credentials_is_a_4xx(client: TestClient, session_id: str) -> None:
    r = client.get("/nope", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400


def test_body_over_the_limit_is_413(client: TestClient, world: World, session_id: str) -> None:
    big = b'{"purpose":"' + b"x" * (65 * 1024) + b'"}'
    r = client.patch(
        f"/ai/sessions/{session_id}", content=big, headers={**world.admin, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
    assert_untouched(client, world, session_id)


def test_body_over_the_limit_without_content_length_is_413(client: TestClient, world: World, session_id: str) -> None:
    def chunks() -> object:
        for _ in range(70):
            yield b"x" * 1024

    r = client.patch(
        f"/ai/sessions/{session_id}",
        content=chunks(),  # type: ignore[arg-type]
        headers={**world.admin, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert_untouched(client, world, session_id)


def test_unknown_route_is_404_in_the_callers_format(client: TestClient, world: World) -> None:
    r = client.get("/nope/nothing", headers=world.admin)
    assert r.status_code == 404
    assert r.json()["responseStatus"]["errorCode"] == "NotFound"


def test_unknown_operation_is_405_not_implemented(client: TestClient, world: World) -> None:
    r = client.post("/api/DropAllTables", json={}, headers=world.admin)
    assert r.status_code == 405
    assert r.json()["responseStatus"]["errorCode"] == "NotImplementedException"


def test_wrong_verb_is_405_with_allow(client: TestClient, world: World, session_id: str) -> None:
    r = client.put(f"/ai/sessions/{session_id}", json={"purpose": "x"}, headers=world.admin)
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"
    assert_untouched(client, world, session_id)


def test_batch_with_a_malformed_body_is_400(client: TestClient, world: World, session_id: str) -> None:
    r = client.post(
        "/api/PatchAISession[]", content=b'[{"sessionId":', headers={**world.admin, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    r = client.post("/api/PatchAISession[]", json={"sessionId": session_id}, headers=world.admin)
    assert r.status_code == 400
    assert_untouched(client, world, session_id)


def test_predefined_route_without_session_id_is_400(client: TestClient, world: World) -> None:
    r = client.patch("/api/PatchAISession", json={"purpose": "x"}, headers=world.admin)
    assert r.status_code == 400
    assert r.json()["responseStatus"]["errors"][0]["fieldName"] == "sessionId"


@pytest.mark.parametrize(
    ("accept", "error_code"),
    [
        ("application/json", '"errorCode":"ServiceUnavailable"'),
        ("application/jsv", "{responseStatus:{errorCode:ServiceUnavailable"),
        ("application/xml", "<ErrorCode>ServiceUnavailable</ErrorCode>"),
        ("text/csv", "ServiceUnavailable"),
    ],
)
def test_an_unreachable_store_is_503_in_the_callers_format(
    client: TestClient, world: World, accept: str, error_code: str
) -> None:
    world.store.close()
    r = client.get("/ai/sessions", headers={**world.admin, "Accept": accept})
    assert r.status_code == 503
    assert r.headers["content-type"].split(";")[0] == accept
    assert error_code in r.text


@pytest.mark.parametrize("path", ["/ai/sessions/a%0Ab", "/nope%0A", "/ai/sessions/%0A", "/jsv/reply/Get%0AAISession"])
def test_paths_with_control_characters_get_an_error_response(client: TestClient, world: World, path: str) -> None:
    # A newline in a path segment once slipped past the catch-all route to Starlette's plain 404.
    r = client.get(path, headers={**world.admin, "Accept": "application/jsv"})
    assert r.status_code in (404, 405)
    assert r.headers["content-type"] == "application/jsv"
    assert r.text.startswith("{responseStatus:{errorCode:")


@pytest.mark.parametrize(
    ("query", "member"),
    [("page=99999999999999999999", "page"), ("page=2147483648", "page"), ("countPerPage=-2147483649", "countPerPage")],
)
def test_numbers_outside_int32_are_400_naming_the_member(
    client: TestClient, world: World, query: str, member: str
) -> None:
    r = client.get(f"/ai/sessions?{query}", headers=world.admin)
    assert r.status_code == 400
    errors = r.json()["responseStatus"]["errors"]
    assert [e["fieldName"] for e in errors] == [member]


@pytest.mark.parametrize("fmt", ["json", "jsv", "xml"])
def test_int32_bounds_hold_in_every_body_format(client: TestClient, world: World, fmt: str) -> None:
    from wirecodecs import default_registry

    from gateway.dtos import ListAISessions

    codec = default_registry().by_format(fmt)
    assert codec is not None
    body = codec.encode(ListAISessions(page=7)).replace(b"7", b"99999999999999999999")
    r = client.request("GET", f"/{fmt}/reply/ListAISessions", content=body, headers=world.admin)
    assert r.status_code == 400, r.text
    assert client.get("/ai/sessions?page=2147483647", headers=world.admin).status_code == 200


def test_every_wrong_member_of_a_body_is_named(client: TestClient, world: World) -> None:
    r = client.request(
        "GET",
        "/json/reply/ListAISessions",
        content=b'{"page":"x","countPerPage":[1],"all":"maybe","sortField":"purpose"}',
        headers=world.admin,
    )
    assert r.status_code == 400
    errors = r.json()["responseStatus"]["errors"]
    assert [e["fieldName"] for e in errors] == ["page", "countPerPage", "all"]
    assert all(e["errorCode"] == "SerializationException" for e in errors)
