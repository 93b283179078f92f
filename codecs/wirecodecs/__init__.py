"""wirecodecs: the gateway's pluggable wire formats. Each codec knows nothing of HTTP."""

from ._untyped import enum_lookup, from_untyped
from .base import (
    Capabilities,
    Codec,
    Page,
    PrettyPrinting,
    TypedEncoding,
    capabilities_of,
    encode_declared,
    media_type_essence,
)
from .csv import CsvCodec
from .errors import CodecError, DecodeError, EncodeError, FieldError, ValidationError
from .html import HtmlCodec
from .jsconfig import JsConfig, parse_jsconfig
from .json import JsonCodec
from .jsonl import JsonlCodec
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
    "HtmlCodec",
    "JsConfig",
    "JsonCodec",
    "JsonlCodec",
    "JsvCodec",
    "Page",
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
    "parse_jsconfig",
]


def default_registry(*, csv_neutralize_formulas: bool = False) -> CodecRegistry:
    """The built-in codecs in ServiceStack's preference order (JSON, XML, JSV, then CSV, JSONL
    and HTML),
    then any installed by entry point."""
    registry = CodecRegistry(
        [
            JsonCodec(),
            XmlCodec(),
            JsvCodec(),
            CsvCodec(neutralize_formulas=csv_neutralize_formulas),
            JsonlCodec(),
            HtmlCodec(),
        ]
    )
    registry.load_entry_points()
    return registry
