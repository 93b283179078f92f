"""wirecodecs: the gateway's pluggable wire formats. Each codec knows nothing of HTTP."""

from .base import Codec
from .errors import CodecError, DecodeError, EncodeError, FieldError, ValidationError
from .json import JsonCodec
from .registry import ENTRY_POINT_GROUP, CodecRegistry
from .xml import XmlCodec

__all__ = [
    "ENTRY_POINT_GROUP",
    "Codec",
    "CodecError",
    "CodecRegistry",
    "DecodeError",
    "EncodeError",
    "FieldError",
    "JsonCodec",
    "ValidationError",
    "XmlCodec",
    "default_registry",
]


def default_registry() -> CodecRegistry:
    """The built-in codecs in ServiceStack's preference order, then any installed by entry point."""
    registry = CodecRegistry([JsonCodec(), XmlCodec()])
    registry.load_entry_points()
    return registry
