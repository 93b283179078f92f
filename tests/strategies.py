"""Hypothesis strategies for every DTO, derived from the Structs' own type information, so a new
member or DTO is covered without touching the tests."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from hypothesis import strategies as st
from msgspec import inspect as mi

#: Hostile but representable text: quotes, separators, brackets, whitespace at the edges, non-ASCII.
#: C0 controls other than tab/LF/CR are left out because XML 1.0 cannot carry them at all.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\",:{}[] \t\r\n\\'<>&;=+-@")),
        # Not U+FFFE/U+FFFF either: XML 1.0 cannot carry them (its writer substitutes U+FFFD).
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    ),
    max_size=20,
)


def _strategy(info: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(info, mi.Metadata):
        return _strategy(info.type)
    if isinstance(info, mi.StrType):
        return TEXT
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.IntType):
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.EnumType):
        return st.sampled_from(list(info.cls))
    if isinstance(info, mi.UnionType):
        return st.one_of(*(_strategy(t) for t in info.types))
    if isinstance(info, mi.ListType):
        return st.lists(_strategy(info.item_type), max_size=3)
    if isinstance(info, mi.DictType):
        return st.dictionaries(TEXT.filter(bool), _strategy(info.value_type), max_size=3)
    if isinstance(info, mi.StructType):
        fields = {f.name: _strategy(f.type) for f in info.fields}
        return st.builds(info.cls, **fields)
    raise TypeError(f"no strategy for {info!r}")


@cache
def dto_strategy(tp: Any) -> st.SearchStrategy[Any]:
    return _strategy(mi.type_info(tp))


def wire_equal(a: Any, b: Any) -> bool:
    """Equal as documents: compares the builtins a Struct encodes to, so two Structs of equal value
    but distinct generic aliases compare equal."""
    return bool(msgspec.to_builtins(a) == msgspec.to_builtins(b))


def _blank_to_null(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, dict):
        return {k: _blank_to_null(v) for k, v in value.items() if _blank_to_null(v) is not None}
    if isinstance(value, list):
        return [_blank_to_null(v) for v in value]
    return value


def jsonl_view(dto: Any) -> Any:
    """What JSONL keeps of a DTO: the member it carries (docs/formats.md), the others at their
    defaults; a list member read back is a list even when it was null."""
    from wirecodecs.jsonl import carried_member

    carried = carried_member(type(dto)) if isinstance(dto, msgspec.Struct) else None
    if carried is None:
        return dto
    attr, kind, _ = carried
    value = getattr(dto, attr)
    return type(dto)(**{attr: list(value or []) if kind == "list" else value})


def csv_view(dto: Any) -> Any:
    """What ServiceStack's CSV keeps of a DTO: the items of a DTO with a list member, and no
    difference between an empty string and null at the top level of a cell."""
    from wirecodecs.csv import _table_member

    cls: type = type(dto)  # as `type`: mypy does not take type[Any] as the lru_cache's Hashable
    table = _table_member(cls)
    if table is not None:
        return [csv_view(item) for item in getattr(dto, table[0]) or []]
    built = msgspec.to_builtins(dto)
    if isinstance(built, dict):
        return {k: (None if v == "" else v) for k, v in built.items() if v not in ("", None)}
    return _blank_to_null(built)
