"""Sample DTOs with ServiceStack's placeholders (`String`, `0`, `false`, one-item lists), encoded with
the registered codec of each format, so a new codec's samples appear on the metadata pages unasked."""

from __future__ import annotations

import typing
from typing import Any
from xml.dom import minidom
from xml.parsers.expat import ExpatError

import msgspec
from wirecodecs import Codec

from .model import TypeModel, TypeRef

__all__ = ["encode_sample", "sample", "sample_builtins"]

#: ServiceStack's metadata handlers indent these two (`IndentJsv`, `Parse(obj, indentXml: true)`);
#: JSON and CSV samples are the compact wire form.
_PRETTY = frozenset({"jsv", "xml"})
_SCALARS: dict[str, Any] = {"String": "String", "Int32": 0, "Int64": 0, "Boolean": False, "Double": 0.0}


def sample_builtins(model: TypeModel, ref: TypeRef, bindings: dict[str, TypeRef] | None = None, depth: int = 0) -> Any:
    """The placeholder value of a .NET type, as builtins keyed by wire names."""
    bindings = bindings or {}
    if ref.name in bindings:
        return sample_builtins(model, bindings[ref.name], None, depth)
    if ref.name in _SCALARS:
        return _SCALARS[ref.name]
    if ref.name == "List":
        return [sample_builtins(model, ref.args[0], bindings, depth + 1)] if depth < 4 else []
    if ref.name == "Dictionary":
        return {"String": sample_builtins(model, ref.args[1], bindings, depth + 1)}
    meta = model.types.get(ref.name)
    if meta is None or depth > 4:
        return None
    if meta.enum_values is not None:
        return meta.enum_values[0][1]
    inner = dict(zip(meta.generic_params, ref.args, strict=False))
    return {m.wire_name: sample_builtins(model, m.type, inner, depth + 1) for m in meta.all_members}


def sample(model: TypeModel, tp: Any) -> Any:
    """A populated instance of a DTO type (a generic alias like `ListResponse[AISessionInfo]` too)."""
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    ref = TypeRef(origin.__name__, tuple(TypeRef(a.__name__) for a in args))
    return msgspec.convert(sample_builtins(model, ref), tp)


def encode_sample(codec: Codec, dto: Any) -> str:
    body = codec.encode(dto)
    if codec.format in _PRETTY:
        pretty = getattr(codec, "pretty", None)
        if callable(pretty):
            return str(pretty(body))
        if codec.format == "xml":
            try:
                text = minidom.parseString(body).toprettyxml(indent="  ").strip()
            except ExpatError:
                return body.decode("utf-8", "replace")
            # The pages show the document without its declaration (fixtures/xml/*.metadata-sample.xml,
            # as on Evo Voice's /xml/metadata pages); minidom always adds one of its own.
            return text.split("\n", 1)[1] if text.startswith("<?xml") and "\n" in text else text
    return body.decode("utf-8", "replace")
