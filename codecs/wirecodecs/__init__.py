"""wirecodecs: the gateway's pluggable wire formats. Each codec knows nothing of HTTP."""

from ._untyped import enum_lookup, from_untyped
from .base import (
    Capabilities,
    Codec,
    PrettyPrinting,
    TypedEncoding,
    capabilities_of,
    encode_declared,
    media_type_essence,
)
from .csv import CsvCodec
from .errors import CodecError, DecodeError, EncodeError, FieldError, ValidationError
from .json import JsonCodec
from .jsv import JsvCodec
from .registry import ENTRY_POINT_GROUP, CodecRegistry
from .xml import XmlCodec

__all__ = [
    "ENTRY_POINT_GROUP",
    "Capabilities",
    "Codec",
    "CodecError",
    "CodecRegistry",
    "CsvCodec",
    "DecodeError",
    "EncodeError",
    "FieldError",
    "JsonCodec",
    "JsvCodec",
    "PrettyPrinting",
    "TypedEncoding",
    "ValidationError",
    "XmlCodec",
    "capabilities_of",
    "default_registry",
    "encode_declared",
    "enum_lookup",
    "from_untyped",
    "media_type_essence",
]


def default_registry(*, csv_neutralize_formulas: bool = False) -> CodecRegistry:
    """The built-in codecs in ServiceStack's preference order, then any installed by entry point."""
    registry = CodecRegistry(
        [JsonCodec(), XmlCodec(), JsvCodec(), CsvCodec(neutralize_formulas=csv_neutralize_formulas)]
    )
    registry.load_entry_points()
    return registry
