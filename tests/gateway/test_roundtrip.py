"""Round trips between every pair of registered formats, for every DTO of the operation table:
A → B → A is the identity; through `transcode` (the `convert` command) and through HTTP (request in
one format, response in another)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from wirecodecs import capabilities_of, default_registry, encode_declared

from gateway.transcode import dto_types, transcode

from ..strategies import TEXT, csv_view, dto_strategy, jsonl_view, wire_equal
from .conftest import World

REGISTRY = default_registry()
#: The formats that read as well as write (HTML writes pages for people only).
FORMATS = [codec.format for codec in REGISTRY if not capabilities_of(codec).response_only]
PAIRS = list(itertools.permutations(FORMATS, 2))
TYPES = dto_types()


def reencode(data: bytes, *, source: str, target: str, type_name: str) -> bytes:
    """What `evo-gateway convert` does, except that an empty document is passed on: an empty JSONL
    stream is a real one (a DTO whose list is empty), which the CLI refuses only as empty stdin."""
    if not data.strip():
        codec_a, codec_b = REGISTRY.by_format(source), REGISTRY.by_format(target)
        assert codec_a is not None and codec_b is not None
        return encode_declared(codec_b, codec_a.decode(data, TYPES[type_name]), TYPES[type_name])
    return transcode(data, source=source, target=target, type_name=type_name, registry=REGISTRY).output


@pytest.mark.parametrize("type_name", sorted(TYPES))
@pytest.mark.parametrize(("source", "target"), PAIRS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_to_b_to_a_is_the_identity(type_name: str, source: str, target: str, data: st.DataObject) -> None:
    tp = TYPES[type_name]
    dto: Any = data.draw(dto_strategy(tp))
    codec_a, codec_b = REGISTRY.by_format(source), REGISTRY.by_format(target)
    assert codec_a is not None and codec_b is not None
    in_a = encode_declared(codec_a, dto, tp)
    in_b = reencode(in_a, source=source, target=target, type_name=type_name)
    back = reencode(in_b, source=target, target=source, type_name=type_name)
    # JSONL carries one member of a DTO that has a list or record member (docs/formats.md).
    project = jsonl_view if "jsonl" in (source, target) else (lambda x: x)
    if "csv" in (source, target):
        # ServiceStack's CSV cannot tell "" from null, and writes only the table of a DTO that has a
        # list (ListResponse's counters are not in it): compare what CSV carries (docs/formats.md).
        assert csv_view(project(codec_a.decode(back, tp))) == csv_view(project(dto))
        return
    if "jsonl" in (source, target):
        assert wire_equal(codec_a.decode(back, tp), jsonl_view(dto))
        if source == "jsonl":
            assert back == in_a
        return
    assert back == in_a
    assert wire_equal(codec_a.decode(back, tp), dto)


@pytest.mark.parametrize(("source", "target"), [(f, f) for f in FORMATS] + PAIRS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(purpose=TEXT)
def test_http_request_in_one_format_response_in_another(
    client: TestClient, world: World, source: str, target: str, purpose: str
) -> None:
    from gateway.dtos import AISessionInfo, PatchAISession

    codec_a, codec_b = REGISTRY.by_format(source), REGISTRY.by_format(target)
    assert codec_a is not None and codec_b is not None
    created = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin).json()
    body = codec_a.encode(PatchAISession(session_id=created["id"], purpose=purpose))
    r = client.patch(
        f"/ai/sessions/{created['id']}",
        content=body,
        headers={**world.admin, "Content-Type": codec_a.media_type, "Accept": codec_b.media_type},
    )
    assert r.status_code == 200, r.content
    assert r.headers["content-type"] == codec_b.content_type
    info = codec_b.decode(r.content, AISessionInfo)
    # An empty string is a value, not an absent member: PATCH stores it. CSV alone cannot say ""
    # (an empty cell is null), so through CSV an empty purpose leaves the field as it was (null).
    expected = None if purpose == "" and "csv" in (source, target) else purpose
    assert info.purpose == expected and info.id == created["id"]


_HEX_ID = st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)


@pytest.fixture
def session_ids(client: TestClient, world: World) -> list[str]:
    made = [
        client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": p}, headers=world.admin)
        for p in ("b, {x}", "a", "c:d")
    ]
    return [str(m.json()["id"]) for m in made]


@pytest.mark.parametrize(("source", "target"), PAIRS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_read_request_in_any_format_is_answered_as_json_answers_it(
    client: TestClient, world: World, session_ids: list[str], source: str, target: str, data: st.DataObject
) -> None:
    """A differential property: a Get or List request, sent as `source` to `/{source}/reply/{Op}`
    with the answer asked for as `target`, gets the answer the JSON route gives, in `target`."""
    from gateway.dtos import AISessionInfo, ErrorResponse, GetAISession, ListAISessions, ListResponse
    from gateway.store.base import SORTABLE_FIELDS

    ids = st.one_of(st.sampled_from(session_ids), _HEX_ID)
    request: Any
    if data.draw(st.booleans(), label="list"):
        response_type: Any = ListResponse[AISessionInfo]
        request = ListAISessions(
            account_ids=data.draw(st.none() | st.lists(st.sampled_from([world.account_id]) | _HEX_ID, max_size=2)),
            page=data.draw(st.integers(0, 3)),
            all=data.draw(st.booleans()),
            count_per_page=data.draw(st.integers(0, 4)),
            specific_ids=data.draw(st.none() | st.lists(ids, min_size=1, max_size=3)),
            sort_field=data.draw(st.none() | st.sampled_from([*sorted(SORTABLE_FIELDS), "nope"])),
            simplified_paging=data.draw(st.booleans()),
        )
    else:
        response_type = AISessionInfo
        request = GetAISession(session_id=data.draw(ids))
    name = type(request).__name__
    codec_a, codec_b, json_codec = (REGISTRY.by_format(f) for f in (source, target, "json"))
    assert codec_a is not None and codec_b is not None and json_codec is not None

    # What the source format carries of the request is what the oracle is asked.
    sent = jsonl_view(request) if source == "jsonl" else request
    oracle = client.request("GET", f"/json/reply/{name}", content=json_codec.encode(sent), headers=world.admin)
    answer = client.request(
        "GET", f"/{source}/reply/{name}?format={target}", content=codec_a.encode(request), headers=world.admin
    )
    assert answer.status_code == oracle.status_code, (answer.content, oracle.content)
    event(f"{name} {oracle.status_code}")
    assert answer.headers["content-type"] == codec_b.content_type
    tp = response_type if oracle.status_code == 200 else ErrorResponse
    expected, got = json_codec.decode(oracle.content, tp), codec_b.decode(answer.content, tp)
    if target == "csv":  # CSV keeps a ListResponse's items only, and "" as null (docs/formats.md)
        assert csv_view(got) == csv_view(expected)
    elif target == "jsonl":  # so does JSONL, "" kept
        assert wire_equal(got, jsonl_view(expected))
    else:
        assert wire_equal(got, expected)
