"""Authentication and roles exactly as ServiceStack's AuthFeature answers: API keys, Basic, sign-in
sessions, the 401 challenge and the 403 for a missing role."""

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


FORMATS = ("json", "xml", "jsv", "csv")


def test_api_key_in_x_api_key_header_and_as_basic_user_name_with_empty_password(
    client: TestClient, world: World
) -> None:
    for fmt in FORMATS:
        for headers in ({"X-Api-Key": world.admin_key}, basic(world.admin_key, "")):
            r = client.get(f"/ai/sessions?format={fmt}", headers=headers)
            assert r.status_code == 200, (fmt, headers)
            assert fmt in r.headers["content-type"] or fmt == "jsv"
        # The clerk's key proves the clerk: 403, not 401.
        assert client.get(f"/ai/sessions?format={fmt}", headers={"X-Api-Key": world.user_key}).status_code == 403
        assert client.get(f"/ai/sessions?format={fmt}", headers=basic(world.user_key, "")).status_code == 403
        assert client.get(f"/ai/sessions?format={fmt}", headers={"X-Api-Key": "nope"}).status_code == 401
        assert client.get(f"/ai/sessions?format={fmt}", headers=basic("nope", "")).status_code == 401
    # A password turns it back into a user name: the key is no password.
    assert client.get("/ai/sessions", headers=basic(world.admin_key, "x")).status_code == 401
    # ApiKeysFeature reads X-Api-Key before Bearer; the first that verifies wins.
    both = {"X-Api-Key": world.user_key, "Authorization": f"Bearer {world.admin_key}"}
    assert client.get("/ai/sessions", headers=both).status_code == 403


def test_a_login_without_remember_me_does_not_survive_the_browser(client: TestClient, world: World) -> None:
    r = client.post("/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD, "rememberMe": False})
    assert r.status_code == 200
    set_cookie = r.headers.get_list("set-cookie")
    ss_id = next(c for c in set_cookie if c.startswith("ss-id="))
    assert "Max-Age" not in ss_id and "expires" not in ss_id.lower()  # a browser-session cookie
    assert any(c.startswith(('ss-pid=""', "ss-pid=;")) for c in set_cookie)  # cleared
    assert any(c.startswith("ss-opt=temp") for c in set_cookie)
    login = r.json()["sessionId"]
    client.cookies.clear()
    # What a restarted browser still holds: the persistent cookies only.
    client.cookies.set("ss-opt", "perm")
    client.cookies.set("ss-pid", login)
    assert client.get("/ai/sessions").status_code == 401
    client.cookies.clear()
    assert client.get("/ai/sessions", headers={"X-ss-id": login}).status_code == 200


def test_a_remember_me_login_survives_the_browser_by_ss_pid(client: TestClient, world: World) -> None:
    r = client.post("/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD, "rememberMe": True})
    assert r.status_code == 200
    login = r.json()["sessionId"]
    assert r.cookies.get("ss-pid") == login and r.cookies.get("ss-opt") == "perm"
    persisted = {"ss-pid": login, "ss-opt": "perm"}
    client.cookies.clear()
    for name, value in persisted.items():
        client.cookies.set(name, value)
    assert client.get("/ai/sessions").status_code == 200
    client.cookies.clear()
    client.cookies.set("ss-pid", login)  # without ss-opt=perm ServiceStack reads ss-id instead
    assert client.get("/ai/sessions").status_code == 401
