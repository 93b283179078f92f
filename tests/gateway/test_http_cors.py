"""CORS as ServiceStack's CorsFeature: off unless configured; then its headers on every answer in
every format (errors too) and every OPTIONS answered with them; a list of origins echoes the
matching `Origin` and varies on it. The header blocks are pinned in fixtures/cors/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.http.cors import CorsPolicy

from .conftest import World
from .test_http_golden import FORMATS, MEDIA_TYPES
from .test_http_operations import new_session

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cors"
APP = "https://app.example.com"


def pinned(name: str) -> list[tuple[str, str]]:
    lines = (FIXTURES / f"{name}.headers").read_text().splitlines()
    return [(name, value) for name, _, value in (line.partition(": ") for line in lines)]


def cors_headers(response: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k.startswith("access-control-")]


def cors_client(world: World, policy: CorsPolicy) -> TestClient:
    return TestClient(create_app(Settings(db_url=world.db_url, cors=policy), store=world.store))


@pytest.fixture
def any_origin(world: World) -> Iterator[TestClient]:
    with cors_client(world, CorsPolicy(("*",))) as client:
        yield client


@pytest.fixture
def listed(world: World) -> Iterator[TestClient]:
    policy = CorsPolicy(
        (APP, "http://localhost:5173"), allow_credentials=True, allowed_headers="Content-Type, Authorization"
    )
    with cors_client(world, policy) as client:
        yield client


def test_without_the_option_nothing_changes(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    got = client.get(f"/ai/sessions/{sid}", headers={**world.admin, "Origin": APP})
    assert got.status_code == 200 and cors_headers(got) == []
    assert got.headers["vary"] == "Accept"
    preflight = client.options(f"/ai/sessions/{sid}", headers={"Origin": APP, "Access-Control-Request-Method": "PATCH"})
    assert preflight.status_code != 200 and cors_headers(preflight) == []


@pytest.mark.parametrize("path", ["/ai/sessions/abc", "/no/such/path", "/json/reply/GetAISession", "/metadata"])
def test_a_preflight_is_an_empty_200_with_corsfeatures_headers(any_origin: TestClient, path: str) -> None:
    r = any_origin.options(path, headers={"Origin": APP, "Access-Control-Request-Method": "PATCH"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == "0" and "content-type" not in r.headers
    assert cors_headers(r) == pinned("any-origin")
    assert r.headers["vary"] == "Accept"


def test_every_options_request_is_answered_as_servicestack_does(any_origin: TestClient) -> None:
    # CorsFeature's AutoHandleOptionsRequests answers OPTIONS whether or not it is a preflight.
    r = any_origin.options("/ai/sessions")
    assert r.status_code == 200 and cors_headers(r) == pinned("any-origin")


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_and_errors_carry_the_headers_in_every_format(any_origin: TestClient, world: World, fmt: str) -> None:
    sid = new_session(any_origin, world)["id"]
    accept = {"Accept": MEDIA_TYPES[fmt], "Origin": APP}
    got = any_origin.get(f"/ai/sessions/{sid}", headers={**world.admin, **accept})
    assert got.status_code == 200 and got.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert cors_headers(got) == pinned("any-origin")
    missing = any_origin.get("/ai/sessions/nope", headers={**world.admin, **accept})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert cors_headers(missing) == pinned("any-origin")
    bad = any_origin.post(
        "/ai/sessions", content=b"\x00\xff", headers={**world.admin, **accept, "Content-Type": MEDIA_TYPES[fmt]}
    )
    assert bad.status_code == 400 and cors_headers(bad) == pinned("any-origin")


def test_unauthenticated_and_probe_answers_carry_them_too(any_origin: TestClient) -> None:
    denied = any_origin.get("/ai/sessions", headers={"Origin": APP})
    assert denied.status_code == 401 and cors_headers(denied) == pinned("any-origin")
    health = any_origin.get("/health")
    assert health.status_code == 200 and cors_headers(health) == pinned("any-origin")


def test_a_listed_origin_is_echoed_and_the_answer_varies_on_origin(listed: TestClient, world: World) -> None:
    preflight = listed.options("/ai/sessions", headers={"Origin": APP, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert cors_headers(preflight) == pinned("listed-origin-credentials")
    assert preflight.headers["vary"] == "Accept, Origin"
    got = listed.get("/ai/sessions", headers={**world.admin, "Origin": APP})
    assert got.status_code == 200 and cors_headers(got) == pinned("listed-origin-credentials")
    assert got.headers["vary"] == "Accept, Origin"
    other = listed.get("/ai/sessions", headers={**world.admin, "Origin": "http://localhost:5173"})
    assert other.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize("origin", ["https://evil.example.com", "HTTPS://APP.EXAMPLE.COM", None])
def test_an_unlisted_origin_gets_no_allow_origin(listed: TestClient, world: World, origin: str | None) -> None:
    # CorsFeature compares the Origin exactly; the other headers are global and always sent.
    headers = {**world.admin, **({"Origin": origin} if origin else {})}
    got = listed.get("/ai/sessions", headers=headers)
    assert got.status_code == 200
    assert cors_headers(got) == [
        h for h in pinned("listed-origin-credentials") if h[0] != "access-control-allow-origin"
    ]
    assert got.headers["vary"] == "Accept, Origin"


@pytest.mark.parametrize(
    ("origins", "credentials"),
    [((), False), (("*", APP), False), (("*",), True), ((APP + "/",), False), (("app.example.com",), False)],
)
def test_policies_browsers_could_not_use_are_refused(origins: tuple[str, ...], credentials: bool) -> None:
    with pytest.raises(ValueError):
        CorsPolicy(origins, allow_credentials=credentials)
