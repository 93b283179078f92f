"""Per-type information (msgspec type inspection, converters, XML contracts, CSV columns) is built
once per type: a second request of the same shape inspects no type at all, in every format."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from .conftest import World

_INTROSPECTION: list[tuple[Any, str]] = [
    (msgspec.inspect, "type_info"),
    (msgspec.inspect, "multi_type_info"),
    (msgspec.structs, "fields"),
    (dataclasses, "fields"),
]

PATCH_BODIES = {
    "json": ("application/json", b'{"purpose":"p"}'),
    "jsv": ("application/jsv", b"{purpose:p}"),
    "xml": (
        "application/xml",
        b'<PatchAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI"><Purpose>p</Purpose>'
        b"</PatchAISession>",
    ),
    "csv": ("text/csv", b"Purpose\r\np\r\n"),
}


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    r = client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "p"}, headers=world.admin)
    assert r.status_code == 200
    return str(r.json()["id"])


def _batch_body(fmt: str, account_id: str) -> bytes:
    rows = [account_id, account_id]
    if fmt == "json":
        return msgspec.json.encode([{"accountId": a} for a in rows])
    if fmt == "jsv":
        return ("[" + ",".join("{accountId:" + a + "}" for a in rows) + "]").encode()
    if fmt == "xml":
        items = "".join(f"<NewAISession><AccountId>{a}</AccountId></NewAISession>" for a in rows)
        return f'<ArrayOfNewAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI">{items}</ArrayOfNewAISession>'.encode()
    return ("AccountId\r\n" + "".join(a + "\r\n" for a in rows)).encode()


def _count_introspection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for owner, name in _INTROSPECTION:
        original = getattr(owner, name)

        def counting(*args: Any, _original: Callable[..., Any] = original, _name: str = name, **kw: Any) -> Any:
            calls.append(f"{_name}({args[0]!r})")
            return _original(*args, **kw)

        monkeypatch.setattr(owner, name, counting)
    return calls


@pytest.mark.parametrize("fmt", ["json", "jsv", "xml", "csv"])
@pytest.mark.parametrize("operation", ["patch", "get", "list", "batch"])
def test_a_second_request_of_a_type_inspects_no_type(
    client: TestClient, world: World, session_id: str, monkeypatch: pytest.MonkeyPatch, fmt: str, operation: str
) -> None:
    def send() -> None:
        if operation == "patch":
            content_type, body = PATCH_BODIES[fmt]
            r = client.patch(
                f"/ai/sessions/{session_id}.{fmt}", content=body, headers={**world.admin, "Content-Type": content_type}
            )
        elif operation == "get":
            r = client.get(f"/ai/sessions/{session_id}.{fmt}", headers=world.admin)
        elif operation == "list":
            r = client.get(f"/ai/sessions.{fmt}?countPerPage=5", headers=world.admin)
        else:
            content_type = PATCH_BODIES[fmt][0]
            r = client.post(
                f"/{fmt}/reply/NewAISession[]",
                content=_batch_body(fmt, world.account_id),
                headers={**world.admin, "Content-Type": content_type},
            )
        assert r.status_code == 200, r.text

    send()  # the first request of each type builds what it needs
    calls = _count_introspection(monkeypatch)
    send()
    assert calls == []
