"""Untyped JSV values → typed Python values, through a plan compiled once per type.

The plan is built from `msgspec.inspect.type_info`, so generics (`list[int]`,
`ListResponse[AISessionInfo]`), `Optional`, `Annotated[..., Meta(...)]` and dataclasses resolve the
way msgspec resolves them. Property names match case-insensitively (exact wire names first);
unknown properties are ignored; an empty value reads as null, `""` as the empty string.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

import msgspec
from msgspec import inspect as mi

from . import _scalars
from ._errors import DecodeError

__all__ = ["converter", "from_untyped"]

Converter = Callable[[Any], Any]


class _Mismatch(Exception):
    """A value that does not fit; `path` grows as the error unwinds through containers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _text(value: Any, expected: str) -> str:
    if type(value) is not str:
        raise _Mismatch(f"expected {expected}, got {_kind(value)}")
    return value


def _scalar(parse_fn: Callable[[str], Any], expected: str) -> Converter:
    def convert_scalar(value: Any) -> Any:
        try:
            return parse_fn(_text(value, expected))
        except (ValueError, OverflowError) as exc:
            raise _Mismatch(str(exc)) from None

    return convert_scalar


def _str(value: Any) -> str:
    return _text(value, "a string")


def _optional_str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _Mismatch(f"expected a string, got {_kind(value)}")


def _any(value: Any) -> Any:
    return value


