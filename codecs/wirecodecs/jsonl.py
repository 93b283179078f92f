"""JSON Lines as ServiceStack's JsonlFormat (ServiceStack.Text's JsonlSerializer) writes and reads it.

- A list is one JSON document per line, each line ended by `\\n`.
- A DTO is reduced to its *carried member*: the first member, `responseStatus` aside, that is not a
  scalar (string, number, boolean, enum) nor a dictionary. A list member is written as its lines; a
  record member as one line; a DTO with no such member is itself one JSON document with no newline
  after it (so an ErrorResponse is its JSON, and a ListResponse is its items, one a line).
- Reading mirrors it: a list type reads every line, a DTO with a list member gets the lines as that
  list, a record member the first line, and any other DTO is the first line.

Choices where ServiceStack is no guide or no help: a dictionary member is no table (ServiceStack
would enumerate its key/value pairs, which it cannot read back), so `Authenticate` is one line; a
list of strings reads each line as JSON (ServiceStack keeps the raw line, quotes and all, so its own
output would not read back); blank lines are skipped; and a null list member writes nothing.
`Indent` (`?jsconfig=pp`) is ignored: a record must stay on its line.
"""

from __future__ import annotations

import codecs
from collections.abc import Hashable
from functools import lru_cache
from typing import Any, Literal, TypeVar, cast, get_origin

import msgspec
from msgspec import inspect as mi

from ._typeinfo import unwrap
from ._untyped import from_untyped
from .base import Capabilities
from .errors import DecodeError
from .jsconfig import JsConfig, wire_view

__all__ = ["JsonlCodec", "carried_member"]

T = TypeVar("T")

_SKIPPED = "responseStatus"
_SCALARS = (
    mi.StrType,
    mi.IntType,
    mi.FloatType,
    mi.BoolType,
    mi.EnumType,
    mi.LiteralType,
    mi.BytesType,
    mi.DateTimeType,
    mi.DateType,
    mi.TimeType,
    mi.TimeDeltaType,
    mi.UUIDType,
    mi.DecimalType,
    mi.DictType,
    mi.NoneType,
    mi.AnyType,
)

Carried = tuple[str, Literal["list", "record"], Any]


@lru_cache(maxsize=256)
def carried_member(tp: Hashable) -> Carried | None:
    """The member a DTO type is written as in JSONL: `(attribute, "list" | "record", item or member
    type)`, or None when the DTO is written whole."""
    info = unwrap(mi.type_info(tp))
    if not isinstance(info, mi.StructType):
        return None
    for f in info.fields:
        if f.encode_name == _SKIPPED:
            continue
        member = unwrap(f.type)
        if isinstance(member, _SCALARS):
            continue
        if isinstance(member, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
            item = unwrap(member.item_type)
            return f.name, "list", item.cls if isinstance(item, mi.StructType) else _python_type(item)
        if isinstance(member, mi.StructType):
            return f.name, "record", member.cls
    return None


def _python_type(info: mi.Type) -> Any:
    if isinstance(info, mi.StrType):
        return str
    if isinstance(info, mi.IntType):
        return int
    if isinstance(info, mi.BoolType):
        return bool
    if isinstance(info, mi.FloatType):
        return float
    if isinstance(info, mi.EnumType):
        return info.cls
    return Any


def _declared(obj: msgspec.Struct, declared: Any) -> Any:
    """The declared type when it is `obj`'s class or a parametrisation of it (`ListResponse[X]`)."""
    if declared is not None and getattr(declared, "__origin__", declared) is obj.__class__:
        return declared
    return obj.__class__


class JsonlCodec:
    format: str = "jsonl"
    media_type: str = "text/jsonl"
    media_types: tuple[str, ...] = ("text/jsonl",)
    # ServiceStack appends a charset to JSON only.
    content_type: str = "text/jsonl"
    capabilities = Capabilities(typed_encode=True, jsconfig=True)

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def _json(self, value: Any, jsconfig: JsConfig | None) -> bytes:
        if jsconfig is None or jsconfig.is_default:
            return self._encoder.encode(value)
        return self._encoder.encode(wire_view(value, jsconfig))

    def _lines(self, items: Any, jsconfig: JsConfig | None) -> bytes:
        return b"".join(self._json(item, jsconfig) + b"\n" for item in items)

    def encode(self, obj: Any, *, type: Any = None, jsconfig: JsConfig | None = None) -> bytes:
        if isinstance(obj, list | tuple):
            return self._lines(obj, jsconfig)
        if isinstance(obj, msgspec.Struct):
            carried = carried_member(_declared(obj, type))
            if carried is not None:
                attr, kind, _ = carried
                value = getattr(obj, attr)
                if kind == "list":
                    return self._lines(value or (), jsconfig)
                return (b"" if value is None else self._json(value, jsconfig)) + b"\n"
        return self._json(obj, jsconfig)

    def decode(self, data: bytes, type: type[T]) -> T:
        try:
            # ServiceStack reads bodies as text, which drops a leading byte-order mark.
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8 at byte {exc.start}") from None
        # Lines end at `\n` alone: JSON leaves U+2028 and U+0085 unescaped, and they are data.
        lines = [line for line in text.split("\n") if line.strip()]
        if get_origin(type) is list:
            return from_untyped([self._line(line, i) for i, line in enumerate(lines)], type)
        carried = carried_member(cast(Hashable, type))
        if carried is not None:
            attr, kind, member_type = carried
            if kind == "list":
                items = [from_untyped(self._line(line, i), member_type) for i, line in enumerate(lines)]
                return type(**{attr: items})
            member = from_untyped(self._line(lines[0], 0), member_type) if lines else None
            return type(**{attr: member})
        # ServiceStack reads the first line and ignores the rest (`Read(lines).FirstOrDefault()`).
        return from_untyped(self._line(lines[0], 0), type) if lines else type()

    def _line(self, line: str, index: int) -> Any:
        try:
            return msgspec.json.decode(line)
        except msgspec.DecodeError as exc:
            raise DecodeError(f"line {index + 1}: {exc}") from None
        except RecursionError:
            raise DecodeError(f"line {index + 1}: JSON is nested too deeply") from None
