"""Python values → JSV text (ServiceStack.Text's TypeSerializer rules).

Writing is driven by each value's runtime type, as ServiceStack's writer is. A writer function is
compiled once per type and cached; a Struct's plan is its member names, pre-escaped, and the hot
loop is the few lines of `_struct_writer`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable, Mapping
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


def _struct_writer(cls: type[msgspec.Struct]) -> Writer:
    plan = [
        (attr, quote(name) + ":")
        for attr, name in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True)
    ]
    unset = msgspec.UNSET

    def write_struct(obj: Any) -> str:
        parts = []
        for attr, prefix in plan:
            value = getattr(obj, attr)
            if value is None or value is unset:
                continue
            if type(value) is str:  # the common case, without the dispatch
                parts.append(prefix + quote(value))
            else:
                parts.append(prefix + write(value))
        return "{" + ",".join(parts) + "}"

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
