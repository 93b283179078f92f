"""Precedence of path, query and body; predefined routes; auto-batching; method override; JSONP."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import World
from .test_http_operations import new_session


def test_path_beats_body_and_query_beats_both(client: TestClient, world: World) -> None:
    a = new_session(client, world, purpose="a")["id"]
    b = new_session(client, world, purpose="b")["id"]
    r = client.patch(f"/ai/sessions/{b}", json={"sessionId": a, "purpose": "x"}, headers=world.admin)
    assert r.json()["id"] == b and r.json()["purpose"] == "x"
    r = client.patch(f"/ai/sessions/{b}?purpose=fromquery", json={"purpose": "body"}, headers=world.admin)
    assert r.json()["purpose"] == "fromquery"
    r = client.patch(f"/ai/sessions/{b}?SessionId={a}", json={"purpose": "q"}, headers=world.admin)
    assert r.json()["id"] == a


def test_form_beats_query(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.patch(f"/ai/sessions/{sid}?purpose=query", data={"purpose": "form"}, headers=world.admin)
    assert r.status_code == 200 and r.json()["purpose"] == "form"


def test_urlencoded_form_is_read_as_utf8(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.patch(
        f"/ai/sessions/{sid}",
        content="purpose=café".encode(),
        headers={**world.admin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and r.json()["purpose"] == "café"


def test_a_repeated_content_type_header_still_names_the_codec(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    headers = [*world.admin.items(), ("Content-Type", "application/json"), ("Content-Type", "application/json")]
    r = client.patch(f"/ai/sessions/{sid}", content=b'{"purpose":"twice"}', headers=headers)
    assert r.status_code == 200 and r.json()["purpose"] == "twice"


def test_multipart_form_binds(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.patch(f"/ai/sessions/{sid}", files={"purpose": (None, "multi")}, headers=world.admin)
    assert r.status_code == 200 and r.json()["purpose"] == "multi"


def test_unknown_content_type_ignores_the_body(client: TestClient, world: World) -> None:
    sid = new_session(client, world, purpose="keep")["id"]
    r = client.patch(
        f"/ai/sessions/{sid}",
        content=b"purpose=x",
        headers={**world.admin, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200 and r.json()["purpose"] == "keep"


def test_api_route_body_wins_over_query(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.patch(
        "/api/PatchAISession?purpose=query",
        json={"sessionId": sid, "purpose": "body"},
        headers={**world.admin, "Accept": "application/xml"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json()["purpose"] == "body"
    r = client.patch(f"/api/patchaisession?purpose=filled&sessionId={sid}", json={}, headers=world.admin)
    assert r.json()["purpose"] == "filled"


AI_XMLNS = "http://schemas.datacontract.org/2004/07/Voice.Api.AI"


def test_json_reply_and_oneway_routes(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/json/reply/GetAISession?sessionId={sid}", headers=world.admin)
    assert r.status_code == 200 and r.json()["id"] == sid
    r = client.patch("/json/oneway/PatchAISession", json={"sessionId": sid, "purpose": "ow"}, headers=world.admin)
    # Without a message queue ServiceStack runs a oneway in-process and answers with its response.
    assert r.status_code == 200 and r.json()["purpose"] == "ow"
    assert client.get(f"/ai/sessions/{sid}", headers=world.admin).json()["purpose"] == "ow"
    r = client.post(
        "/xml/oneway/DeleteAISession",
        content=f'<DeleteAISession xmlns="{AI_XMLNS}"><SessionId>{sid}</SessionId></DeleteAISession>',
        headers={**world.admin, "X-Http-Method-Override": "DELETE"},
    )
    assert r.status_code == 204 and r.content == b""  # an operation that returns nothing
    r = client.post("/jsv/oneway/GetAISession[]", content=f"[{{sessionId:{sid}}}]", headers=world.admin)
    assert r.status_code == 404 and r.headers["x-autobatch-completed"] == "0"


def test_an_anonymous_wrong_verb_on_a_predefined_route_is_401_first(client: TestClient, world: World) -> None:
    # ServiceStack binds and authenticates before it looks for the service method.
    r = client.post("/json/oneway/PatchAISession", json={"sessionId": "x", "purpose": "p"})
    assert r.status_code == 401
    r = client.post("/json/oneway/PatchAISession", json={"sessionId": "x", "purpose": "p"}, headers=world.admin)
    assert r.status_code == 405
    assert r.json()["responseStatus"]["errorCode"] == "NotImplementedException"
    r = client.get("/api/PatchAISession[]", headers=world.user)
    assert r.status_code == 403


def test_an_oversized_form_is_413_before_its_path_is_looked_at(client: TestClient, world: World) -> None:
    form = {"purpose": "x" * (1024 * 1024 + 1)}
    r = client.post("/no/such/path", data=form, headers=world.admin)
    assert r.status_code == 413
    assert r.json()["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
    r = client.post("/no/such/path", content=b"x" * (1024 * 1024 + 1), headers=world.admin)
    assert r.status_code == 404  # any other body is never read for an unknown path


def test_auto_batch_runs_every_item_in_order(client: TestClient, world: World) -> None:
    ids = [new_session(client, world)["id"] for _ in range(3)]
    batch = [{"sessionId": sid, "purpose": f"b{i}"} for i, sid in enumerate(ids)]
    for path in ("/api/PatchAISession[]", "/json/reply/PatchAISession%5B%5D"):
        r = client.post(path, json=batch, headers=world.admin)
        assert r.status_code == 200, r.text
        assert r.headers["x-autobatch-completed"] == "3"
        assert [i["purpose"] for i in r.json()] == ["b0", "b1", "b2"]


def test_auto_batch_stops_at_the_first_error(client: TestClient, world: World) -> None:
    sid = new_session(client, world, purpose="before")["id"]
    batch = [{"sessionId": sid, "purpose": "one"}, {"sessionId": "ghost", "purpose": "x"}, {"sessionId": sid}]
    r = client.post("/api/PatchAISession[]", json=batch, headers=world.admin)
    assert r.status_code == 404
    assert r.headers["x-autobatch-completed"] == "1"
    status = r.json()["responseStatus"]
    assert status["errorCode"] == "NotFound" and status["meta"] == {"AutoBatchIndex": "1"}


def test_method_override_by_header_query_and_form(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.post(
        f"/ai/sessions/{sid}", json={"purpose": "h"}, headers={**world.admin, "X-Http-Method-Override": "PATCH"}
    )
    assert r.status_code == 200 and r.json()["purpose"] == "h"
    r = client.post(f"/ai/sessions/{sid}?X-Http-Method-Override=PATCH", json={"purpose": "q"}, headers=world.admin)
    assert r.json()["purpose"] == "q"
    r = client.post(
        f"/ai/sessions/{sid}", data={"X-Http-Method-Override": "PATCH", "purpose": "f"}, headers=world.admin
    )
    assert r.json()["purpose"] == "f"


def test_method_override_query_key_is_case_insensitive(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.post(f"/ai/sessions/{sid}?x-http-method-override=patch", json={"purpose": "lower"}, headers=world.admin)
    assert r.status_code == 200 and r.json()["purpose"] == "lower"


def test_form_method_override_is_the_verb_errors_report(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.post(f"/ai/sessions/{sid}", data={"X-Http-Method-Override": "PATCH", "purpose": "f"}, headers=world.user)
    assert r.status_code == 403
    assert "Request.HttpMethod: PATCH\n" in r.text


def test_form_method_override_names_the_csv_download_after_the_new_operation(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.post(f"/ai/sessions/{sid}.csv", data={"x-http-method-override": "PATCH"}, headers=world.admin)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == "attachment;filename=PatchAISession.csv"


def test_query_switches_are_case_insensitive(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}?Format=jsv", headers=world.admin)
    assert r.headers["content-type"] == "application/jsv"
    r = client.get(f"/ai/sessions/{sid}?Callback=cb", headers=world.admin)
    assert r.text.startswith("cb(")


def test_jsonp_wraps_success_and_errors_with_200(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}?callback=cb", headers=world.admin)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript"
    assert r.text.startswith('cb({"accountId":') and r.text.endswith("})")
    r = client.get("/ai/sessions/ghost?callback=cb", headers=world.admin)
    assert r.status_code == 200 and r.text.startswith('cb({"responseStatus":{"errorCode":"NotFound"')
    r = client.get("/ai/sessions/ghost?callback=cb")
    assert r.status_code == 200 and '"errorCode":"Unauthorized"' in r.text


def test_jsonp_callback_is_sanitised(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}", params={"callback": "alert(1);x</script>"}, headers=world.admin)
    assert r.text.startswith("alert1xscript(")


def test_unknown_suffix_is_part_of_the_id(client: TestClient, world: World) -> None:
    r = client.get("/ai/sessions/a.b", headers=world.admin)
    assert r.status_code == 404 and "a.b" in r.json()["responseStatus"]["message"]


def test_json_suffix_is_stripped(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    r = client.get(f"/ai/sessions/{sid}.json", headers=world.admin)
    assert r.status_code == 200 and r.json()["id"] == sid
