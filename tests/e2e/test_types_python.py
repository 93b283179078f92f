"""Add ServiceStack Reference, for real: fetch /types/python from the running server, import it, and
drive the API with the `servicestack` client through the generated DTOs alone."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType

import httpx2 as httpx
import pytest
from servicestack import JsonServiceClient, WebServiceException

from .conftest import LiveServer


@pytest.fixture(scope="module")
def dtos(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    response = httpx.get(f"{live_server.base_url}/types/python", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    path = tmp_path_factory.mktemp("types") / "evo_dtos.py"
    path.write_text(response.text)
    spec = importlib.util.spec_from_file_location("evo_dtos", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve string annotations through sys.modules while the module executes.
    sys.modules["evo_dtos"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("evo_dtos", None)


def admin_client(server: LiveServer) -> JsonServiceClient:
    client = JsonServiceClient(server.base_url)
    client.set_bearer_token(server.admin_key)
    return client


def test_header_names_the_server(dtos: ModuleType, live_server: LiveServer) -> None:
    assert f"BaseUrl: {live_server.base_url}" in (dtos.__doc__ or "")


def test_new_get_patch_with_generated_dtos(dtos: ModuleType, live_server: LiveServer) -> None:
    client = admin_client(live_server)
    # No response type passed anywhere: the client reads it from IReturn[AISessionInfo].
    created = client.post(dtos.NewAISession(account_id=live_server.account_id, purpose="support"))
    assert isinstance(created, dtos.AISessionInfo)
    assert created.account_id == live_server.account_id and created.purpose == "support"
    assert created.account_name == "Acme Voice" and created.id

    fetched = client.get(dtos.GetAISession(session_id=created.id))
    assert isinstance(fetched, dtos.AISessionInfo) and fetched == created

    patched = client.patch(dtos.PatchAISession(session_id=created.id, purpose="sales"))
    assert isinstance(patched, dtos.AISessionInfo)
    assert (patched.id, patched.purpose) == (created.id, "sales")
    assert client.get(dtos.GetAISession(session_id=created.id)).purpose == "sales"


def test_send_dispatches_on_the_verb_marker(dtos: ModuleType, live_server: LiveServer) -> None:
    client = admin_client(live_server)
    created = client.send(dtos.NewAISession(account_id=live_server.account_id, purpose="send"))
    patched = client.send(dtos.PatchAISession(session_id=created.id, purpose="sent"))
    assert isinstance(patched, dtos.AISessionInfo) and patched.purpose == "sent"


def test_list_and_delete_with_generated_dtos(dtos: ModuleType, live_server: LiveServer) -> None:
    client = admin_client(live_server)
    created = client.post(dtos.NewAISession(account_id=live_server.account_id, purpose="listed"))
    page = client.get(dtos.ListAISessions(account_ids=[live_server.account_id], count_per_page=100))
    assert created.id in [item.id for item in page.items]
    client.delete(dtos.DeleteAISession(session_id=created.id))
    with pytest.raises(WebServiceException) as info:
        client.get(dtos.GetAISession(session_id=created.id))
    assert info.value.status_code == 404
