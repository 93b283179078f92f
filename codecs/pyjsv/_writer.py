"""Python values → JSV text (ServiceStack.Text's TypeSerializer rules).

Writing is driven by each value's runtime type, as ServiceStack's writer is. A writer function is
made once per type and cached; a Struct's is straight-line code compiled for its members, their
names pre-escaped (`_compiled_record_writer`), and a list of one Struct type is written column by
column (`_struct_writer`).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import keyword
import operator
import uuid
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import msgspec

from ._errors import EncodeError
from ._scalars import (
    format_date,
    format_datetime,
    format_decimal,
    format_duration,
    format_float,
    format_time,
    quote,
)

__all__ = ["dumps", "write"]

Writer = Callable[[Any], str]

#: Writers of whole lists of one Struct type, registered by `_struct_writer`; None when the list does
#: not suit them.
_MANY: dict[type[Any], Callable[[list[Any]], str | None]] = {}
_JUST_STR = {str}
_SEPARATOR = "\x00"
#: What makes `quote` quote a string (its regex, as characters for `str.__contains__`).
_QUOTE_CHARS = tuple('",:{}[]\r\n')


def _bool(value: bool) -> str:
    return "True" if value else "False"


def _bytes(value: bytes | bytearray | memoryview) -> str:
    # Empty base64 is written `""`, as an empty string is, so it does not read back as null.
    return base64.b64encode(bytes(value)).decode("ascii") or '""'


def _uuid(value: uuid.UUID) -> str:
    return value.hex


def _enum(value: enum.Enum) -> str:
    return quote(value.name)


def _int_flag(value: enum.IntFlag) -> str:
    return str(int(value))


def _list(value: Any) -> str:
    if type(value) is list and value:
        first = type(value[0])
        if first not in _WRITERS and issubclass(first, msgspec.Struct):
            _WRITERS[first] = _writer_for(first)  # registers the list writer too
        many = _MANY.get(first)
        if many is not None:
            text = many(value)
            if text is not None:
                return text
    # A null element leaves an empty slot: [a,,b].
    text = "[" + ",".join("" if item is None else write(item) for item in value) + "]"
    if len(value) == 1 and text[1:-1].isspace():
        # `[ ]` reads as an empty list, so a lone blank string is quoted to survive the trip.
        # (ServiceStack writes it bare and loses it; its reader accepts the quoted form.)
        text = '["' + text[1:-1] + '"]'
    return text


def _dict(value: Mapping[Any, Any]) -> str:
    # Null values are skipped: JSV never writes null.
    return "{" + ",".join(write(k) + ":" + write(v) for k, v in value.items() if v is not None) + "}"


def _quoted_column(column: Sequence[str]) -> Sequence[str]:
    """`quote` applied to a column of non-empty strings, with C-speed str methods where it can be."""
    joined = "".join(column)
    present = [ch for ch in _QUOTE_CHARS if ch in joined]
    if not present:
        return column  # nothing to quote
    if _SEPARATOR in joined or not all(map(str.__contains__, column, repeat(present[0]))):
        return list(map(quote, column))  # some values quoted, some not: one at a time
    # Every value is quoted: double the quotes and wrap them all at once.
    joined = _SEPARATOR.join(column)
    if '"' in joined:
        joined = joined.replace('"', '""')
    return ('"' + joined.replace(_SEPARATOR, '"' + _SEPARATOR + '"') + '"').split(_SEPARATOR)


def _column_texts(column: Sequence[Any]) -> Sequence[str] | None:
    """The JSV texts of one member of many records; None when a record omits it (null)."""
    kinds = set(map(type, column))
    if kinds == _JUST_STR:
        return list(map(quote, column)) if "" in column else _quoted_column(column)
    if type(None) in kinds or type(msgspec.UNSET) in kinds:
        return None
    return list(map(write, column))


def _compiled_record_writer(attrs: tuple[str, ...], prefixes: list[str]) -> Writer:
    """One record's writer as straight-line code, a branch per member, compiled once per type (as
    `dataclasses` compiles `__init__`): a loop over the members, with a call to `quote` for each,
    was most of what one record cost. A string of letters and digits alone is never quoted, so it
    skips the call."""
    lines = ["def write_struct(obj):", "    parts = []"]
    for i, attr in enumerate(attrs):
        # Struct members are identifiers, but may be keywords (`msgspec.defstruct("X", ["class"])`).
        read = f"getattr(obj, {attr!r})" if keyword.iskeyword(attr) else f"obj.{attr}"
        lines += [
            f"    v = {read}",
            "    if v is not None and v is not UNSET:",
            f"        parts.append(P{i} + ((v if v.isalnum() else quote(v)) if type(v) is str else write(v)))",
        ]
    lines.append('    return "{" + ",".join(parts) + "}"')
    namespace: dict[str, Any] = {"UNSET": msgspec.UNSET, "quote": quote, "write": write}
    namespace.update((f"P{i}", prefix) for i, prefix in enumerate(prefixes))
    exec("\n".join(lines), namespace)
    compiled: Writer = namespace["write_struct"]
    return compiled


def _struct_writer(cls: type[msgspec.Struct]) -> Writer:
    attrs = cls.__struct_fields__
    prefixes = [quote(name) + ":" for name in cls.__struct_encode_fields__]
    get: Callable[[Any], tuple[Any, ...]] = (
        operator.attrgetter(*attrs) if len(attrs) > 1 else lambda obj: tuple(getattr(obj, a) for a in attrs)
    )
    # A record whose members are all present: the pieces between their texts. Between two records
    # of a list, the last piece, the comma and the first piece are one.
    pieces = ["{" + prefixes[0], *("," + prefix for prefix in prefixes[1:]), "}"] if prefixes else ["{}"]
    block: list[str | None] = []
    for piece in pieces[1:-1]:
        block += [None, piece]
    block += [None, pieces[-1] + "," + pieces[0]]
    write_struct = _compiled_record_writer(attrs, prefixes)

    def write_structs(objs: list[Any]) -> str | None:
        # Column by column (member by member), so the per-value work is C calls over whole columns.
        if not attrs or set(map(type, objs)) != {cls}:
            return None
        rows = list(map(get, objs))
        texts = []
        for column in zip(*rows, strict=True):
            column_texts = _column_texts(column)
            if column_texts is None:  # a member some records omit: record by record
                return "[" + ",".join(map(write_struct, objs)) + "]"
            texts.append(column_texts)
        markup = ["[" + pieces[0], *(block * len(objs))]
        markup[-1] = pieces[-1] + "]"
        markup[1::2] = chain.from_iterable(zip(*texts, strict=True))
        return "".join(markup)  # type: ignore[arg-type]  # every None was replaced by a text

    _MANY[cls] = write_structs
    return write_struct


def _dataclass_writer(cls: type[Any]) -> Writer:
    plan = [(f.name, quote(f.name) + ":") for f in dataclasses.fields(cls)]

    def write_dataclass(obj: Any) -> str:
        parts = []
        for attr, prefix in plan:
            value = getattr(obj, attr)
            if value is not None:
                parts.append(prefix + write(value))
        return "{" + ",".join(parts) + "}"

    return write_dataclass


def _writer_for(tp: type[Any]) -> Writer:
    # Order matters: bool before int, IntFlag before Enum before str/int, datetime before date.
    if issubclass(tp, enum.IntFlag):
        return _int_flag
    if issubclass(tp, enum.Enum):
        return _enum
    if issubclass(tp, msgspec.Struct):
        return _struct_writer(tp)
    if dataclasses.is_dataclass(tp):
        return _dataclass_writer(tp)
    if issubclass(tp, str):
        return quote
    if issubclass(tp, bool):
        return _bool
    if issubclass(tp, int):
        return str
    if issubclass(tp, float):
        return format_float
    if issubclass(tp, decimal.Decimal):
        return format_decimal
    if issubclass(tp, dt.datetime):
        return format_datetime
    if issubclass(tp, dt.date):
        return format_date
    if issubclass(tp, dt.time):
        return format_time
    if issubclass(tp, dt.timedelta):
        return format_duration
    if issubclass(tp, uuid.UUID):
        return _uuid
    if issubclass(tp, bytes | bytearray | memoryview):
        return _bytes
    if issubclass(tp, list | tuple | set | frozenset):
        return _list
    if issubclass(tp, Mapping):
        return _dict
    raise EncodeError(f"pyjsv cannot write values of type {tp.__qualname__}")


_WRITERS: dict[type[Any], Writer] = {
    str: quote,
    bool: _bool,
    int: str,
    float: format_float,
    list: _list,
    dict: _dict,
}


def write(value: Any) -> str:
    """One value's JSV text. `None` gives the empty string (JSV has no null)."""
    if value is None:
        return ""
    tp = type(value)
    writer = _WRITERS.get(tp)
    if writer is None:
        writer = _writer_for(tp)
        _WRITERS[tp] = writer
    try:
        return writer(value)
    except RecursionError:
        raise EncodeError("value is nested too deeply (or refers to itself)") from None


def dumps(value: Any) -> str:
    return write(value)
