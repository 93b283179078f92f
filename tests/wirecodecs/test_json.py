from __future__ import annotations

import enum

import msgspec
import pytest
from wirecodecs import DecodeError, JsonCodec, ValidationError

from gateway.dtos import AISessionInfo, ListAISessions, ListResponse, PatchAISession, SortOrders

codec = JsonCodec()


def test_encode_writes_servicestack_member_order_and_omits_nulls() -> None:
    info = AISessionInfo(account_id="a", purpose="p", id="s", created_by="u")
    assert codec.encode(info) == b'{"accountId":"a","purpose":"p","id":"s","createdBy":"u"}'


def test_encode_writes_value_type_members_even_at_their_default() -> None:
    page: ListResponse[AISessionInfo] = ListResponse()
    assert codec.encode(page) == b'{"items":[],"totalCount":0,"totalPages":0,"hasMorePages":false}'


def test_decode_matches_member_names_case_insensitively_and_ignores_unknown() -> None:
    dto = codec.decode(b'{"SESSIONID":"x","Purpose":"p","nope":1}', PatchAISession)
    assert dto == PatchAISession(session_id="x", purpose="p")


def test_decode_converts_scalars_leniently() -> None:
    dto = codec.decode(b'{"page":"2","all":"true","sortOrder":"Descend"}', ListAISessions)
    assert (dto.page, dto.all, dto.sort_order) == (2, True, SortOrders.Descend)


@pytest.mark.parametrize("body", [b"{", b"nope", b"\xff\xfe", b'{"a":}', b"[" * 200_000])
def test_decode_malformed_raises_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        codec.decode(body, PatchAISession)


def test_decode_wrong_type_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        codec.decode(b'{"purpose":{"a":1}}', PatchAISession)
    assert [(e.field_name, e.path) for e in info.value.errors] == [("purpose", "purpose")]


def test_decode_nested_error_path_names_the_top_member() -> None:
    with pytest.raises(ValidationError) as info:
        codec.decode(b'{"specificIds":["a",{"b":1}]}', ListAISessions)
    assert info.value.errors[0].field_name == "specificIds"
    assert info.value.errors[0].path == "specificIds[1]"


def test_decode_list_of_dtos_for_batches() -> None:
    items = codec.decode(b'[{"SessionId":"a"},{"sessionId":"b","purpose":"x"}]', list[PatchAISession])
    assert items == [PatchAISession(session_id="a"), PatchAISession(session_id="b", purpose="x")]


def test_decoded_round_trip_is_identity() -> None:
    info = AISessionInfo(account_id="a", account_name="n", purpose="p:1,{x}", id="i")
    assert codec.decode(codec.encode(info), AISessionInfo) == info
    assert msgspec.json.decode(codec.encode(info))["purpose"] == "p:1,{x}"


class _Required(msgspec.Struct):
    a: int
    b: int
    c: int = 0


def test_every_wrong_member_is_named_and_only_those() -> None:
    codec = JsonCodec()
    with pytest.raises(ValidationError) as info:
        codec.decode(b'{"a":"x","b":1,"c":"y"}', _Required)
    assert [e.path for e in info.value.errors] == ["a", "c"]  # not "b", not a made-up "missing a"
    with pytest.raises(ValidationError) as info:
        codec.decode(b'{"a":"x","b":1}', _Required)
    assert [e.path for e in info.value.errors] == ["a"]


class _Numbered(enum.IntEnum):
    A = 1
    B = 0


def test_int_enums_bind_by_value_never_by_position_in_every_text_format() -> None:
    from wirecodecs import JsvCodec

    class Holder(msgspec.Struct):
        value: _Numbered = _Numbered.A

    assert JsonCodec().decode(b'{"value":0}', Holder).value is _Numbered.B
    assert JsonCodec().decode(b'{"value":"b"}', Holder).value is _Numbered.B
    assert JsvCodec().decode(b"{value:0}", Holder).value is _Numbered.B
