"""The request limits (gateway.limits) through the app, in every format: auto-batch size, string
length (pinned byte for byte in fixtures/http/{fmt}/MaximumLength.response.{fmt}), answer size, and
the anonymous body limit, which refuses a sign-in body before anything decodes it."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, SupportsInt, cast

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from wirecodecs import default_registry

from gateway import endpoint
from gateway.app import create_app
from gateway.body import read_form
from gateway.config import Settings
from gateway.dtos import AISessionInfo, GetAISession, ListResponse, NewAISession
from gateway.limits import RequestLimits, StringTooLong, check_strings, dotnet_member_name, string_size

from .conftest import World, sql

FORMATS = ("json", "jsv", "xml", "csv", "jsonl")
MEDIA_TYPES = {
    "json": "application/json",
    "jsv": "application/jsv",
    "xml": "application/xml",
    "csv": "text/csv",
    "jsonl": "text/jsonl",
}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http"
REGISTRY = default_registry()

LIMITS = RequestLimits(max_batch_requests=5, max_string_length=40, max_anonymous_body_bytes=300)


def _client(world: World, limits: RequestLimits) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=world.db_url, request_limits=limits), store=world.store)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def limited(world: World) -> Iterator[TestClient]:
    yield from _client(world, LIMITS)


@pytest.fixture
def small_answers(world: World) -> Iterator[TestClient]:
    yield from _client(world, RequestLimits(max_response_bytes=200))


def encode(fmt: str, value: object) -> bytes:
    codec = REGISTRY.by_format(fmt)
    assert codec is not None
    return codec.encode(value)


def sessions(world: World) -> int:
    return int(cast(SupportsInt, sql(world, "SELECT COUNT(*) FROM ai_sessions")[0][0]))


def _characters(value: Any) -> int:
    """The definition string_size keeps, walked value by value."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return sum(map(_characters, value))
    if isinstance(value, msgspec.Struct):
        return sum(_characters(getattr(value, name)) for name in value.__struct_fields__)
    if isinstance(value, dict):
        return sum(_characters(k) + _characters(v) for k, v in value.items())
    return 0


TEXT = st.none() | st.text(max_size=6)
RECORD = st.builds(AISessionInfo, **dict.fromkeys(AISessionInfo.__struct_fields__, TEXT))
NESTED = st.builds(ListResponse, items=st.lists(RECORD, max_size=3), total_count=st.integers(0, 9))
VALUES = st.lists(RECORD, max_size=6) | st.lists(RECORD | NESTED | TEXT | st.integers(), max_size=6)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_a_list_of_records_is_sized_as_the_walk_sizes_it(value: list[Any]) -> None:
    # Pages of text records take the flat C-speed path; anything else in the list falls back.
    assert string_size(value) == _characters(value)
    assert string_size(ListResponse(items=value, total_count=1)) == _characters(value)


@settings(max_examples=200, deadline=None)
@given(RECORD)
def test_one_record_is_sized_as_the_walk_sizes_it(record: AISessionInfo) -> None:
    assert string_size(record) == _characters(record)


def test_a_record_holding_what_its_declaration_does_not_say_is_walked() -> None:
    odd = AISessionInfo(id="abc", purpose=cast(Any, ["de", "f"]))
    assert string_size(odd) == 6


