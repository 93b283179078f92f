"""A codec from another distribution, found through the `evo_gateway.codecs` entry point, is
reachable by every negotiation path with no change to the gateway. The codec is the real package in
tests/plugins/msgpack-codec, installed by the README's test command."""

from __future__ import annotations

from importlib.metadata import entry_points

import msgspec
import pytest
from starlette.testclient import TestClient

from .conftest import World

MSGPACK = "application/x-msgpack"


def test_the_plugin_is_installed_as_a_distribution_with_an_entry_point() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="evo_gateway.codecs")}
    assert names.get("msgpack") == "evo_msgpack_codec:MsgPackCodec", (
        "install the test plugin: pip install ./tests/plugins/msgpack-codec (the README's test command does)"
    )


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    r = client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "plugin"}, headers=world.admin)
    assert r.status_code == 200
    return str(r.json()["id"])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ai/sessions/{id}.msgpack", {}),
        ("/ai/sessions/{id}?format=msgpack", {}),
        ("/msgpack/reply/GetAISession?sessionId={id}", {}),
        ("/ai/sessions/{id}", {"Accept": MSGPACK}),
        ("/api/GetAISession.msgpack?sessionId={id}", {}),
    ],
)
def test_every_negotiation_path_reaches_the_plugin(
    client: TestClient, world: World, session_id: str, path: str, headers: dict[str, str]
) -> None:
    r = client.get(path.format(id=session_id), headers={**world.admin, **headers})
    assert r.status_code == 200
    assert r.headers["content-type"] == MSGPACK
    body = msgspec.msgpack.decode(r.content)
    assert body["id"] == session_id and body["purpose"] == "plugin" and body["accountName"] == world.account_name


def test_a_msgpack_request_body_is_decoded_by_content_type(client: TestClient, world: World, session_id: str) -> None:
    body = msgspec.msgpack.encode({"purpose": "via msgpack"})
    r = client.patch(f"/ai/sessions/{session_id}", content=body, headers={**world.admin, "Content-Type": MSGPACK})
    # With `Accept: */*` ServiceStack answers in the request's own format.
    assert r.status_code == 200 and r.headers["content-type"] == MSGPACK
    assert msgspec.msgpack.decode(r.content)["purpose"] == "via msgpack"


def test_predefined_msgpack_route_decodes_its_own_format(client: TestClient, world: World, session_id: str) -> None:
    body = msgspec.msgpack.encode({"sessionId": session_id, "purpose": "predefined"})
    r = client.patch("/msgpack/reply/PatchAISession", content=body, headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"] == MSGPACK
    assert msgspec.msgpack.decode(r.content)["purpose"] == "predefined"


def test_undecodable_msgpack_is_a_400_in_msgpack(client: TestClient, world: World, session_id: str) -> None:
    r = client.patch("/msgpack/reply/PatchAISession", content=b"\xc1\xc1", headers=world.admin)
    assert r.status_code == 400 and r.headers["content-type"] == MSGPACK
    assert msgspec.msgpack.decode(r.content)["responseStatus"]["errorCode"] == "SerializationException"
    got = client.get(f"/ai/sessions/{session_id}", headers=world.admin).json()
    assert got["purpose"] == "plugin"
