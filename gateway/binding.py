"""Populating a request DTO from body, path, query string and form, with ServiceStack's precedence.

Custom routes: the body is decoded first, then path < query < form values override it.
Predefined routes: the body wins; query values only fill members that are still at their default.
Keys match member names case-insensitively; unknown keys are ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar, get_args, get_origin

import msgspec
from msgspec import NODEFAULT
from wirecodecs import Codec, DecodeError, FieldError, ValidationError, enum_lookup

from .dtos import Dto, ResponseError
from .errors import SerializationError

__all__ = ["RESERVED_PARAMS", "bind_request", "flatten_params", "overlay", "serialization_error"]

D = TypeVar("D", bound=Dto)

#: Query names ServiceStack reserves for itself; never bound to a DTO member.
RESERVED_PARAMS = frozenset({"format", "callback", "debug", "jsconfig", "authsecret", "x-http-method-override"})


def flatten_params(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Duplicate keys are joined with commas, as ServiceStack's GetFlattenedRequestParams does."""
    out: dict[str, str] = {}
    for key, value in items:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


class _Member:
    __slots__ = ("default", "kind", "name", "target", "type", "wire_name")

    def __init__(self, name: str, wire_name: str, type: Any, default: Any, kind: str, target: Any) -> None:
        self.name = name
        self.wire_name = wire_name
        self.type = type
        self.default = default
        self.kind = kind  # "list", "enum" or "scalar"
        self.target = target  # the list item type or the enum class


def _strip_annotated_optional(tp: Any) -> Any:
    while get_origin(tp) is not None and hasattr(tp, "__metadata__"):
        tp = get_args(tp)[0]
    args = [a for a in get_args(tp) if a is not type(None)]
    if type(None) in get_args(tp) and len(args) == 1:
        return _strip_annotated_optional(args[0])
    return tp


@lru_cache(maxsize=256)
def _members(dto_type: type[Dto]) -> dict[str, _Member]:
    out: dict[str, _Member] = {}
    for f in msgspec.structs.fields(dto_type):
        inner = _strip_annotated_optional(f.type)
        origin = get_origin(inner)
        if origin in (list, tuple, set, frozenset):
            kind, target = "list", (get_args(inner) or (str,))[0]
        elif isinstance(inner, type) and issubclass(inner, enum.Enum):
            kind, target = "enum", inner
        else:
            kind, target = "scalar", inner
        default = (
            f.default
            if f.default is not NODEFAULT
            else (f.default_factory() if f.default_factory is not NODEFAULT else None)
        )
        member = _Member(f.name, f.encode_name, f.type, default, kind, target)
        out[f.encode_name.lower()] = member
        out.setdefault(f.name.lower(), member)
    return out


def _parse_list(text: str) -> list[str]:
    # Query-string lists come as `a,b` or, from the ServiceStack clients, as `[a,b]`.
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [] if text == "" else text.split(",")


def _enum_value(enum_type: type[enum.Enum], text: str) -> Any:
    # The same table every body codec binds enums by (ServiceStack.Text's rules).
    member = enum_lookup(enum_type).get(text.strip().lower())
    if member is not None:
        return member
    raise ValueError(f"Expected one of {', '.join(str(m.value) for m in enum_type)}, got '{text}'")


def _convert_param(member: _Member, text: str) -> Any:
    try:
        if member.kind == "list":
            items = _parse_list(text)
            return msgspec.convert(items, member.type, strict=False)
        if member.kind == "enum":
            return _enum_value(member.target, text)
        if member.target is str:  # most members: nothing to convert
            return text
        # .NET parses numbers and booleans with surrounding white space allowed (`?page=%201`).
        return msgspec.convert(text.strip(), member.type, strict=False)
    except (msgspec.ValidationError, ValueError) as exc:
        message = str(exc).split(" - at ", 1)[0]
        raise ValidationError(f"{message} at {member.wire_name}", [FieldError(member.wire_name, message)]) from None


def overlay(dto: D, params: Mapping[str, str], *, only_defaults: bool = False) -> D:
    """Return `dto` with every param that names a member applied on top.

    With `only_defaults`, a member is set only if it still holds its default (predefined routes).
    """
    if not params:
        return dto
    members = _members(type(dto))
    changes: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, text in params.items():
        lowered = key.lower()
        if lowered in RESERVED_PARAMS:
            continue
        member = members.get(lowered)
        if member is None:
            continue
        if only_defaults and getattr(dto, member.name) != member.default:
            continue
        try:
            changes[member.name] = _convert_param(member, text)
        except ValidationError as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationError("; ".join(f"{e.message} at {e.path}" for e in errors), errors)
    return msgspec.structs.replace(dto, **changes) if changes else dto


def serialization_error(exc: DecodeError, content_type: str, type_name: str) -> SerializationError:
    """ServiceStack's SerializationException for an undecodable body, one `errors[]` entry per member.

    `content_type` "" marks values bound from the path, query or form, which no content type describes.
    """
    source = f"'{content_type}' request" if content_type else "request parameters"
    message = f"Could not deserialize {source} using {type_name}: {exc}"
    errors = []
    if isinstance(exc, ValidationError):
        errors = [
            ResponseError(error_code="SerializationException", field_name=e.field_name, message=e.message)
            for e in exc.errors
        ]
    return SerializationError(message, errors=errors)


def bind_request(
    request_type: type[D],
    *,
    custom_route: bool,
    codec: Codec | None,
    content_type: str,
    body: bytes,
    path_params: Mapping[str, str],
    query: Mapping[str, str],
    form: Mapping[str, str] | None,
) -> D:
    """The request DTO: the body decoded by `codec` (None, or a form body: no decoding), then the
    path, query and form values on top with the precedence of the route kind."""
    dto = request_type()
    decoded = False
    if codec is not None and form is None and body.strip():
        # Custom routes name the body by its own Content-Type; predefined ones read their format.
        described = content_type if custom_route else codec.media_type
        try:
            dto = codec.decode(body, request_type)
        except DecodeError as exc:
            raise serialization_error(exc, described, request_type.__name__) from None
        decoded = True
    fields = form or {}
    try:
        if custom_route:
            return overlay(dto, {**path_params, **query, **fields})
        if decoded:
            return overlay(dto, query, only_defaults=True)
        return overlay(dto, {**query, **fields})
    except DecodeError as exc:  # a path, query or form value of the wrong type
        raise serialization_error(exc, "", request_type.__name__) from None
