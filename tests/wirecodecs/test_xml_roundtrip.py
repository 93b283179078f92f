"""decode(encode(dto)) == dto for every DTO the gateway declares, with values hypothesis picks."""

from __future__ import annotations

from typing import Any, cast

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import inspect as mi
from wirecodecs import XmlCodec

from gateway import dtos

codec = XmlCodec()

# Text XML 1.0 can carry: no C0 controls but TAB/LF/CR, no surrogates, no U+FFFE/U+FFFF.
XML_TEXT = st.text(
    st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters=[chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"],
    ),
    max_size=20,
)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)


def strategy(info: mi.Type) -> st.SearchStrategy[Any]:
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        return st.one_of(*[strategy(t) for t in info.types])
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.StrType):
        return XML_TEXT
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.IntType):
        return INT32
    if isinstance(info, mi.EnumType):
        return st.sampled_from(list(info.cls))
    if isinstance(info, mi.ListType):
        return st.lists(strategy(info.item_type), max_size=3)
    if isinstance(info, mi.DictType):
        return st.dictionaries(strategy(info.key_type), strategy(info.value_type), max_size=3)
    if isinstance(info, mi.StructType):
        fields = {f.name: strategy(f.type) for f in info.fields}
        return st.fixed_dictionaries({}, optional=fields).map(lambda kw: info.cls(**kw))
    raise AssertionError(f"no strategy for {info!r}")


def dto_types() -> list[Any]:
    types: list[Any] = []
    for name in dtos.__all__:
        obj = getattr(dtos, name)
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct) and obj is not dtos.Dto:
            # A generic Struct is subscriptable at run time; `type[Struct]` does not say so.
            types.append(cast(Any, obj)[dtos.AISessionInfo] if getattr(obj, "__parameters__", ()) else obj)
    return types


DTO_TYPES = dto_types()


def test_every_dto_is_covered() -> None:
    names = {getattr(t, "__origin__", t).__name__ for t in DTO_TYPES}
    assert {"AISessionInfo", "PatchAISession", "ListAISessions", "ListResponse", "ErrorResponse"} <= names
    assert len(DTO_TYPES) >= 14


@pytest.mark.parametrize("tp", DTO_TYPES, ids=lambda t: getattr(t, "__origin__", t).__name__)
def test_roundtrip_identity(tp: Any) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy(mi.type_info(tp)))
    def roundtrip(dto: Any) -> None:
        data = codec.encode(dto, type=tp)
        assert codec.decode(data, tp) == dto
        # Without the declared type the bytes only differ for a generic with nothing to learn from.
        if not getattr(tp, "__origin__", None):
            assert codec.encode(dto) == data

    roundtrip()


@given(st.lists(strategy(mi.type_info(dtos.PatchAISession)), max_size=4))
@settings(max_examples=40, deadline=None)
def test_batch_roundtrip(batch: list[Any]) -> None:
    tp = list[dtos.PatchAISession]
    assert codec.decode(codec.encode(batch, type=tp), tp) == batch
