"""ETag, If-None-Match (304) and If-Match (412) on the AI-session operations, in every format, on
both stores. The 412 bodies are pinned in fixtures/http/{format}/PreconditionFailed.response.*."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import World, sql
from .test_http_golden import FORMATS, headers, load, render, values_of


def new_session(client: TestClient, world: World, fmt: str) -> tuple[str, str]:
    sent = render(load(fmt, "NewAISession.request"), {"accountId": world.account_id})
    created = client.post("/ai/sessions", content=sent, headers=headers(world, fmt))
    assert created.status_code == 200, created.text
    session_id = str(sql(world, "SELECT id FROM ai_sessions ORDER BY date_created DESC LIMIT 1")[0][0])
    return session_id, created.headers["etag"]


def patch(client: TestClient, world: World, fmt: str, session_id: str, **extra: str) -> tuple[int, bytes, str | None]:
    body = render(load(fmt, "PatchAISession.request"), {"id": session_id})
    response = client.patch(f"/ai/sessions/{session_id}", content=body, headers={**headers(world, fmt), **extra})
    return response.status_code, response.content, response.headers.get("etag")


def version_of(world: World, session_id: str) -> object:
    rows = sql(world, "SELECT version FROM ai_sessions WHERE id = ?", session_id)
    return rows[0][0] if rows else None


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_get_patch_carry_one_strong_etag_that_every_format_agrees_on(
    client: TestClient, world: World, fmt: str
) -> None:
    session_id, created_tag = new_session(client, world, fmt)
    assert created_tag == '"1"'
    for other in FORMATS:
        got = client.get(f"/ai/sessions/{session_id}", headers=headers(world, other))
        assert got.status_code == 200 and got.headers["etag"] == '"1"', other
    status, _, patched_tag = patch(client, world, fmt, session_id)
    assert (status, patched_tag) == (200, '"2"')
    got = client.get(f"/ai/sessions/{session_id}", headers=headers(world, fmt))
    assert got.headers["etag"] == '"2"'
    # A list is not one session: no tag.
    assert "etag" not in client.get("/ai/sessions", headers=headers(world, fmt)).headers


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_with_a_matching_if_none_match_is_304_without_a_body(client: TestClient, world: World, fmt: str) -> None:
    session_id, tag = new_session(client, world, fmt)
    for matching in (tag, f"W/{tag}", f'"7", {tag}', "*"):
        got = client.get(f"/ai/sessions/{session_id}", headers={**headers(world, fmt), "If-None-Match": matching})
        assert got.status_code == 304, matching
        assert got.content == b"" and got.headers["etag"] == tag
        assert "content-type" not in got.headers
    for other in ('"2"', 'W/"2"', "not-a-tag", '"01"'):
        got = client.get(f"/ai/sessions/{session_id}", headers={**headers(world, fmt), "If-None-Match": other})
        assert got.status_code == 200, other
        assert got.content == render(load(fmt, "GetAISession.response"), values_of(world, session_id))
    patch(client, world, fmt, session_id)
    stale = client.get(f"/ai/sessions/{session_id}", headers={**headers(world, fmt), "If-None-Match": tag})
    assert stale.status_code == 200 and stale.headers["etag"] == '"2"'


@pytest.mark.parametrize("fmt", FORMATS)
def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(client: TestClient, world: World, fmt: str) -> None:
    session_id, tag = new_session(client, world, fmt)
    before = values_of(world, session_id)
    for stale in ('"2"', f"W/{tag}", "garbage", '"0", "3"'):
        status, body, _ = patch(client, world, fmt, session_id, **{"If-Match": stale})
        assert status == 412, stale
        assert body == render(load(fmt, "PreconditionFailed.response"), before)
    assert values_of(world, session_id) == before and version_of(world, session_id) == 1

    status, _, new_tag = patch(client, world, fmt, session_id, **{"If-Match": f'"9", {tag}'})
    assert (status, new_tag) == (200, '"2"')
    status, _, _ = patch(client, world, fmt, session_id, **{"If-Match": tag})
    assert status == 412  # the tag it was written under is stale now
    status, _, new_tag = patch(client, world, fmt, session_id, **{"If-Match": "*"})
    assert (status, new_tag) == (200, '"3"')


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_session_is_404_under_if_match_too(client: TestClient, world: World, fmt: str) -> None:
    """RFC 9110 §13.2.1: a failure the request meets without its preconditions comes first."""
    missing = "0" * 32
    for condition in ("*", '"1"', None):
        extra = {} if condition is None else {"If-Match": condition}
        status, body, _ = patch(client, world, fmt, missing, **extra)
        assert status == 404 and body == render(load(fmt, "NotFound.response"), {"id": missing}), condition
        gone = client.delete(f"/ai/sessions/{missing}", headers={**headers(world, fmt), **extra})
        assert gone.status_code == 404
    assert sql(world, "SELECT COUNT(*) FROM ai_sessions") == [(0,)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_delete_with_if_match_deletes_only_the_current_version(client: TestClient, world: World, fmt: str) -> None:
    session_id, tag = new_session(client, world, fmt)
    before = values_of(world, session_id)
    refused = client.delete(f"/ai/sessions/{session_id}", headers={**headers(world, fmt), "If-Match": '"5"'})
    assert refused.status_code == 412
    assert refused.content == render(load(fmt, "PreconditionFailed.response"), before)
    assert version_of(world, session_id) == 1
    deleted = client.delete(f"/ai/sessions/{session_id}", headers={**headers(world, fmt), "If-Match": tag})
    assert deleted.status_code == 204 and deleted.content == b""
    assert version_of(world, session_id) is None


def test_delete_with_if_match_star_deletes_a_session_that_exists(client: TestClient, world: World) -> None:
    session_id, _ = new_session(client, world, "json")
    client.patch(f"/ai/sessions/{session_id}", json={"purpose": "moved on"}, headers=world.admin)  # version 2
    deleted = client.delete(f"/ai/sessions/{session_id}", headers={**world.admin, "If-Match": "*"})
    assert deleted.status_code == 204
    assert version_of(world, session_id) is None
    again = client.delete(f"/ai/sessions/{session_id}", headers={**world.admin, "If-Match": "*"})
    assert again.status_code == 404


def test_without_the_headers_nothing_changes(client: TestClient, world: World) -> None:
    session_id, _ = new_session(client, world, "json")
    for _ in range(3):
        status, _, _ = patch(client, world, "json", session_id)
        assert status == 200
    assert version_of(world, session_id) == 4
    assert client.delete(f"/ai/sessions/{session_id}", headers=world.admin).status_code == 204


def test_the_predefined_and_oneway_routes_honour_if_match(client: TestClient, world: World) -> None:
    session_id, tag = new_session(client, world, "json")
    for path in ("/json/reply/PatchAISession", "/json/oneway/PatchAISession"):
        body = {"sessionId": session_id, "purpose": "x"}
        refused = client.patch(path, json=body, headers={**world.admin, "If-Match": '"99"'})
        assert refused.status_code == 412, path
        assert refused.json()["responseStatus"]["errorCode"] == "PreconditionFailed"
    accepted = client.patch("/json/reply/PatchAISession", json=body, headers={**world.admin, "If-Match": tag})
    assert accepted.status_code == 200 and accepted.headers["etag"] == '"2"'


def test_if_none_match_applies_to_get_only(client: TestClient, world: World) -> None:
    session_id, tag = new_session(client, world, "json")
    # A PATCH ignores it (RFC 9110 would allow a 412 there; this gateway leaves writes to If-Match).
    status, _, new_tag = patch(client, world, "json", session_id, **{"If-None-Match": tag})
    assert (status, new_tag) == (200, '"2"')


def test_an_auto_batch_refuses_if_match_and_carries_no_etag(client: TestClient, world: World) -> None:
    session_id, tag = new_session(client, world, "json")
    batch = [{"sessionId": session_id, "purpose": "a"}, {"sessionId": session_id, "purpose": "b"}]
    refused = client.post("/json/reply/PatchAISession[]", json=batch, headers={**world.admin, "If-Match": tag})
    assert refused.status_code == 400
    status = refused.json()["responseStatus"]
    assert status["errorCode"] == "ArgumentException" and status["errors"][0]["fieldName"] == "If-Match"
    assert version_of(world, session_id) == 1
    done = client.post("/json/reply/PatchAISession[]", json=batch, headers=world.admin)
    assert done.status_code == 200 and "etag" not in done.headers
    assert version_of(world, session_id) == 3
