"""Re-encoding a document outside HTTP: decode it as one format into a DTO and encode that DTO as
another format. The code behind `evo-gateway convert --from jsv --to xml --type PatchAISession`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from wirecodecs import CodecRegistry, encode_declared

from .dtos import AISessionInfo, ErrorResponse, ResponseStatus
from .operations import OPERATIONS

__all__ = ["EmptyInput", "Transcoded", "UnknownFormat", "UnknownType", "dto_types", "transcode"]

_BOM = b"\xef\xbb\xbf"


class UnknownFormat(ValueError):
    pass


class UnknownType(ValueError):
    pass


class EmptyInput(ValueError):
    """Nothing but whitespace (or a byte-order mark) to decode."""


@dataclass(frozen=True, slots=True)
class Transcoded:
    """The re-encoded document and what the decoding found."""

    output: bytes
    type_name: str
    #: False when nothing in the input set a member of the type: the output is the type's defaults
    #: (usually a `--type` that names another DTO than the document's).
    matched: bool
    #: The type's member names as the source format spells them (JSON names), for the warning.
    members: tuple[str, ...]


def dto_types() -> dict[str, Any]:
    """Every DTO of the operation table by its .NET name (`ListResponse<AISessionInfo>` too)."""
    types: dict[str, Any] = {}
    for op in OPERATIONS:
        types[op.request_type.__name__] = op.request_type
        if op.response_type is not None and op.response_name is not None:
            types[op.response_name] = op.response_type
    for extra in (AISessionInfo, ErrorResponse, ResponseStatus):
        types[extra.__name__] = extra
    return types


def _find_type(name: str) -> tuple[str, Any]:
    types = dto_types()
    lowered = {key.lower(): (key, value) for key, value in types.items()}
    # `ListResponse` alone means the one list response the API has.
    aliases = {"listresponse": "listresponse<aisessioninfo>"}
    found = lowered.get(aliases.get(name.lower(), name.lower()))
    if found is None:
        raise UnknownType(f"unknown DTO type {name!r}; known: {', '.join(sorted(types))}")
    return found


def _members(dto_type: Any) -> tuple[str, ...]:
    info = msgspec.inspect.type_info(dto_type)
    if isinstance(info, msgspec.inspect.StructType):
        return tuple(f.encode_name for f in info.fields)
    return ()


def transcode(data: bytes, *, source: str, target: str, type_name: str, registry: CodecRegistry) -> Transcoded:
    """Decode `data` as `source` into the DTO named `type_name`, then encode it as `target`.

    Raises UnknownFormat / UnknownType for bad arguments, EmptyInput for a blank document and
    `wirecodecs.DecodeError` for bad input.
    """
    decoder = registry.by_format(source)
    encoder = registry.by_format(target)
    for name, codec in ((source, decoder), (target, encoder)):
        if codec is None:
            raise UnknownFormat(f"unknown format {name!r}; registered: {', '.join(registry.formats())}")
    assert decoder is not None and encoder is not None
    dotnet_name, dto_type = _find_type(type_name)
    if not data.removeprefix(_BOM).strip():
        raise EmptyInput("empty input: there is no document on stdin to convert")
    dto = decoder.decode(data, dto_type)
    # Every DTO has a default for each member, so one the input never touched equals a fresh one.
    # (A document that sets members to their defaults explicitly is reported the same way: its
    # output is indistinguishable.)
    matched = not (isinstance(dto, msgspec.Struct) and dto == dto_type())
    return Transcoded(encode_declared(encoder, dto, dto_type), dotnet_name, matched, _members(dto_type))
