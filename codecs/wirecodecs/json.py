"""JSON as ServiceStack.Text writes it: camelCase members, nulls omitted (the DTOs' Struct config)."""

from __future__ import annotations

import codecs
from typing import Any, TypeVar

import msgspec

from ._untyped import from_untyped
from .base import Capabilities
from .errors import DecodeError
from .jsconfig import JsConfig, indent_json, wire_view

__all__ = ["JsonCodec"]

T = TypeVar("T")


class JsonCodec:
    format: str = "json"
    media_type: str = "application/json"
    media_types: tuple[str, ...] = ("application/json", "text/json")
    # ServiceStack appends a charset to JSON only (HostConfig.AppendUtf8CharsetOnContentTypes).
    content_type: str = "application/json; charset=utf-8"
    capabilities = Capabilities(jsonp=True, jsconfig=True)

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def encode(self, obj: Any, *, jsconfig: JsConfig | None = None) -> bytes:
        if jsconfig is None or jsconfig.is_default:
            return self._encoder.encode(obj)
        encoded = self._encoder.encode(wire_view(obj, jsconfig))
        if jsconfig.indent:
            return indent_json(encoded.decode("utf-8")).encode("utf-8")
        return encoded

    def decode(self, data: bytes, type: type[T]) -> T:
        return from_untyped(self.decode_untyped(data), type)

    def decode_untyped(self, data: bytes) -> Any:
        try:
            # ServiceStack reads bodies as text, which drops a leading byte-order mark.
            return msgspec.json.decode(data.removeprefix(codecs.BOM_UTF8))
        except msgspec.DecodeError as exc:
            raise DecodeError(str(exc)) from None
        except RecursionError:
            # msgspec recurses per nesting level; a hostile document must not take the server down.
            raise DecodeError("JSON is nested too deeply") from None