def test_member_names_and_string_sizes() -> None:
    assert dotnet_member_name("account_id") == "AccountId"
    assert string_size(GetAISession(session_id="abc")) == 3
    assert string_size([NewAISession(account_id="ab", purpose="cde"), {"k": "vw"}]) == 8
    check_strings(NewAISession(purpose="x" * 10), 10)
    with pytest.raises(StringTooLong, match=r"'Purpose' must be 10 characters or fewer\. You entered 11"):
        check_strings(NewAISession(purpose="x" * 11), 10)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_batch_over_the_limit_is_400_before_any_request_runs(limited: TestClient, world: World, fmt: str) -> None:
    body = encode(fmt, [NewAISession(account_id=world.account_id, purpose=f"p{i}") for i in range(6)])
    r = limited.post(f"/{fmt}/reply/NewAISession[]", content=body, headers=world.admin)
    assert r.status_code == 400, r.text
    assert "BatchTooLarge" in r.text and "at most 5 requests; this one holds 6" in r.text
    assert r.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert sessions(world) == 0
    # At the limit the batch runs.
    five = encode(fmt, [NewAISession(account_id=world.account_id, purpose=f"p{i}") for i in range(5)])
    ok = limited.post(f"/{fmt}/reply/NewAISession[]", content=five, headers=world.admin)
    assert ok.status_code == 200 and ok.headers["x-autobatch-completed"] == "5"
    assert sessions(world) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_string_over_the_limit_is_a_maximum_length_field_error(limited: TestClient, world: World, fmt: str) -> None:
    body = encode(fmt, NewAISession(account_id=world.account_id, purpose="x" * 41))
    headers = {**world.admin, "Content-Type": MEDIA_TYPES[fmt], "Accept": MEDIA_TYPES[fmt]}
    r = limited.post("/ai/sessions", content=body, headers=headers)
    assert r.status_code == 400
    assert r.content == (FIXTURES / fmt / f"MaximumLength.response.{fmt}").read_bytes()
    assert sessions(world) == 0
    ten = encode(fmt, NewAISession(account_id=world.account_id, purpose="x" * 40))
    assert limited.post("/ai/sessions", content=ten, headers=headers).status_code == 200


def test_query_values_and_batch_items_are_held_to_the_string_limit(limited: TestClient, world: World) -> None:
    r = limited.get(f"/ai/sessions?specificIds={'y' * 41}", headers=world.admin)
    assert r.status_code == 400
    assert r.json()["responseStatus"]["errors"][0]["fieldName"] == "SpecificIds"
    batch = [NewAISession(account_id=world.account_id, purpose="x"), NewAISession(purpose="z" * 41)]
    r = limited.post("/json/reply/NewAISession[]", content=encode("json", batch), headers=world.admin)
    assert r.status_code == 400 and r.json()["responseStatus"]["errorCode"] == "MaximumLength"
    assert sessions(world) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_answer_over_the_byte_limit_is_400_and_a_batch_stops_where_it_crossed(
    small_answers: TestClient, world: World, fmt: str
) -> None:
    new = {"accountId": world.account_id, "purpose": "p"}
    made = [small_answers.post("/ai/sessions", json=new, headers=world.admin).json() for _ in range(3)]
    # Each answer holds about 195 characters of strings (ids, dates, names): one fits in 200, two do not.
    r = small_answers.get(f"/ai/sessions?all=true&format={fmt}", headers=world.admin)
    assert r.status_code == 400 and "ResponseTooLarge" in r.text
    gets = encode(fmt, [GetAISession(session_id=s["id"]) for s in made])
    r = small_answers.post(f"/{fmt}/reply/GetAISession[]", content=gets, headers=world.admin)
    assert r.status_code == 400 and "ResponseTooLarge" in r.text
    assert r.headers["x-autobatch-completed"] == "1"
    one = small_answers.get(f"/ai/sessions/{made[0]['id']}?format={fmt}", headers=world.admin)
    assert one.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_record_over_the_byte_limit_is_refused_once_encoded(
    small_answers: TestClient, world: World, fmt: str
) -> None:
    made = small_answers.post(
        "/ai/sessions", json={"accountId": world.account_id, "purpose": "p" * 300}, headers=world.admin
    )
    assert made.status_code == 400 and "ResponseTooLarge" in made.text  # the write stands; its answer does not
    (session_id,) = sql(world, "SELECT id FROM ai_sessions")[0]
    r = small_answers.get(f"/ai/sessions/{session_id}?format={fmt}", headers=world.admin)
    assert r.status_code == 400 and "ResponseTooLarge" in r.text


