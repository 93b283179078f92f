"""Format round-trips outside HTTP: decode a document as one format and encode it as another
(`evo-gateway convert --from jsv --to xml --type PatchAISession`)."""

from __future__ import annotations

from typing import Any

from wirecodecs import CodecRegistry, encode_declared

from .dtos import AISessionInfo, ErrorResponse, ResponseStatus
from .operations import OPERATIONS

__all__ = ["UnknownFormat", "UnknownType", "convert_document", "dto_types"]


class UnknownFormat(ValueError):
    pass


class UnknownType(ValueError):
    pass


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


def _find_type(name: str) -> Any:
    types = dto_types()
    lowered = {key.lower(): value for key, value in types.items()}
    # `ListResponse` alone means the one list response the API has.
    aliases = {"listresponse": "listresponse<aisessioninfo>"}
    found = lowered.get(aliases.get(name.lower(), name.lower()))
    if found is None:
        raise UnknownType(f"unknown DTO type {name!r}; known: {', '.join(sorted(types))}")
    return found


def convert_document(data: bytes, *, source: str, target: str, type_name: str, registry: CodecRegistry) -> bytes:
    """Decode `data` as `source` into the DTO named `type_name`, then encode it as `target`.

    Raises UnknownFormat / UnknownType for bad arguments and `wirecodecs.DecodeError` for bad input.
    """
    decoder = registry.by_format(source)
    encoder = registry.by_format(target)
    for name, codec in ((source, decoder), (target, encoder)):
        if codec is None:
            raise UnknownFormat(f"unknown format {name!r}; registered: {', '.join(registry.formats())}")
    assert decoder is not None and encoder is not None
    dto_type = _find_type(type_name)
    dto = decoder.decode(data, dto_type)
    return encode_declared(encoder, dto, dto_type)
