"""The one surface every wire format implements."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Codec"]

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
        """Serialize a DTO (or a list of DTOs) to bytes."""
        ...

    def decode(self, data: bytes, type: type[T]) -> T:
        """Parse bytes into `type`; raise `wirecodecs.DecodeError` (or its `ValidationError`)."""
        ...
