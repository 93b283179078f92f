"""Authentication and roles exactly as ServiceStack's AuthFeature answers (reference C.3, D)."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import ADMIN_PASSWORD, USER_PASSWORD, World, basic


def test_no_credentials_is_401_with_empty_body_and_challenge(client: TestClient, world: World) -> None:
    for method, path in (("GET", "/ai/sessions"), ("PATCH", "/ai/sessions/x"), ("POST", "/api/NewAISession")):
        r = client.request(method, path)
        assert r.status_code == 401, path
        assert r.content == b""
        assert r.headers["www-authenticate"] == 'credentials realm="/auth/credentials"'


def test_bad_bearer_and_bad_basic_are_401(client: TestClient, world: World) -> None:
    assert client.get("/ai/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/ai/sessions", headers=basic("admin", "wrong")).status_code == 401
    assert client.get("/ai/sessions", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_without_the_role_is_403_text_plain(client: TestClient, world: World) -> None:
    r = client.patch("/ai/sessions/abc?x=1", json={"purpose": "p"}, headers=world.user)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("Forbidden\n")
    assert "Request.HttpMethod: PATCH\n" in r.text
    assert "Request.PathInfo: /ai/sessions/abc\n" in r.text
    assert "Request.QueryString: x=1" in r.text
    assert "www-authenticate" not in r.headers


def test_basic_auth_with_password(client: TestClient, world: World) -> None:
    for _ in range(2):  # the second request is served from the verified-credentials cache
        r = client.get("/ai/sessions", headers=basic("admin", ADMIN_PASSWORD))
        assert r.status_code == 200
    assert client.get("/ai/sessions", headers=basic("clerk", USER_PASSWORD)).status_code == 403


def test_credentials_login_sets_ss_id_cookie_until_logout(client: TestClient, world: World) -> None:
    r = client.post("/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD, "rememberMe": True})
    assert r.status_code == 200
    body = r.json()
    assert body["userId"] == world.admin_id and body["userName"] == "admin"
    assert body["sessionId"] and r.cookies.get("ss-id") == body["sessionId"]
    assert client.get("/ai/sessions").status_code == 200  # the cookie jar now carries ss-id

    me = client.get("/auth")
    assert me.status_code == 200 and me.json()["userId"] == world.admin_id

    assert client.post("/auth/logout").status_code == 200
    client.cookies.clear()
    assert client.get("/ai/sessions", headers={"X-ss-id": body["sessionId"]}).status_code == 401


def test_login_via_api_authenticate(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/Authenticate", json={"provider": "credentials", "UserName": "admin", "Password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200 and r.json()["userName"] == "admin"


def test_bad_login_is_401_error_response(client: TestClient, world: World) -> None:
    r = client.post("/auth/credentials", json={"userName": "admin", "password": "wrong"})
    assert r.status_code == 401
    status = r.json()["responseStatus"]
    assert status["errorCode"] == "Unauthorized"
    assert status["message"] == "Invalid UserName or Password"
    assert "ss-id" not in r.cookies


def test_auth_without_login_is_401(client: TestClient, world: World) -> None:
    assert client.get("/auth").status_code == 401


def test_unknown_auth_provider_is_404(client: TestClient, world: World) -> None:
    r = client.post("/auth/twitter", json={})
    assert r.status_code == 404


def test_a_sign_in_by_get_is_refused_before_the_password_is_checked(client: TestClient, world: World) -> None:
    r = client.get("/auth/credentials", params={"userName": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 405
    status = r.json()["responseStatus"]
    assert status["errorCode"] == "NotSupportedException"
    assert "AllowGetAuthenticateRequests" in status["message"]
    assert "ss-id" not in r.cookies
    # What stays allowed by GET, as in ServiceStack: /auth (who am I) and /auth/logout.
    assert client.get("/auth").status_code == 401
    assert client.get("/auth/logout").status_code == 200
