"""pyjsv: ServiceStack's JSV and CSV text formats for Python.

    >>> import pyjsv
    >>> pyjsv.dumps({"Id": 1, "Name": "Mr. Lee", "Tags": ["a", "b,c"]})
    '{Id:1,Name:Mr. Lee,Tags:[a,"b,c"]}'
    >>> pyjsv.loads('{Id:1,Name:Mr. Lee}')
    {'Id': '1', 'Name': 'Mr. Lee'}

Typed reading (`type=`) converts into msgspec Structs, dataclasses, generics and scalars, with
member names matched case-insensitively, as ServiceStack.Text does. See docs/pyjsv.md.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from . import csv
from ._errors import DecodeError, EncodeError
from ._format import format_jsv
from ._reader import DEFAULT_MAX_DEPTH, parse
from ._records import typed_records
from ._untyped import from_untyped
from ._writer import write

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DecodeError",
    "EncodeError",
    "__version__",
    "csv",
    "decode",
    "dumps",
    "encode",
    "format",
    "loads",
]

__version__ = "0.1.0"

T = TypeVar("T")


def dumps(obj: Any) -> str:
    """JSV text for `obj` (None gives the empty string: JSV has no null)."""
    return write(obj)


def encode(obj: Any) -> bytes:
    """`dumps` as UTF-8 bytes."""
    return write(obj).encode("utf-8")


@overload
def loads(text: str, *, max_depth: int = ...) -> Any: ...
@overload
def loads(text: str, *, type: type[T], max_depth: int = ...) -> T: ...
@overload
def loads(text: str, *, type: Any, max_depth: int = ...) -> Any: ...
def loads(text: str, *, type: Any = Any, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Read JSV. Untyped: `str`, `list`, `dict` and None. With `type=`: that type, or DecodeError."""
    if not isinstance(text, str):
        raise DecodeError(f"expected str, got {text.__class__.__name__}")
    if type is Any:
        return parse(text, max_depth=max_depth)
    records = typed_records(text, type, max_depth)
    if records is not None:
        return records
    return from_untyped(parse(text, max_depth=max_depth), type)


@overload
def decode(data: bytes, *, max_depth: int = ...) -> Any: ...
@overload
def decode(data: bytes, *, type: type[T], max_depth: int = ...) -> T: ...
@overload
def decode(data: bytes, *, type: Any, max_depth: int = ...) -> Any: ...
def decode(data: bytes, *, type: Any = Any, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """`loads` for UTF-8 bytes; invalid UTF-8 is a DecodeError."""
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid UTF-8: {exc.reason}", pos=exc.start) from None
    except TypeError:
        raise DecodeError(f"expected bytes, got {data.__class__.__name__}") from None
    return loads(text, type=type, max_depth=max_depth)


def format(text: str) -> str:
    """ServiceStack's pretty form of JSV text (`Dump()`): tabs, newlines, one space after `:`."""
    return format_jsv(text)
