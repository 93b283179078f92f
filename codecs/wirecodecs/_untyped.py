"""Builtins → typed DTO, the way ServiceStack binds: member names case-insensitive, unknown ones
ignored, scalars converted leniently ("5" → 5, "true" → True). Every text codec decodes to builtins
and ends here, so validation lives in one place (msgspec.convert)."""

from __future__ import annotations

import enum
import re
from collections.abc import Hashable
from functools import cache, lru_cache
from typing import Any, TypeVar, cast

import msgspec
from msgspec import inspect as mi

from .errors import FieldError, ValidationError

__all__ = ["enum_lookup", "from_untyped", "from_wire_names", "to_validation_error"]

T = TypeVar("T")

# A plan says how to normalise one level of a value for its target type.
_Plan = Any


@lru_cache(maxsize=512)
def _plan_for(tp: Hashable) -> _Plan:
    return _plan(mi.type_info(tp))


def _plan(info: mi.Type) -> _Plan:
    while isinstance(info, mi.Metadata):  # Annotated[..., Meta(...)]
        info = info.type
    if isinstance(info, mi.StructType):
        fields: dict[str, tuple[str, _Plan]] = {}
        for f in info.fields:
            sub = _plan(f.type)
            fields[f.encode_name.lower()] = (f.encode_name, sub)
            fields.setdefault(f.name.lower(), (f.encode_name, sub))
        # The keys that stay as they are, values and all: a dict keyed by these alone is its own
        # normal form (the common body, from a client that spells the members as we do).
        as_sent = frozenset(name for key, (name, sub) in fields.items() if key == name.lower() and sub is None)
        return ("struct", (fields, as_sent))
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        sub = _plan(info.item_type)
        return ("list", sub) if sub is not None else None
    if isinstance(info, mi.DictType):
        sub = _plan(info.value_type)
        return ("dict", sub) if sub is not None else None
    if isinstance(info, mi.UnionType):
        subs = [p for p in (_plan(t) for t in info.types) if p is not None]
        return subs[0] if len(subs) == 1 else None
    if isinstance(info, mi.EnumType):
        return ("enum", {text: member.value for text, member in enum_lookup(info.cls).items()})
    return None


@cache
def enum_lookup(cls: type[enum.Enum]) -> dict[str, enum.Enum]:
    """The texts that name each member, as ServiceStack.Text parses enums (and pyjsv does): the name
    in any case, else the value, else, for enums whose values are not numbers, the declaration
    position (a .NET enum without explicit values numbers its members 0, 1, …). Earlier kinds win."""
    members = list(cls)
    table: dict[str, enum.Enum] = {}
    for member in members:
        table.setdefault(member.name.lower(), member)
    for member in members:
        table.setdefault(str(member.value).lower(), member)
    if not any(isinstance(m.value, int) for m in members):
        for number, member in enumerate(members):
            table.setdefault(str(number), member)
    return table


def _normalise(value: Any, plan: _Plan) -> Any:
    if plan is None:
        return value
    kind, sub = plan
    if kind == "struct":
        if not isinstance(value, dict):
            return value
        sub, as_sent = sub
        if value.keys() <= as_sent:
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            target = sub.get(key.lower()) if isinstance(key, str) else None
            if target is not None:
                name, item_plan = target
                out[name] = _normalise(item, item_plan)
        return out
    if kind == "list":
        return [_normalise(v, sub) for v in value] if isinstance(value, list) else value
    if kind == "enum":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return value
        return sub.get(str(value).strip().lower(), value)
    if isinstance(value, dict):
        return {k: _normalise(v, sub) for k, v in value.items()}
    return value


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def to_validation_error(exc: msgspec.ValidationError) -> ValidationError:
    """msgspec's one-line message (`Expected int, got str - at $.page`) → a FieldError."""
    match = _AT.match(str(exc))
    message, path = (match.group("msg"), match.group("path") or "") if match else (str(exc), "")
    path = path.lstrip(".")
    return ValidationError(f"{message} at {path}" if path else message, [FieldError(path, message)])


def from_untyped(value: Any, type: type[T]) -> T:
    """Convert decoded builtins into `type`, matching member names case-insensitively."""
    return from_wire_names(_normalise(value, _plan_for(cast(Hashable, type))), type)


def from_wire_names(value: Any, type: type[T]) -> T:
    """`from_untyped` for builtins already keyed by the exact wire names (a reader that bound
    them to the type's members as it read), so there is nothing to match."""
    try:
        return msgspec.convert(value, type, strict=False)
    except msgspec.ValidationError as exc:
        raise _every_field_error(value, type) or to_validation_error(exc) from None


def _is_about(path: str, key: str) -> bool:
    return path == key or path.startswith((f"{key}.", f"{key}["))


def _every_field_error(value: Any, type: Any) -> ValidationError | None:
    """msgspec stops at the first bad member; ServiceStack lists each. On that (rare) path, convert
    the members of a record one at a time to name every one that is wrong."""
    if not isinstance(value, dict) or len(value) < 2 or not isinstance(mi.type_info(type), mi.StructType):
        return None
    errors: list[FieldError] = []
    for key, item in value.items():
        try:
            msgspec.convert({key: item}, type, strict=False)
        except msgspec.ValidationError as exc:
            # Alone, a member also fails for every *other* required member it lacks: keep only
            # what is said about this one.
            errors.extend(
                e for e in to_validation_error(exc).errors if e.path == key or e.path.startswith((f"{key}.", f"{key}["))
            )
    if len(errors) < 2:  # one wrong member (or none alone): the plain message says it best
        return None
    return ValidationError("; ".join(f"{e.message} at {e.path}" for e in errors), errors)
