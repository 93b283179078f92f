"""wirecodecs: the gateway's pluggable wire formats. Each codec knows nothing of HTTP."""

from ._convert import convert
from .base import Codec
from .errors import CodecError, DecodeError, EncodeError, FieldError, ValidationError
from .json import JsonCodec
from .registry import ENTRY_POINT_GROUP, CodecRegistry

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
    "convert",
    "default_registry",
]


def default_registry() -> CodecRegistry:
    """The built-in codecs in ServiceStack's preference order, then any installed by entry point."""
    registry = CodecRegistry([JsonCodec()])
    registry.load_entry_points()
    return registry
