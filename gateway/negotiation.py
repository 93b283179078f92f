"""Choosing the response codec and the request-body codec.

`ServiceStackNegotiator` reproduces ServiceStack's lenient rules (reference B.2/B.3): suffix >
`?callback=` > `?format=` > `/{format}/` first segment > Accept (q ignored, server order) > JSON,
and never 406 or 415. Handlers never see which negotiator is in use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from wirecodecs import Codec, CodecRegistry

from .errors import NotAcceptable, UnsupportedMediaType
from .mediatypes import MediaRange, parse_accept, served_quality
from .routing import RouteKind

__all__ = [
    "FORM_MEDIA_TYPES",
    "NEGOTIATION_MODES",
    "NegotiationInput",
    "Negotiator",
    "ServiceStackNegotiator",
    "StrictNegotiator",
    "make_negotiator",
]

FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

#: ServiceStack's `PreferredContentTypes` after the default (JSON); HTML is not served here.
_SERVER_ORDER = ("json", "xml", "jsv")


class NegotiationInput(NamedTuple):
    path: str
    suffix_format: str | None
    route_kind: RouteKind | None
    query_format: str | None
    has_callback: bool
    #: Each Accept header line as sent (ASP.NET Core does not split them on commas).
    accept: Sequence[str]
    content_type: str | None


class Negotiator(Protocol):
    def response_codec(self, request: NegotiationInput) -> Codec: ...

    def request_codec(self, content_type: str | None) -> Codec | None:
        """The codec for a body of this Content-Type; None binds no body (forms are bound apart)."""
        ...


def _bare(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


class ServiceStackNegotiator:
    def __init__(self, registry: CodecRegistry) -> None:
        self._registry = registry
        json = registry.by_format("json")
        if json is None:
            raise ValueError("the JSON codec must be registered")
        self._json = json
        self._preferred = [c for c in (registry.by_format(f) for f in _SERVER_ORDER) if c is not None]
        self._others = [c for c in registry if c.format not in _SERVER_ORDER]

    def response_codec(self, request: NegotiationInput) -> Codec:
        registry = self._registry
        if request.suffix_format is not None:
            codec = registry.by_format(request.suffix_format)
            if codec is not None:
                return codec
        if request.has_callback:
            return self._json
        if request.query_format:
            codec = registry.by_format(request.query_format.split(".", 1)[0])
            if codec is not None:
                return codec
        first = request.path.lstrip("/").split("/", 1)[0]
        codec = registry.by_format(first) if first else None
        if codec is not None:
            return codec
        if request.route_kind is RouteKind.API:
            return self._json
        return self._from_accept(request.accept, request.content_type)

    def _from_accept(self, accept: Sequence[str], content_type: str | None) -> Codec:
        entries = [_bare(value) for value in accept if value.strip()]
        if not entries:
            return self._json
        own = self._registry.by_media_type(content_type) if content_type else None
        matched: set[str] = set()
        for entry in entries:
            for codec in self._preferred:
                if self._entry_selects(entry, codec):
                    if codec is own:
                        return codec
                    matched.add(codec.format)
        for codec in self._preferred:
            if codec.format in matched:
                return codec
        if "*/*" in entries:
            if own is not None and content_type and _bare(content_type) not in FORM_MEDIA_TYPES:
                return own
            return self._json
        for entry in entries:
            for codec in self._others:
                if self._entry_selects(entry, codec):
                    return codec
        return self._json

    def _entry_selects(self, entry: str, codec: Codec) -> bool:
        # ServiceStack tests `accept.StartsWith(preferredType)`; the first media range also goes
        # through the aliases (text/jsv → application/jsv), so the seed page's `Accept: text/jsv` works.
        if entry.startswith(codec.media_type):
            return True
        first = entry.split(",", 1)[0].strip()
        return first in codec.media_types

    def request_codec(self, content_type: str | None) -> Codec | None:
        if not content_type:
            return None
        return self._registry.by_media_type(content_type)


def _served_quality(ranges: list[MediaRange], codec: Codec) -> float:
    return served_quality(ranges, codec.media_type, [t for t in codec.media_types if t != codec.media_type])


class StrictNegotiator:
    """RFC 9110 negotiation: q-values and wildcards count, 406 and 415 are real answers.

    An explicit format (suffix, `?format=`, `/{format}/` or the JSON-only `/api` route) still wins,
    but must itself be acceptable when the client sent an Accept header.
    """

    def __init__(self, registry: CodecRegistry) -> None:
        self._registry = registry
        json = registry.by_format("json")
        if json is None:
            raise ValueError("the JSON codec must be registered")
        self._json = json

    def _available(self) -> list[str]:
        return [codec.media_type for codec in self._registry]

    def response_codec(self, request: NegotiationInput) -> Codec:
        ranges = parse_accept(list(request.accept))
        fixed = self._explicit(request)
        if fixed is not None:
            if ranges and _served_quality(ranges, fixed) == 0.0:
                raise NotAcceptable(self._available())
            return fixed
        if not ranges:
            return self._json
        best: Codec | None = None
        best_q = 0.0
        for codec in self._registry:  # registration order breaks ties: JSON first
            q = _served_quality(ranges, codec)
            if q > best_q:
                best, best_q = codec, q
        if best is None:
            raise NotAcceptable(self._available())
        return best

    def _explicit(self, request: NegotiationInput) -> Codec | None:
        registry = self._registry
        if request.suffix_format is not None:
            return registry.by_format(request.suffix_format)
        if request.has_callback:
            return self._json
        if request.query_format:
            codec = registry.by_format(request.query_format.split(".", 1)[0])
            if codec is None:
                raise NotAcceptable(self._available())
            return codec
        if request.route_kind is RouteKind.REPLY:
            return registry.by_format(request.path.lstrip("/").split("/", 1)[0])
        if request.route_kind is RouteKind.API:
            return self._json
        return None

    def request_codec(self, content_type: str | None) -> Codec | None:
        codec = self._registry.by_media_type(content_type) if content_type else None
        if codec is None:
            raise UnsupportedMediaType(content_type, self._available())
        return codec


#: `serve --negotiation` values.
NEGOTIATION_MODES = ("servicestack", "strict")


def make_negotiator(mode: str, registry: CodecRegistry) -> Negotiator:
    if mode == "servicestack":
        return ServiceStackNegotiator(registry)
    if mode == "strict":
        return StrictNegotiator(registry)
    raise ValueError(f"unknown negotiation mode {mode!r}; choose one of {', '.join(NEGOTIATION_MODES)}")
