"""MsgPack, as ServiceStack's MsgPackFormat names it (`application/x-msgpack`), for evo-gateway.

It knows nothing of the gateway: it implements the `wirecodecs.Codec` surface and is advertised
through the `evo_gateway.codecs` entry-point group in its pyproject.toml.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from wirecodecs import DecodeError, from_untyped

__all__ = ["MsgPackCodec"]

T = TypeVar("T")


class MsgPackCodec:
    format = "msgpack"
    media_type = "application/x-msgpack"
    media_types = ("application/x-msgpack", "application/msgpack")
    content_type = "application/x-msgpack"

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes, type: type[T]) -> T:
        try:
            untyped = msgspec.msgpack.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise DecodeError(f"invalid MsgPack: {exc}") from None
        return from_untyped(untyped, type)
