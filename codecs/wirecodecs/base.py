"""The one surface every wire format implements."""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Codec", "encode_declared"]

T = TypeVar("T")


@runtime_checkable
class Codec(Protocol):
    """A wire format. Codecs know nothing of HTTP; the gateway picks one by name or media type.

    - `format`: the short name used in `?format=`, `.ext` suffixes and `/{format}/reply/` (`"jsv"`).
    - `media_type`: the canonical media type (`"application/jsv"`).
    - `media_types`: every media type that selects this codec, canonical first (aliases included).
    - `content_type`: the exact `Content-Type` header value written on responses.
    """

    format: str
    media_type: str
    media_types: tuple[str, ...]
    content_type: str

    def encode(self, obj: Any) -> bytes:
        """Serialize a DTO (or a list of DTOs) to bytes.

        A codec whose output depends on the *declared* type, not only the value (XML names the root
        of an empty `ListResponse<AISessionInfo>` after its type argument), may also accept a
        keyword `type`; callers reach it through `encode_declared`.
        """
        ...

    def decode(self, data: bytes, type: type[T]) -> T:
        """Parse bytes into `type`; raise `wirecodecs.DecodeError` (or its `ValidationError`)."""
        ...


@lru_cache(maxsize=64)
def _takes_type(codec_class: type[Codec]) -> bool:
    try:
        parameters = inspect.signature(codec_class.encode).parameters
    except (TypeError, ValueError):
        return False
    return "type" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def encode_declared(codec: Codec, obj: Any, type: Any) -> bytes:
    """`codec.encode(obj)`, telling the codec the declared type when it accepts one.

    Codecs written against the one-argument surface (any entry-point plugin) keep working.
    """
    if type is not None and _takes_type(codec.__class__):
        return codec.encode(obj, type=type)  # type: ignore[call-arg]
    return codec.encode(obj)
