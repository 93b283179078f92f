"""XML request bodies read as DataContractSerializer reads them, over HTTP: a root with the wrong name
or namespace is a 400 SerializationException (pinned byte for byte in fixtures/http/xml/), and a
member in the wrong namespace or out of DataMember order is skipped, so it keeps its default."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from .conftest import World

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "xml"
DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
AI_NS = "http://schemas.datacontract.org/2004/07/Voice.Api.AI"
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}


def body(root: str, members: str, ns: str = AI_NS) -> bytes:
    xmlns = f'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{ns}"'
    return f"{DECLARATION}<{root} {xmlns}>{members}</{root}>".encode()


def new_session(client: TestClient, world: World, members: str) -> dict[str, object]:
    r = client.post("/ai/sessions?format=json", content=body("NewAISession", members), headers={**world.admin, **XML})
    assert r.status_code == 200, r.text
    record: dict[str, object] = r.json()
    return record


def test_new_reads_members_in_datamember_order(client: TestClient, world: World) -> None:
    # DataMember order is alphabetical here: AccountId, then Purpose.
    in_order = new_session(client, world, f"<AccountId>{world.account_id}</AccountId><Purpose>p</Purpose>")
    assert (in_order["accountId"], in_order["purpose"]) == (world.account_id, "p")
    # Purpose first, then AccountId: AccountId comes after the member it should precede and is skipped.
    r = client.post(
        "/ai/sessions?format=json",
        content=body("NewAISession", f"<Purpose>p</Purpose><AccountId>{world.account_id}</AccountId>"),
        headers={**world.admin, **XML},
    )
    # Without its account the session is refused by validation, as ServiceStack would refuse it.
    assert r.status_code == 400 and r.json()["responseStatus"]["errors"][0]["fieldName"] == "accountId"


def test_new_skips_members_in_another_namespace(client: TestClient, world: World) -> None:
    members = f'<AccountId>{world.account_id}</AccountId><Purpose xmlns="urn:elsewhere">p</Purpose>'
    created = new_session(client, world, members)
    assert created["accountId"] == world.account_id and created.get("purpose") is None


def test_patch_skips_out_of_order_and_foreign_members(client: TestClient, world: World) -> None:
    sid = new_session(client, world, f"<AccountId>{world.account_id}</AccountId><Purpose>old</Purpose>")["id"]
    url = f"/ai/sessions/{sid}?format=json"
    # SessionId comes from the path; the body's Purpose arrives after SessionId, so it is skipped.
    late = body("PatchAISession", f"<SessionId>{sid}</SessionId><Purpose>late</Purpose>")
    r = client.patch(url, content=late, headers={**world.admin, **XML})
    assert r.status_code == 200 and r.json()["purpose"] == "old"
    foreign = body("PatchAISession", '<Purpose xmlns="">foreign</Purpose>')
    r = client.patch(url, content=foreign, headers={**world.admin, **XML})
    assert r.status_code == 200 and r.json()["purpose"] == "old"
    fine = body("PatchAISession", f"<Purpose>new</Purpose><SessionId>{sid}</SessionId>")
    r = client.patch(url, content=fine, headers={**world.admin, **XML})
    assert r.status_code == 200 and r.json()["purpose"] == "new"


def golden(name: str) -> bytes:
    return (GOLDEN / f"{name}.response.xml").read_bytes()


def test_patch_with_the_wrong_root_name_is_a_400(client: TestClient, world: World) -> None:
    r = client.patch(
        "/ai/sessions/x", content=body("GetAISession", "<SessionId>x</SessionId>"), headers={**world.admin, **XML}
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/xml"
    assert r.content == golden("PatchAISession-wrong-root")


def test_new_with_the_root_in_the_wrong_namespace_is_a_400(client: TestClient, world: World) -> None:
    wrong_ns = body("NewAISession", "<Purpose>p</Purpose>", ns="http://schemas.datacontract.org/2004/07/Voice.Api")
    r = client.post("/ai/sessions", content=wrong_ns, headers={**world.admin, **XML})
    assert r.status_code == 400 and r.content == golden("NewAISession-wrong-namespace")
    bare = b"<NewAISession><Purpose>p</Purpose></NewAISession>"
    r = client.post("/ai/sessions", content=bare, headers={**world.admin, **XML})
    assert r.status_code == 400 and r.content == golden("NewAISession-no-namespace")
