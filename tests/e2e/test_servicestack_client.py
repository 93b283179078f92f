"""The real `servicestack` client from PyPI against the real server, with DTOs written in the seed's style."""

from __future__ import annotations

import asyncio
import datetime  # noqa: F401  (the seed's imports, kept as the generated DTOs have them)
import decimal  # noqa: F401
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import httpx2 as httpx
import pytest
from dataclasses_json import LetterCase, Undefined, dataclass_json
from servicestack import IGet, IPatch, IPost, IReturn, JsonServiceClient, WebServiceException

from .conftest import ADMIN_PASSWORD, LiveServer, cli, running_server


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)  # type: ignore[call-overload]  # CAMEL is a plain function at run time
@dataclass
class EntityInfo:
    # @ApiMember(Description="The ID of the object")
    id: Optional[str] = None  # noqa: UP045 - the seed's own spelling
    date_created: Optional[str] = None  # noqa: UP045
    date_last_modified: Optional[str] = None  # noqa: UP045
    created_by: Optional[str] = None  # noqa: UP045
    last_modified_by: Optional[str] = None  # noqa: UP045


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)  # type: ignore[call-overload]  # CAMEL is a plain function at run time
@dataclass
class AISessionInfo(EntityInfo):
    account_id: Optional[str] = None  # noqa: UP045
    account_name: Optional[str] = None  # noqa: UP045
    purpose: Optional[str] = None  # noqa: UP045


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)  # type: ignore[call-overload]  # CAMEL is a plain function at run time
@dataclass
class NewAISession(IReturn[AISessionInfo], IPost):  # type: ignore[misc]  # servicestack is untyped: its bases are Any
    account_id: Optional[str] = None  # noqa: UP045
    purpose: Optional[str] = None  # noqa: UP045


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)  # type: ignore[call-overload]  # CAMEL is a plain function at run time
@dataclass
class GetAISession(IReturn[AISessionInfo], IGet):  # type: ignore[misc]  # servicestack is untyped: its bases are Any
    session_id: Optional[str] = None  # noqa: UP045


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)  # type: ignore[call-overload]  # CAMEL is a plain function at run time
@dataclass
class PatchAISession(IReturn[AISessionInfo], IPatch):  # type: ignore[misc]  # servicestack is untyped: its bases are Any
    session_id: Optional[str] = None  # noqa: UP045
    purpose: Optional[str] = None  # noqa: UP045


def bearer_client(server: LiveServer) -> JsonServiceClient:
    client = JsonServiceClient(server.base_url)
    client.set_bearer_token(server.admin_key)
    return client


def test_new_get_patch_through_api_base_path(live_server: LiveServer) -> None:
    client = bearer_client(live_server)
    created = client.post(NewAISession(account_id=live_server.account_id, purpose="support"))
    assert isinstance(created, AISessionInfo)
    assert created.account_name == "Acme Voice" and created.created_by == live_server.admin_id
    fetched = client.get(GetAISession(session_id=created.id))
    assert fetched == created
    patched = client.patch(PatchAISession(session_id=created.id, purpose="sales"))
    assert patched.purpose == "sales" and patched.id == created.id


def test_json_reply_base_path(live_server: LiveServer) -> None:
    client = bearer_client(live_server)
    client.set_base_path(None)
    assert client.reply_base_url.endswith("/json/reply/")
    created = client.post(NewAISession(account_id=live_server.account_id, purpose="legacy"))
    assert client.get(GetAISession(session_id=created.id)).purpose == "legacy"


def test_send_all_batches(live_server: LiveServer) -> None:
    client = bearer_client(live_server)
    ids = [client.post(NewAISession(account_id=live_server.account_id)).id for _ in range(3)]
    results = client.send_all([PatchAISession(session_id=i, purpose=f"batch{n}") for n, i in enumerate(ids)])
    assert [r.purpose for r in results] == ["batch0", "batch1", "batch2"]
    assert all(isinstance(r, AISessionInfo) for r in results)


def test_basic_credentials(live_server: LiveServer) -> None:
    client = JsonServiceClient(live_server.base_url)
    client.set_credentials("admin", ADMIN_PASSWORD)
    created = client.post(NewAISession(account_id=live_server.account_id, purpose="basic"))
    assert created.purpose == "basic"


def test_api_key_as_basic_user_name_with_an_empty_password(live_server: LiveServer) -> None:
    # ApiKeyAuthProvider's Basic transport, as the client sends it from set_credentials(key, "").
    client = JsonServiceClient(live_server.base_url)
    client.set_credentials(live_server.admin_key, "")
    created = client.post(NewAISession(account_id=live_server.account_id, purpose="basic-key"))
    assert created.created_by == live_server.admin_id


def test_not_found_raises_web_service_exception(live_server: LiveServer) -> None:
    client = bearer_client(live_server)
    with pytest.raises(WebServiceException) as info:
        client.get(GetAISession(session_id="does-not-exist"))
    assert info.value.status_code == 404
    assert info.value.response_status.error_code == "NotFound"


def test_unauthenticated_raises_401(live_server: LiveServer) -> None:
    client = JsonServiceClient(live_server.base_url)
    with pytest.raises(WebServiceException) as info:
        client.get(GetAISession(session_id="x"))
    assert info.value.status_code == 401


def test_fifty_concurrent_patches_all_succeed(live_server: LiveServer) -> None:
    client = bearer_client(live_server)
    sid = client.post(NewAISession(account_id=live_server.account_id, purpose="start")).id
    headers = {"Authorization": f"Bearer {live_server.admin_key}"}
    purposes = [f"concurrent-{i}" for i in range(50)]

    async def patch_all() -> list[int]:
        async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as http:
            responses = await asyncio.gather(
                *(http.patch(f"/ai/sessions/{sid}", json={"purpose": p}, headers=headers) for p in purposes)
            )
        return [r.status_code for r in responses]

    assert asyncio.run(patch_all()) == [200] * 50
    assert client.get(GetAISession(session_id=sid)).purpose in purposes


def test_data_and_logins_survive_a_restart(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'restart.db'}"
    account_id = cli(db_url, "accounts", "add", "Acme")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin="pw\n")
    key = cli(db_url, "apikeys", "create", "admin")
    with running_server(db_url) as first_url:
        first = JsonServiceClient(first_url)
        first.set_bearer_token(key)
        created = first.post(NewAISession(account_id=account_id, purpose="before"))
        first.patch(PatchAISession(session_id=created.id, purpose="durable"))
        login = httpx.post(f"{first_url}/auth/credentials", json={"userName": "admin", "password": "pw"}, timeout=10)
        ss_id = login.cookies["ss-id"]
    # The first process has exited (running_server required exit 0); a new one opens the file.
    with running_server(db_url) as second_url:
        second = JsonServiceClient(second_url)
        second.set_bearer_token(key)
        assert second.get(GetAISession(session_id=created.id)).purpose == "durable"
        again = httpx.get(f"{second_url}/ai/sessions/{created.id}", headers={"X-ss-id": ss_id}, timeout=10)
        assert again.status_code == 200 and again.json()["purpose"] == "durable"
