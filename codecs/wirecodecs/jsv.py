"""JSV, ServiceStack's compact text format, through pyjsv: camelCase members (a .NET Core host's
default), strings quoted only when they must be."""

from __future__ import annotations

import codecs
from typing import Any, TypeVar

import pyjsv

from .base import Capabilities
from .errors import DecodeError, FieldError, ValidationError
from .jsconfig import JsConfig, wire_view

__all__ = ["JsvCodec"]

T = TypeVar("T")


class JsvCodec:
    format: str = "jsv"
    media_type: str = "application/jsv"
    media_types: tuple[str, ...] = ("application/jsv", "text/jsv")
    # ServiceStack appends a charset to JSON only.
    content_type: str = "application/jsv"
    capabilities = Capabilities(pretty=True, jsconfig=True)

    def encode(self, obj: Any, *, jsconfig: JsConfig | None = None) -> bytes:
        if jsconfig is None or jsconfig.is_default:
            return pyjsv.encode(obj)
        # JSV never writes null, and ServiceStack's Indent is JSON's alone.
        return pyjsv.encode(wire_view(obj, jsconfig, nulls=False))

    def decode(self, data: bytes, type: type[T]) -> T:
        try:
            # ServiceStack reads bodies as text, which drops a leading byte-order mark.
            return pyjsv.decode(data.removeprefix(codecs.BOM_UTF8), type=type)
        except pyjsv.DecodeError as exc:
            if exc.path and exc.path != "$":
                path = exc.path.removeprefix("$").removeprefix(".")
                raise ValidationError(str(exc), [FieldError(path, exc.message)]) from None
            raise DecodeError(str(exc)) from None

    def pretty(self, data: bytes) -> str:
        """The `?debug=1` form: ServiceStack's JsvFormatter layout."""
        return pyjsv.format(data.decode("utf-8"))
