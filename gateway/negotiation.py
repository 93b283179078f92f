"""Choosing the response codec and the request-body codec, for every kind of route.

`ServiceStackNegotiator` reproduces ServiceStack's lenient rules: suffix > `?callback=` >
`?format=` > `/{format}/` first segment > Accept (q ignored, server order) > JSON, and never 406 or
415. `StrictNegotiator` is RFC 9110's. Handlers never see which negotiator is in use.

The request codec: a custom route reads its body by Content-Type; a predefined route (`/api/{Op}`,
`/{format}/reply/{Op}`) reads its own format (the path's, else the suffix's, else JSON). Forms are
bound field by field, never decoded by a codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, Protocol

from wirecodecs import Codec, CodecRegistry, media_type_essence

from .body import is_form
from .errors import NotAcceptable, UnsupportedMediaType
from .mediatypes import MediaRange, parse_accept, served_quality
from .routing import RouteKind

__all__ = [
    "NEGOTIATION_MODES",
    "Negotiated",
    "NegotiationCache",
    "NegotiationInput",
    "Negotiator",
    "ServiceStackNegotiator",
    "StrictNegotiator",
    "first_segment",
    "make_negotiator",
]

#: ServiceStack's `PreferredContentTypes`: a browser's `Accept: text/html,…` gets HTML. (ServiceStack's
#: HtmlFormat also makes HTML the answer to `*/*` and to no Accept at all; here those stay JSON, so
#: curl and scripts are answered as before.)
_SERVER_ORDER = ("html", "json", "xml", "jsv")
#: Distinct (Accept, Content-Type) pairs remembered per negotiator; a client that sends a new one
#: every time only costs the work it cost before.
_ACCEPT_CACHE_SIZE = 256
#: Distinct negotiation inputs whose outcome a `NegotiationCache` remembers.
_NEGOTIATED_CACHE_SIZE = 256


class NegotiationInput(NamedTuple):
    """Everything negotiation reads of a request. Nothing in it names the resource (the path's
    first segment is all a path says), so requests for different sessions share one input."""

    #: The path's first segment (`json` in `/json/reply/X`, `ai` in `/ai/sessions/1`).
    first_segment: str
    suffix_format: str | None
    route_kind: RouteKind | None
    query_format: str | None
    has_callback: bool
    #: Each Accept header line as sent (ASP.NET Core does not split them on commas); a tuple
    #: where the input keys a `NegotiationCache`.
    accept: Sequence[str]
    content_type: str | None
    #: The format `/{format}/reply/` names (None on other routes).
    path_format: str | None = None
    #: The framing headers announce a body.
    declares_body: bool = False


class Negotiated(NamedTuple):
    response: Codec
    #: None: no codec reads this body (none is registered for its Content-Type, or it is a form).
    request: Codec | None


class Negotiator(Protocol):
    def response_codec(self, request: NegotiationInput) -> Codec:
        """The codec of the answer; raises NotAcceptable when none is acceptable (strict only)."""
        ...

    def request_codec(self, request: NegotiationInput) -> Codec | None:
        """The codec that reads the body; raises UnsupportedMediaType when none can (strict only)."""
        ...


def negotiate(negotiator: Negotiator, request: NegotiationInput) -> Negotiated:
    return Negotiated(negotiator.response_codec(request), negotiator.request_codec(request))


def first_segment(path: str) -> str:
    return path.lstrip("/").partition("/")[0]


class NegotiationCache:
    """`negotiate` remembered per distinct input: clients send the same few combinations of
    Accept, Content-Type, route and format switches again and again. A refusal (strict mode's
    406 and 415) is worked out every time, and a full cache starts over."""

    def __init__(self, negotiator: Negotiator, max_entries: int = _NEGOTIATED_CACHE_SIZE) -> None:
        self.negotiator = negotiator
        self._max_entries = max_entries
        self._outcomes: dict[NegotiationInput, Negotiated] = {}

    def negotiate(self, request: NegotiationInput) -> Negotiated:
        outcome = self._outcomes.get(request)
        if outcome is None:
            outcome = negotiate(self.negotiator, request)
            if len(self._outcomes) >= self._max_entries:
                self._outcomes.clear()
            self._outcomes[request] = outcome
        return outcome

    def __len__(self) -> int:
        return len(self._outcomes)


def _route_codec(registry: CodecRegistry, request: NegotiationInput) -> Codec | None:
    """The codec a predefined route reads its body with; None on custom routes."""
    if request.route_kind is None or request.route_kind is RouteKind.CUSTOM:
        return None
    codec = registry.by_format(request.path_format or request.suffix_format or "json")
    assert codec is not None  # the router only yields registered formats
    return codec


class ServiceStackNegotiator:
    def __init__(self, registry: CodecRegistry) -> None:
        self._registry = registry
        json = registry.by_format("json")
        if json is None:
            raise ValueError("the JSON codec must be registered")
        self._json = json
        self._preferred = [c for c in (registry.by_format(f) for f in _SERVER_ORDER) if c is not None]
        self._others = [c for c in registry if c.format not in _SERVER_ORDER]
        # Clients send the same few Accept headers again and again: each is worked out once.
        self._by_accept = lru_cache(maxsize=_ACCEPT_CACHE_SIZE)(self._from_accept)

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
        first = request.first_segment
        codec = registry.by_format(first) if first else None
        if codec is not None:
            return codec
        if request.route_kind is RouteKind.API:
            return self._json
        return self._by_accept(tuple(request.accept), request.content_type)

    def _from_accept(self, accept: tuple[str, ...], content_type: str | None) -> Codec:
        entries = [media_type_essence(value) for value in accept if value.strip()]
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
            if own is not None and content_type and not is_form(content_type):
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

    def request_codec(self, request: NegotiationInput) -> Codec | None:
        route_codec = _route_codec(self._registry, request)
        if route_codec is not None:
            return route_codec
        if not request.content_type:
            return None
        return self._registry.by_media_type(request.content_type)


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
            return registry.by_format(request.first_segment)
        if request.route_kind is RouteKind.API:
            return self._json
        return None

    def request_codec(self, request: NegotiationInput) -> Codec | None:
        """A body must be labelled with the media type of the codec that reads it: on a custom
        route any registered one, on a predefined route the route's own."""
        content_type = request.content_type
        route_codec = _route_codec(self._registry, request)
        if is_form(content_type):
            return route_codec
        named = self._registry.by_media_type(content_type) if content_type else None
        codec = route_codec or named
        if request.declares_body and (named is None or named is not codec):
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