def test_one_record_within_the_byte_limit_is_not_walked(
    world: World, monkeypatch: pytest.MonkeyPatch, limited: TestClient
) -> None:
    # Its encoding is already under the limit, and no string takes fewer bytes than characters.
    made = limited.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "p"}, headers=world.admin)
    walked: list[object] = []

    def string_size(value: object) -> int:
        walked.append(value)
        return 0

    monkeypatch.setattr("gateway.limits.string_size", string_size)
    assert limited.get(f"/ai/sessions/{made.json()['id']}?format=xml", headers=world.admin).status_code == 200
    assert walked == []
    limited.get("/ai/sessions", headers=world.admin)  # a page is sized before it is encoded
    assert len(walked) == 1


def test_a_request_bound_from_a_url_shorter_than_the_string_limit_is_not_walked(
    world: World, monkeypatch: pytest.MonkeyPatch, limited: TestClient
) -> None:
    checked: list[object] = []
    monkeypatch.setattr(endpoint, "check_strings", lambda dto, limit: checked.append(dto))
    limited.get("/ai/sessions/abc", headers=world.admin)  # 16 characters of URL, against 40
    assert checked == []
    limited.get(f"/ai/sessions/{'a' * 30}", headers=world.admin)
    limited.patch("/ai/sessions/abc", json={"purpose": "p"}, headers=world.admin)
    assert len(checked) == 2


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every body decode (each codec's `decode`) and every form parse, by name."""
    calls: list[str] = []
    for fmt in FORMATS:
        codec = REGISTRY.by_format(fmt)
        assert codec is not None
        cls = type(codec)
        original = cls.decode

        def decode(self: Any, *args: Any, _original: Callable[..., Any] = original, _fmt: str = fmt) -> Any:
            calls.append(_fmt)
            return _original(self, *args)

        monkeypatch.setattr(cls, "decode", decode)

    async def counted_read_form(*args: Any) -> Any:
        calls.append("form")
        return await read_form(*args)

    monkeypatch.setattr(endpoint, "read_form", counted_read_form)
    return calls


@pytest.mark.parametrize("fmt", [*FORMATS, "form"])
def test_an_anonymous_body_over_its_limit_is_413_and_never_decoded(
    limited: TestClient, world: World, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calls(monkeypatch)
    if fmt == "form":
        content_type, body = "application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(200))
    else:
        content_type = MEDIA_TYPES[fmt]
        body = {
            "json": b'{"userName":"admin","password":"' + b"x" * 300 + b'"}',
            "jsv": b"{" + b",".join(b"k%d:1" % i for i in range(100)) + b"}",
            "xml": b"<Authenticate>" + b"<A/>" * 100 + b"</Authenticate>",
            "csv": b",".join(b"c%d" % i for i in range(100)) + b"\r\n",
            "jsonl": b'{"userName":"admin"}\n' * 20,
        }[fmt]
    assert len(body) > LIMITS.max_anonymous_body_bytes
    r = limited.post("/auth/credentials", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 413, r.text
    assert "RequestEntityTooLarge" in r.text
    assert calls == []
    # A caller with an API key is held to the general limit: the same body is decoded.
    limited.post("/auth/credentials", content=body, headers={"Content-Type": content_type, **world.admin})
    assert calls == [fmt]


def test_bogus_credentials_do_not_lift_the_anonymous_limit(
    limited: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calls(monkeypatch)
    body = b'{"userName":"admin","password":"' + b"x" * 300 + b'"}'
    for fake in ({"Authorization": "Bearer nope"}, {"X-Api-Key": "nope"}):
        r = limited.post("/auth/credentials", content=body, headers={"Content-Type": "application/json", **fake})
        assert r.status_code == 413
    assert calls == []


def test_a_page_of_very_long_strings_is_sized_without_copying_them() -> None:
    # The check exists to refuse huge answers before any copy: summing lengths, never joining.
    page = ListResponse(items=[AISessionInfo(purpose="x" * 5_000_000) for _ in range(20)], total_count=20)
    tracemalloc.start()
    try:
        assert string_size(page) == 100_000_000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # a join would have allocated the 100 MB
