"""The five AI-session operations over their custom routes, in JSON exactly as ServiceStack writes it."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from starlette.testclient import TestClient

from .conftest import World

INFO_KEYS = [
    "accountId",
    "accountName",
    "purpose",
    "id",
    "dateCreated",
    "dateLastModified",
    "createdBy",
    "lastModifiedBy",
]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def new_session(client: TestClient, world: World, purpose: str | None = "support") -> dict[str, Any]:
    body: dict[str, Any] = {"accountId": world.account_id}
    if purpose is not None:
        body["purpose"] = purpose
    response = client.post("/ai/sessions", json=body, headers=world.admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_new_session_returns_info_in_servicestack_key_order(client: TestClient, world: World) -> None:
    response = client.post(
        "/ai/sessions", json={"accountId": world.account_id, "purpose": "support"}, headers=world.admin
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    # Key order is part of the wire contract: derived members first, then EntityInfo's.
    keys = list(msgspec.json.decode(response.content).keys())
    assert keys == INFO_KEYS
    info = response.json()
    assert info["accountId"] == world.account_id
    assert info["accountName"] == world.account_name
    assert info["purpose"] == "support"
    assert info["createdBy"] == info["lastModifiedBy"] == world.admin_id
    assert ISO_UTC.match(info["dateCreated"]) and info["dateCreated"] == info["dateLastModified"]


def test_null_members_are_omitted(client: TestClient, world: World) -> None:
    info = new_session(client, world, purpose=None)
    assert "purpose" not in info


def test_get_patch_delete_round_trip(client: TestClient, world: World) -> None:
    created = new_session(client, world)
    sid = created["id"]
    got = client.get(f"/ai/sessions/{sid}", headers=world.admin)
    assert got.json() == created

    patched = client.patch(f"/ai/sessions/{sid}", json={"purpose": "sales"}, headers=world.admin)
    assert patched.status_code == 200
    info = patched.json()
    assert info["purpose"] == "sales"
    assert info["dateCreated"] == created["dateCreated"]
    assert info["dateLastModified"] >= created["dateLastModified"]

    deleted = client.delete(f"/ai/sessions/{sid}", headers=world.admin)
    assert deleted.status_code == 204 and deleted.content == b""
    missing = client.get(f"/ai/sessions/{sid}", headers=world.admin)
    assert missing.status_code == 404
    assert missing.json()["responseStatus"]["errorCode"] == "NotFound"


def test_patch_leaves_absent_and_null_fields_unchanged(client: TestClient, world: World) -> None:
    sid = new_session(client, world, purpose="keep")["id"]
    for body in ({}, {"purpose": None}):
        response = client.patch(f"/ai/sessions/{sid}", json=body, headers=world.admin)
        assert response.json()["purpose"] == "keep"


def test_patch_records_the_acting_user(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    world.store.add_user("admin2", ["SystemAdministrator"], None)
    key = world.store.add_api_key("admin2")
    info = client.patch(f"/ai/sessions/{sid}", json={"purpose": "x"}, headers={"Authorization": f"Bearer {key}"})
    assert info.json()["createdBy"] == world.admin_id
    assert info.json()["lastModifiedBy"] != world.admin_id


def test_missing_session_is_404_not_found_for_every_verb(client: TestClient, world: World) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(method, "/ai/sessions/nope", headers=world.admin, json={"purpose": "x"})
        assert response.status_code == 404, method
        status = response.json()["responseStatus"]
        assert status["errorCode"] == "NotFound" and status["errors"] == []
        assert "nope" in status["message"]


def test_unknown_account_is_400_naming_the_field(client: TestClient, world: World) -> None:
    response = client.post("/ai/sessions", json={"accountId": "ghost"}, headers=world.admin)
    assert response.status_code == 400
    status = response.json()["responseStatus"]
    assert status["errors"][0]["fieldName"] == "accountId"
    assert "ghost" in status["message"]


def test_missing_account_is_400_argument_null(client: TestClient, world: World) -> None:
    response = client.post("/ai/sessions", json={"purpose": "p"}, headers=world.admin)
    assert response.status_code == 400
    assert response.json()["responseStatus"]["errorCode"] == "ArgumentNullException"


def test_list_pages_sorts_and_filters(client: TestClient, world: World) -> None:
    other = world.store.add_account("Other")
    ids = [new_session(client, world, purpose=f"p{i}")["id"] for i in range(5)]
    client.post("/ai/sessions", json={"accountId": other.id, "purpose": "other"}, headers=world.admin)

    everything = client.get("/ai/sessions", headers=world.admin).json()
    assert list(everything) == ["items", "totalCount", "totalPages", "hasMorePages"]
    assert everything["totalCount"] == 6 and everything["totalPages"] == 1
    assert everything["hasMorePages"] is False

    page = client.get(
        "/ai/sessions",
        params={"accountIds": world.account_id, "countPerPage": "2", "page": "1", "sortField": "purpose"},
        headers=world.admin,
    ).json()
    assert [i["purpose"] for i in page["items"]] == ["p2", "p3"]
    assert (page["totalCount"], page["totalPages"], page["hasMorePages"]) == (5, 3, True)

    desc = client.get(
        "/ai/sessions",
        params={"accountIds": f"[{world.account_id}]", "sortField": "Purpose", "sortOrder": "Descend"},
        headers=world.admin,
    ).json()
    assert [i["purpose"] for i in desc["items"]] == ["p4", "p3", "p2", "p1", "p0"]

    specific = client.get("/ai/sessions", params={"specificIds": f"{ids[0]},{ids[4]}"}, headers=world.admin).json()
    assert sorted(i["id"] for i in specific["items"]) == sorted([ids[0], ids[4]])


def test_list_simplified_paging_skips_counts(client: TestClient, world: World) -> None:
    for i in range(3):
        new_session(client, world, purpose=f"p{i}")
    page = client.get(
        "/ai/sessions", params={"simplifiedPaging": "true", "countPerPage": "2"}, headers=world.admin
    ).json()
    assert len(page["items"]) == 2
    assert (page["totalCount"], page["totalPages"], page["hasMorePages"]) == (0, 0, True)


def test_list_rejects_unknown_sort_field(client: TestClient, world: World) -> None:
    response = client.get("/ai/sessions", params={"sortField": "password"}, headers=world.admin)
    assert response.status_code == 400
    assert response.json()["responseStatus"]["errors"][0]["fieldName"] == "sortField"