def _bound_check(
    bound: str, test: str, limit: Any, *, measure: Callable[[Any], Any] | None
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        measured = measure(value) if measure is not None else value
        if getattr(measured, test)(limit):
            return None
        what = "length" if measure is not None else "a value"
        return f"expected {what} {bound.removesuffix('_length')} {limit}, got {measured!r}"

    return check


def _constrained(inner: Converter, info: mi.Type) -> Converter:
    """Apply msgspec's numeric and length constraints (Meta(ge=..., max_length=...))."""
    checks: list[Callable[[Any], str | None]] = []
    for bound, test in (("ge", "__ge__"), ("gt", "__gt__"), ("le", "__le__"), ("lt", "__lt__")):
        limit = getattr(info, bound, None)
        if limit is not None:
            checks.append(_bound_check(bound, test, limit, measure=None))
    for bound, test in (("min_length", "__ge__"), ("max_length", "__le__")):
        limit = getattr(info, bound, None)
        if limit is not None:
            checks.append(_bound_check(bound, test, limit, measure=len))
    pattern = getattr(info, "pattern", None)
    if pattern is not None:
        compiled = re.compile(pattern)
        checks.append(lambda v: None if compiled.search(v) else f"expected text matching {pattern!r}")
    if not checks:
        return inner

    def convert_checked(value: Any) -> Any:
        result = inner(value)
        for check in checks:
            problem = check(result)
            if problem is not None:
                raise _Mismatch(problem)
        return result

    return convert_checked


def _nullable(info: mi.Type) -> bool:
    if isinstance(info, mi.Metadata):
        return _nullable(info.type)
    if isinstance(info, mi.NoneType | mi.AnyType):
        return True
    if isinstance(info, mi.UnionType):
        return any(_nullable(t) for t in info.types)
    return False


def _with_null(inner: Converter, info: mi.Type) -> Converter:
    """Elements and values: null is accepted only where the type admits it."""
    if _nullable(info):
        return inner

    def convert_not_null(value: Any) -> Any:
        if value is None:
            raise _Mismatch("expected a value, got null")
        return inner(value)

    return convert_not_null


def _text_record(info: mi.Type) -> tuple[Any, frozenset[str]] | None:
    """For a Struct whose members are all plain text (`str` or `str | None`, no constraints): the
    class and its wire names. Such a record converts with msgspec.convert (C speed) exactly as the
    plan does, whenever every key is a wire name; anything else takes the plan."""
    if not isinstance(info, mi.StructType):
        return None
    cls = getattr(info.cls, "__origin__", info.cls)  # `ListResponse[X]` is configured by `ListResponse`
    if cls.__struct_config__.tag is not None:
        return None
    for f in info.fields:
        member = f.type
        while isinstance(member, mi.Metadata):
            member = member.type
        options = member.types if isinstance(member, mi.UnionType) else (member,)
        for option in options:
            if isinstance(option, mi.NoneType):
                continue
            if not isinstance(option, mi.StrType) or _has_constraints(option):
                return None
    return info.cls, frozenset(f.encode_name for f in info.fields)


def text_record_class(info: mi.Type) -> Any | None:
    """The Struct type of a text record (see `_text_record`), or None for any other type."""
    record = _text_record(info)
    return None if record is None else record[0]


def _bulk(record: tuple[Any, frozenset[str]] | None) -> Callable[[list[Any]], Any] | None:
    """A whole list of text records in one msgspec.convert, or None when the items are not such records."""
    if record is None:
        return None
    target = list[record[0]]  # type: ignore[valid-type]
    names = record[1]

    def convert_records(value: list[Any]) -> Any:
        try:
            if all(map(names.issuperset, value)):
                return msgspec.convert(value, target)
        except (TypeError, msgspec.ValidationError):
            pass  # not dicts of wire names, or a misfit: the plan says exactly why
        return None

    return convert_records


def _list(item: Converter, item_info: mi.Type, factory: Callable[[Any], Any]) -> Converter:
    convert_item = _with_null(item, item_info)
    bulk = _bulk(_text_record(item_info))

    def convert_list(value: Any) -> Any:
        if type(value) is not list:
            raise _Mismatch(f"expected a list, got {_kind(value)}")
        if bulk is not None and value:
            records = bulk(value)
            if records is not None:
                return records if factory is list else factory(records)
        out = []
        for index, element in enumerate(value):
            try:
                out.append(None if element is None and convert_item is item else convert_item(element))
            except _Mismatch as exc:
                exc.path.insert(0, f"[{index}]")
                raise
        return factory(out)

    return convert_list


def _tuple(items: list[Converter]) -> Converter:
    def convert_tuple(value: Any) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise _Mismatch(f"expected a list of {len(items)} elements, got {_kind(value)}")
        out = []
        for index, (element, convert_item) in enumerate(zip(value, items, strict=True)):
            try:
                out.append(convert_item(element) if element is not None else None)
            except _Mismatch as exc:
                exc.path.insert(0, f"[{index}]")
                raise
        return tuple(out)

    return convert_tuple


def _dict(key: Converter, val: Converter, val_info: mi.Type) -> Converter:
    nullable = _nullable(val_info)

    def convert_dict(value: Any) -> Any:
        if type(value) is not dict:
            raise _Mismatch(f"expected an object, got {_kind(value)}")
        out: dict[Any, Any] = {}
        for k, v in value.items():
            try:
                converted_key = key(k)
                if v is None:
                    if nullable:
                        out[converted_key] = None
                    continue
                out[converted_key] = val(v)
            except _Mismatch as exc:
                exc.path.insert(0, f".{k}")
                raise
        return out

    return convert_dict


def _fields_plan(
    fields: tuple[Any, ...],
) -> tuple[dict[str, tuple[str, str, Converter, bool]], dict[str, tuple[str, str, Converter, bool]]]:
    exact: dict[str, tuple[str, str, Converter, bool]] = {}
    folded: dict[str, tuple[str, str, Converter, bool]] = {}
    for f in fields:
        entry = (f.name, f.encode_name, _plan(f.type), _nullable(f.type))
        exact[f.encode_name] = entry
        folded.setdefault(f.encode_name.lower(), entry)
        folded.setdefault(f.name.lower(), entry)
    return exact, folded


def _object(cls: Any, fields: tuple[Any, ...], record: tuple[Any, frozenset[str]] | None) -> Converter:
    # Member plans are built on first use: a recursive type (a Node with a `child: Node`) would
    # otherwise plan itself forever.
    plans: list[Any] = []
    type_name = cls.__name__
    names = record[1] if record is not None else None

    def convert_object(value: Any) -> Any:
        if names is not None and type(value) is dict and names.issuperset(value):
            try:  # not contextlib.suppress: this runs for every record read, and a try costs nothing
                return msgspec.convert(value, cls)
            except msgspec.ValidationError:
                pass  # a misfit: the plan below says exactly why
        if not plans:
            plans.extend(_fields_plan(fields))
        exact, folded = plans
        if type(value) is not dict:
            raise _Mismatch(f"expected an object for {type_name}, got {_kind(value)}")
        kwargs: dict[str, Any] = {}
        for key, item in value.items():
            # Property names are trimmed and matched case-insensitively (DeserializeType).
            entry = exact.get(key) or folded.get(key.strip().lower())
            if entry is None:
                continue  # unknown properties are ignored
            attr, wire, convert_item, nullable = entry
            if item is None:
                if nullable:
                    kwargs[attr] = None
                continue
            try:
                kwargs[attr] = convert_item(item)
            except _Mismatch as exc:
                exc.path.insert(0, f".{wire}")
                raise
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise _Mismatch(f"cannot build {type_name}: {exc}") from None

    return convert_object


def _union(options: list[tuple[mi.Type, Converter]]) -> Converter:
    candidates = [convert for info, convert in options if not isinstance(info, mi.NoneType)]
    if len(candidates) == 1:
        only = candidates[0]
        if only is _str:
            return _optional_str  # the most common member type, without the extra calls

        def convert_optional(value: Any) -> Any:
            return None if value is None else only(value)

        return convert_optional

    def convert_union(value: Any) -> Any:
        if value is None:
            return None
        problems = []
        for convert in candidates:
            try:
                return convert(value)
            except _Mismatch as exc:
                problems.append(exc.message)
        raise _Mismatch("no type of the union fits: " + "; ".join(problems))

    return convert_union


def _literal(values: tuple[Any, ...]) -> Converter:
    by_text = {str(v).lower() if isinstance(v, bool) else str(v): v for v in values}

    def convert_literal(value: Any) -> Any:
        text = _text(value, "a literal")
        key = text.lower() if text.lower() in ("true", "false") else text
        if key not in by_text:
            raise _Mismatch(f"expected one of {', '.join(map(str, values))}, got {text!r}")
        return by_text[key]

    return convert_literal


def _enum(cls: type[enum.Enum]) -> Converter:
    return _scalar(lambda text: _scalars.parse_enum(cls, text), f"a {cls.__name__}")


@lru_cache(maxsize=1024)
def _plan_for(tp: Hashable) -> Converter:
    return _plan(mi.type_info(tp))


def _plan(info: mi.Type) -> Converter:
    if isinstance(info, mi.Metadata):
        return _constrained(_plan(info.type), info.type) if _has_constraints(info.type) else _plan(info.type)
    if isinstance(info, mi.AnyType):
        return _any
    if isinstance(info, mi.StrType):
        return _constrained(_str, info)
    if isinstance(info, mi.BoolType):
        return _scalar(_scalars.parse_bool, "True or False")
    if isinstance(info, mi.IntType):
        return _constrained(_scalar(_scalars.parse_int, "an integer"), info)
    if isinstance(info, mi.FloatType):
        return _constrained(_scalar(_scalars.parse_float, "a number"), info)
    if isinstance(info, mi.DecimalType):
        return _scalar(_scalars.parse_decimal, "a decimal")
    if isinstance(info, mi.DateTimeType):
        return _scalar(_scalars.parse_datetime, "a date and time")
    if isinstance(info, mi.DateType):
        return _scalar(_scalars.parse_date, "a date")
    if isinstance(info, mi.TimeType):
        return _scalar(_scalars.parse_time, "a time")
    if isinstance(info, mi.TimeDeltaType):
        return _scalar(_scalars.parse_duration, "a duration")
    if isinstance(info, mi.UUIDType):
        return _scalar(_scalars.parse_uuid, "a Guid")
    if isinstance(info, mi.BytesType | mi.ByteArrayType | mi.MemoryViewType):
        factory = {mi.BytesType: bytes, mi.ByteArrayType: bytearray, mi.MemoryViewType: memoryview}[type(info)]
        return _scalar(lambda text: factory(_scalars.parse_bytes(text)), "base64")
    if isinstance(info, mi.EnumType):
        return _enum(info.cls)
    if isinstance(info, mi.LiteralType):
        return _literal(info.values)
    if isinstance(info, mi.NoneType):
        return _none
    if isinstance(info, mi.UnionType):
        return _union([(t, _plan(t)) for t in info.types])
    if isinstance(info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        factory = {mi.ListType: list, mi.VarTupleType: tuple, mi.SetType: set, mi.FrozenSetType: frozenset}[type(info)]
        return _list(_plan(info.item_type), info.item_type, factory)
    if isinstance(info, mi.TupleType):
        return _tuple([_plan(t) for t in info.item_types])
    if isinstance(info, mi.DictType):
        return _dict(_plan(info.key_type), _plan(info.value_type), info.value_type)
    if isinstance(info, mi.StructType | mi.DataclassType):
        return _object(info.cls, info.fields, _text_record(info))
    if isinstance(info, mi.CustomType) and issubclass(info.cls, enum.Enum):
        return _enum(info.cls)
    raise TypeError(f"pyjsv cannot decode into {info!r}")


def _has_constraints(info: mi.Type) -> bool:
    names = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
    return any(getattr(info, name, None) is not None for name in names)


def _none(value: Any) -> None:
    if value is not None:
        raise _Mismatch(f"expected null, got {_kind(value)}")


def converter(tp: Any) -> Converter:
    """The compiled plan for `tp` (cached)."""
    try:
        return _plan_for(tp)
    except TypeError:
        # Unhashable type annotations (rare) are planned without the cache.
        return _plan(mi.type_info(tp))


@lru_cache(maxsize=1024)
def _accepts_null_cached(tp: Hashable) -> bool:
    return _nullable(mi.type_info(tp))


def _accepts_null(tp: Any) -> bool:
    try:
        return _accepts_null_cached(tp)
    except TypeError:
        return _nullable(mi.type_info(tp))


def from_untyped(untyped: Any, tp: Any) -> Any:
    """Finish an untyped JSV value as `tp`; a misfit raises DecodeError naming the member."""
    plan = converter(tp)
    try:
        if untyped is None and not _accepts_null(tp):
            raise _Mismatch("expected a value, got nothing")
        return plan(untyped)
    except _Mismatch as exc:
        path = "$" + "".join(exc.path)
        raise DecodeError(exc.message, path=path) from None
    except RecursionError:
        raise DecodeError("value nested too deeply") from None
