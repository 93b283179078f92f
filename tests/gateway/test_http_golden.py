"""Golden HTTP documents: for every operation and every format, the request body a client sends and
the response body the gateway writes, pinned byte for byte in fixtures/http/{format}/.

Fixtures are templates: `{{name}}` stands for a value only known at run time (ids, dates, the acting
user). Each test fills in the real values from the store — not from the response under test — and
compares the whole body.
"""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from gateway.operations import OPERATIONS

from .conftest import World

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http"
FORMATS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
MEDIA_TYPES = {
    "json": "application/json",
    "jsv": "application/jsv",
    "xml": "application/xml",
    "csv": "text/csv",
    "jsonl": "text/jsonl",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def load(fmt: str, name: str) -> str:
    return (FIXTURES / fmt / f"{name}.{fmt}").read_bytes().decode("utf-8")


def render(template: str, values: dict[str, str]) -> bytes:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template).encode("utf-8")


def values_of(world: World, session_id: str) -> dict[str, str]:
    record = anyio.run(world.store.get_session, session_id)
    assert record is not None
    return {
        "accountId": record.account_id,
        "accountName": record.account_name,
        "id": record.id,
        "dateCreated": record.date_created,
        "dateLastModified": record.date_last_modified,
        "createdBy": record.created_by,
        "lastModifiedBy": record.last_modified_by,
    }


def headers(world: World, fmt: str) -> dict[str, str]:
    return {**world.admin, "Accept": MEDIA_TYPES[fmt], "Content-Type": MEDIA_TYPES[fmt]}


def test_every_format_has_fixtures() -> None:
    assert set(FORMATS) >= {"json", "jsv", "xml", "csv", "jsonl"}
    for fmt in FORMATS:
        for op in (o.name for o in OPERATIONS):
            assert (FIXTURES / fmt / f"{op}.request.{fmt}").is_file(), (fmt, op)


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_get_patch_list_delete_byte_for_byte(client: TestClient, world: World, fmt: str) -> None:
    sent = render(load(fmt, "NewAISession.request"), {"accountId": world.account_id})
    created = client.post("/ai/sessions", content=sent, headers=headers(world, fmt))
    assert created.status_code == 200, created.text
    assert created.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    session_id = _only_session_id(world)
    assert session_id is not None
    values = values_of(world, session_id)
    assert created.content == render(load(fmt, "NewAISession.response"), values)

    got = client.get(f"/ai/sessions/{session_id}", headers=headers(world, fmt))
    assert got.status_code == 200 and got.content == render(load(fmt, "GetAISession.response"), values)

    patch = render(load(fmt, "PatchAISession.request"), values)
    patched = client.patch(f"/ai/sessions/{session_id}", content=patch, headers=headers(world, fmt))
    assert patched.status_code == 200, patched.text
    values = values_of(world, session_id)
    assert patched.content == render(load(fmt, "PatchAISession.response"), values)

    listed = client.get("/ai/sessions", headers=headers(world, fmt))
    assert listed.status_code == 200 and listed.content == render(load(fmt, "ListAISessions.response"), values)

    deleted = client.delete(f"/ai/sessions/{session_id}", headers=headers(world, fmt))
    assert deleted.status_code == 204 and deleted.content == b""

    missing = client.get(f"/ai/sessions/{session_id}", headers=headers(world, fmt))
    assert missing.status_code == 404
    assert missing.content == render(load(fmt, "NotFound.response"), values)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_request_document_through_the_predefined_route(client: TestClient, world: World, fmt: str) -> None:
    """Each operation's request document, sent with the operation's verb to `/{fmt}/reply/{Op}`,
    decodes with that format and is answered in it, byte for byte. (Only the verbs the service
    implements are accepted there, so GET and DELETE carry the document as their body.)"""
    verbs = {op.name: op.verb for op in OPERATIONS}

    def call(op: str, values: dict[str, str]) -> bytes:
        sent = render(load(fmt, f"{op}.request"), values)
        response = client.request(verbs[op], f"/{fmt}/reply/{op}", content=sent, headers=world.admin)
        assert response.status_code in (200, 204), (op, response.text)
        return response.content

    created = call("NewAISession", {"accountId": world.account_id})
    session_id = _only_session_id(world)
    assert session_id is not None
    values = values_of(world, session_id)
    assert created == render(load(fmt, "NewAISession.response"), values)
    assert call("GetAISession", values) == render(load(fmt, "GetAISession.response"), values)
    patched = call("PatchAISession", values)
    values = values_of(world, session_id)
    assert patched == render(load(fmt, "PatchAISession.response"), values)
    assert call("ListAISessions", values) == render(load(fmt, "ListAISessions.response"), values)
    assert call("DeleteAISession", values) == b""
    assert _only_session_id(world, expected=0) is None
    missing = client.request(
        "GET",
        f"/{fmt}/reply/GetAISession",
        content=render(load(fmt, "GetAISession.request"), values),
        headers=world.admin,
    )
    assert missing.status_code == 404
    assert missing.content == render(load(fmt, "NotFound.response"), values)


@pytest.mark.parametrize("fmt", FORMATS)
def test_sign_in_byte_for_byte(client: TestClient, world: World, fmt: str) -> None:
    signed_in = client.post(
        "/auth/credentials", content=load(fmt, "Authenticate.request").encode(), headers=headers(world, fmt)
    )
    assert signed_in.status_code == 200, signed_in.text
    # The login id is stored only as a digest, so it is taken from the cookie, not the body.
    values = {"userId": world.admin_id, "sessionId": signed_in.cookies["ss-id"]}
    assert signed_in.content == render(load(fmt, "Authenticate.response"), values)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("op", [*(op.name for op in OPERATIONS)])
def test_request_documents_are_what_the_codec_writes(fmt: str, op: str) -> None:
    """Request fixtures are exact too: decoding one and encoding the DTO gives the same bytes."""
    from wirecodecs import default_registry

    operation = next(o for o in OPERATIONS if o.name == op)
    codec = default_registry().by_format(fmt)
    assert codec is not None
    # Placeholders are filled with values that need no quoting in any format.
    document = render(load(fmt, f"{op}.request"), _SAMPLE_VALUES)
    assert codec.encode(codec.decode(document, operation.request_type)) == document


_SAMPLE_VALUES = {
    name: "0123456789abcdef0123456789abcdef"
    for name in ("accountId", "accountName", "id", "createdBy", "lastModifiedBy", "userId", "sessionId")
} | {"dateCreated": "2026-11-24T10:00:00.000000Z", "dateLastModified": "2026-11-24T10:00:00.000000Z"}


def _only_session_id(world: World, expected: int = 1) -> str | None:
    from gateway.store import SessionQuery

    page = anyio.run(world.store.list_sessions, SessionQuery())
    assert len(page.items) == expected
    return page.items[0].id if page.items else None
