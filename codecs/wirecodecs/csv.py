"""CSV as ServiceStack's CsvFormat writes responses, through pyjsv.csv.

- A DTO with a list member (ListResponse) is that list's table; `responseStatus` never counts.
- Any other DTO is a header and one row; an ErrorResponse is thus the one-column table
  `ResponseStatus` holding the status as JSV.
- Headers are .NET property names (PascalCase), rows end in CRLF, nested values are JSV in a cell.
- `?jsconfig=` reaches the nested JSV only: CsvSerializer fixes a type's header once, and writes
  every column of every row whatever its value.
"""

from __future__ import annotations

import codecs
from collections.abc import Hashable
from functools import lru_cache
from types import GenericAlias
from typing import Any, TypeVar, cast, get_origin

import msgspec
import pyjsv
from msgspec import inspect as mi

from ._typeinfo import unwrap
from .base import Capabilities
from .errors import DecodeError, FieldError, ValidationError
from .jsconfig import JsConfig, wire_view

__all__ = ["CsvCodec"]

T = TypeVar("T")

_SKIPPED = "responseStatus"


@lru_cache(maxsize=256)
def _table_member(tp: Hashable) -> tuple[str, Any] | None:
    """The first list member of a Struct type (the table it is written as), if any, with the item
    type when it is known (a bare generic like `ListResponse` leaves it as None)."""
    info = unwrap(mi.type_info(tp))
    if not isinstance(info, mi.StructType):
        return None
    for f in info.fields:
        if f.encode_name == _SKIPPED:
            continue
        member = unwrap(f.type)
        if isinstance(member, mi.ListType):
            item = unwrap(member.item_type)
            # Lists of records are tables; a list of scalars (AuthenticateResponse.roles) is a cell.
            if isinstance(item, mi.StructType):
                return f.name, item.cls
            if isinstance(item, mi.AnyType):
                return f.name, None
    return None


_BATCH, _TABLE, _RECORD = "batch", "table", "record"


@lru_cache(maxsize=256)
def _read_shape(tp: Hashable) -> tuple[str, Any, str]:
    """How a body of type `tp` is read: a batch (`list[X]`, as it is), a table (a DTO with a list
    member: the rows, read as that list's type, go into the member) or one record (read as a list
    of it, to tell one row from several)."""
    if get_origin(tp) is list:
        return _BATCH, tp, ""
    table = _table_member(tp)
    if table is not None:
        item_type = table[1] if table[1] is not None else Any
        return _TABLE, list[item_type], table[0]  # type: ignore[valid-type]
    return _RECORD, GenericAlias(list, (tp,)), ""


@lru_cache(maxsize=256)
def _written_table(cls: type[msgspec.Struct], declared: Hashable) -> tuple[str, Any] | None:
    """`_table_member` of the type a `cls` answer is written as: `declared` when it is `cls` or a
    parametrisation of it (`ListResponse[X]`), else `cls` itself."""
    if declared is not None and getattr(declared, "__origin__", declared) is cls:
        return _table_member(declared)
    return _table_member(cls)


def _shape_nested(target: Any, jsconfig: JsConfig) -> Any:
    """Records with every nested (non-scalar) member replaced by its `jsconfig` view."""
    if isinstance(target, list | tuple):
        return [_shape_nested(item, jsconfig) for item in target]
    if not isinstance(target, msgspec.Struct):
        return target
    nested = {
        attr: wire_view(value, jsconfig, nulls=False)
        for attr in target.__struct_fields__
        if isinstance(value := getattr(target, attr), msgspec.Struct | list | tuple | dict)
    }
    return msgspec.structs.replace(target, **nested) if nested else target


class CsvCodec:
    format: str = "csv"
    media_type: str = "text/csv"
    media_types: tuple[str, ...] = ("text/csv",)
    content_type: str = "text/csv"
    capabilities = Capabilities(download=True, typed_encode=True, jsconfig=True)

    def __init__(self, *, neutralize_formulas: bool = False) -> None:
        #: Prefix cells that a spreadsheet would run as formulas (`=`, `+`, `-`, `@`) with `'`.
        self.neutralize_formulas = neutralize_formulas

    def encode(self, obj: Any, *, type: Any = None, jsconfig: JsConfig | None = None) -> bytes:
        """`type`, the declared type (`ListResponse[AISessionInfo]`), names the columns of an empty
        table: CsvSerializer writes the header row alone for an empty sequence. `jsconfig` shapes
        the JSV of nested values (names, defaults), never the header or a top-level cell."""
        target: Any = obj
        item_type = None
        if isinstance(obj, msgspec.Struct):
            table = _written_table(obj.__class__, type)
            if table is not None:
                target, item_type = getattr(obj, table[0]) or [], table[1]
        if jsconfig is not None and not jsconfig.is_default:
            target = _shape_nested(target, jsconfig)
        text = pyjsv.csv.dumps(
            target, item_type=item_type, header_case="pascal", neutralize_formulas=self.neutralize_formulas
        )
        return text.encode("utf-8")

    def decode(self, data: bytes, type: type[T]) -> T:
        try:
            # A byte-order mark (what spreadsheets write first) is no part of the first header.
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
            shape, read_as, member = _read_shape(cast(Hashable, type))
            if shape is _BATCH:  # one record per row
                return cast(T, pyjsv.csv.loads(text, type=type) or [])
            if shape is _TABLE:
                return type(**{member: pyjsv.csv.loads(text, type=read_as) or []})
            # A record is a header and one row. More rows would be other records this type has no
            # room for: refuse them rather than keep the first and drop the rest unseen.
            records: list[T] = pyjsv.csv.loads(text, type=read_as) or []
            if len(records) > 1:
                raise DecodeError(f"a {type.__name__} CSV document is a header and one row, not {len(records)} rows")
            return records[0] if records else type()
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8 at byte {exc.start}") from None
        except pyjsv.DecodeError as exc:
            if exc.path and exc.path != "$":
                path = exc.path.removeprefix("$").removeprefix(".").lstrip("[0123456789]").removeprefix(".")
                raise ValidationError(str(exc), [FieldError(path or exc.path, exc.message)]) from None
            raise DecodeError(str(exc)) from None
