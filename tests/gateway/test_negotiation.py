from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import pytest
from wirecodecs import CodecRegistry, JsonCodec

from gateway.errors import NotAcceptable, UnsupportedMediaType
from gateway.negotiation import (
    NegotiationCache,
    NegotiationInput,
    ServiceStackNegotiator,
    StrictNegotiator,
    make_negotiator,
)
from gateway.routing import RouteKind

T = TypeVar("T")


class FakeTextCodec:
    """A stand-in for a second format: only its name and media types matter to negotiation."""

    def __init__(self, name: str, *media_types: str) -> None:
        self.format = name
        self.media_type = media_types[0]
        self.media_types = tuple(media_types)
        self.content_type = media_types[0]

    def encode(self, obj: Any) -> bytes:
        return b""

    def decode(self, data: bytes, type: type[T]) -> T:
        return type()


registry = CodecRegistry(
    [
        JsonCodec(),
        FakeTextCodec("xml", "application/xml", "text/xml"),
        FakeTextCodec("jsv", "application/jsv", "text/jsv"),
        FakeTextCodec("csv", "text/csv"),
    ]
)
negotiator = ServiceStackNegotiator(registry)


def pick(
    *,
    first: str = "ai",
    suffix: str | None = None,
    kind: RouteKind | None = RouteKind.CUSTOM,
    fmt: str | None = None,
    callback: bool = False,
    accept: Sequence[str] = (),
    content_type: str | None = None,
) -> str:
    return negotiator.response_codec(NegotiationInput(first, suffix, kind, fmt, callback, accept, content_type)).format


def test_precedence_suffix_callback_format_path_accept() -> None:
    assert pick(suffix="xml", callback=True, fmt="jsv", accept=["text/csv"]) == "xml"
    assert pick(callback=True, fmt="jsv", accept=["text/csv"]) == "json"
    assert pick(fmt="jsv.pretty", accept=["text/csv"]) == "jsv"
    assert pick(first="csv", kind=RouteKind.REPLY, accept=["application/xml"]) == "csv"
    assert pick(accept=["text/csv"]) == "csv"
    assert pick() == "json"


def test_unknown_format_falls_through_to_accept() -> None:
    assert pick(fmt="yaml", accept=["application/xml"]) == "xml"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (["application/xml"], "xml"),
        (["text/xml"], "xml"),
        (["text/jsv"], "jsv"),
        (["application/jsv"], "jsv"),
        (["image/png"], "json"),
        # ASP.NET Core hands the header over unsplit; StartsWith then sees only the first range.
        (["application/xml, application/json"], "xml"),
        (["application/json;q=0.1, application/xml"], "json"),
        # Separate header lines are separate entries, matched in server order (json first).
        (["application/xml", "application/json"], "json"),
        (["text/html,application/xhtml+xml,*/*;q=0.8"], "json"),
    ],
)
def test_accept_follows_servicestack(accept: list[str], expected: str) -> None:
    assert pick(accept=accept) == expected


def test_star_accept_answers_in_the_request_format() -> None:
    assert pick(accept=["*/*"], content_type="application/xml") == "xml"
    assert pick(accept=["*/*"], content_type="application/x-www-form-urlencoded") == "json"
    assert pick(accept=["*/*"]) == "json"


def test_matching_request_content_type_wins_among_preferred() -> None:
    assert pick(accept=["application/json", "application/jsv"], content_type="application/jsv") == "jsv"


def test_api_routes_ignore_accept_but_honour_suffix_and_format() -> None:
    assert pick(first="api", kind=RouteKind.API, accept=["application/xml"]) == "json"
    assert pick(first="api", kind=RouteKind.API, fmt="xml") == "xml"
    assert pick(first="api", kind=RouteKind.API, suffix="csv") == "csv"


def body_input(
    content_type: str | None,
    *,
    kind: RouteKind = RouteKind.CUSTOM,
    first: str = "ai",
    path_format: str | None = None,
    suffix: str | None = None,
    declares_body: bool = True,
) -> NegotiationInput:
    return NegotiationInput(
        first_segment=first,
        suffix_format=suffix,
        route_kind=kind,
        query_format=None,
        has_callback=False,
        accept=[],
        content_type=content_type,
        path_format=path_format,
        declares_body=declares_body,
    )


def test_request_codec_uses_aliases_and_ignores_unknown_types() -> None:
    assert negotiator.request_codec(body_input("text/jsv; charset=utf-8")) is registry.by_format("jsv")
    assert negotiator.request_codec(body_input("application/octet-stream")) is None
    assert negotiator.request_codec(body_input(None)) is None


def test_predefined_routes_read_their_own_format_whatever_the_content_type() -> None:
    reply = body_input("application/xml", kind=RouteKind.REPLY, first="jsv", path_format="jsv")
    assert negotiator.request_codec(reply) is registry.by_format("jsv")
    api = body_input("text/csv", kind=RouteKind.API, first="api")
    assert negotiator.request_codec(api) is registry.by_format("json")
    assert negotiator.request_codec(body_input(None, kind=RouteKind.API, suffix="xml")) is registry.by_format("xml")


strict = StrictNegotiator(registry)


def strict_pick(accept: Sequence[str] = (), **kwargs: Any) -> str:
    defaults: dict[str, Any] = {
        "first_segment": "ai",
        "suffix_format": None,
        "route_kind": RouteKind.CUSTOM,
        "query_format": None,
        "has_callback": False,
        "content_type": None,
    }
    defaults.update(kwargs)
    return strict.response_codec(NegotiationInput(accept=accept, **defaults)).format


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (["application/xml;q=0.5, application/jsv"], "jsv"),
        (["application/xml, application/json;q=0.9"], "xml"),
        # A wildcard reaches a codec by its own media type only: text/* is CSV, not JSON via text/json.
        (["text/*"], "csv"),
        (["text/*, application/json;q=0"], "csv"),
        # An alias named exactly asks for that codec, unless its own type is refused.
        (["text/jsv"], "jsv"),
        (["text/xml;q=0.9, application/json;q=0.5"], "xml"),
        (["*/*"], "json"),
        (["application/*;q=0.2, text/csv;q=0.3"], "csv"),
        ([], "json"),
    ],
)
def test_strict_honours_q_values_and_wildcards(accept: list[str], expected: str) -> None:
    assert strict_pick(accept) == expected


def test_strict_answers_406_when_nothing_is_acceptable() -> None:
    with pytest.raises(NotAcceptable) as info:
        strict_pick(["image/png"])
    assert "application/json" in info.value.available
    with pytest.raises(NotAcceptable):
        strict_pick(["application/json;q=0"])
    with pytest.raises(NotAcceptable):
        strict_pick(["application/xml;q=0, text/xml"])
    with pytest.raises(NotAcceptable):
        strict_pick(["application/json"], query_format="yaml")


def test_strict_explicit_format_must_be_acceptable() -> None:
    assert strict_pick(["*/*"], suffix_format="xml") == "xml"
    assert strict_pick([], suffix_format="xml") == "xml"
    with pytest.raises(NotAcceptable):
        strict_pick(["application/json"], suffix_format="xml")


def test_strict_415_for_unknown_body_types() -> None:
    with pytest.raises(UnsupportedMediaType):
        strict.request_codec(body_input("application/octet-stream"))
    with pytest.raises(UnsupportedMediaType):
        strict.request_codec(body_input(None))
    assert strict.request_codec(body_input("text/xml")) is registry.by_format("xml")
    # No body, nothing to refuse; a form is bound field by field.
    assert strict.request_codec(body_input("application/octet-stream", declares_body=False)) is None
    assert strict.request_codec(body_input("application/x-www-form-urlencoded")) is None


def test_strict_415_on_predefined_routes_for_a_body_not_in_the_routes_format() -> None:
    api = body_input("text/csv", kind=RouteKind.API, first="api")
    with pytest.raises(UnsupportedMediaType):
        strict.request_codec(api)
    with pytest.raises(UnsupportedMediaType):
        strict.request_codec(body_input(None, kind=RouteKind.API, first="api"))
    json_api = body_input("application/json", kind=RouteKind.API, first="api")
    assert strict.request_codec(json_api) is registry.by_format("json")
    reply = body_input("text/jsv", kind=RouteKind.REPLY, first="jsv", path_format="jsv")
    assert strict.request_codec(reply) is registry.by_format("jsv")


def test_make_negotiator_by_mode() -> None:
    assert isinstance(make_negotiator("servicestack", registry), ServiceStackNegotiator)
    assert isinstance(make_negotiator("strict", registry), StrictNegotiator)
    with pytest.raises(ValueError, match="unknown negotiation mode"):
        make_negotiator("loose", registry)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ([BROWSER], "html"),
        (["text/html"], "html"),
        (["application/json"], "json"),
        (["*/*"], "json"),
        ([], "json"),
        (["application/xml;q=0.9,*/*;q=0.8"], "xml"),
    ],
)
def test_html_is_for_browsers_only(strict: bool, accept: list[str], expected: str) -> None:
    from wirecodecs import default_registry

    full = default_registry()
    chosen = (StrictNegotiator if strict else ServiceStackNegotiator)(full).response_codec(
        NegotiationInput("ai", None, RouteKind.CUSTOM, None, False, accept, None)
    )
    assert chosen.format == expected


def test_an_accept_header_seen_before_is_not_worked_out_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = ServiceStackNegotiator(registry)
    checks: list[str] = []
    original = ServiceStackNegotiator._entry_selects

    def counted(self: ServiceStackNegotiator, entry: str, codec: Any) -> bool:
        checks.append(entry)
        return original(self, entry, codec)

    monkeypatch.setattr(ServiceStackNegotiator, "_entry_selects", counted)
    request = NegotiationInput("ai", None, RouteKind.CUSTOM, None, False, ["text/csv"], None)
    assert fresh.response_codec(request).format == "csv"
    assert checks  # worked out the first time
    checks.clear()
    assert fresh.response_codec(request._replace(first_segment="auth")).format == "csv"
    assert checks == []  # remembered
    assert fresh.response_codec(request._replace(accept=["application/jsv"])).format == "jsv"
    assert checks  # a new header is worked out


def test_a_negotiation_cache_works_each_input_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = NegotiationCache(ServiceStackNegotiator(registry))
    asked: list[NegotiationInput] = []
    original = ServiceStackNegotiator.response_codec

    def counted(self: ServiceStackNegotiator, request: NegotiationInput) -> Any:
        asked.append(request)
        return original(self, request)

    monkeypatch.setattr(ServiceStackNegotiator, "response_codec", counted)
    request = NegotiationInput("ai", None, RouteKind.CUSTOM, None, False, ("text/csv",), None)
    first = cache.negotiate(request)
    assert first.response is registry.by_format("csv")
    assert cache.negotiate(NegotiationInput(*request)) is first  # an equal input: remembered
    assert len(asked) == 1
    xml = cache.negotiate(request._replace(accept=("application/xml",)))
    assert xml.response is registry.by_format("xml")
    assert len(asked) == 2


def test_a_full_negotiation_cache_starts_over() -> None:
    cache = NegotiationCache(ServiceStackNegotiator(registry), max_entries=2)
    inputs = [NegotiationInput(f"p{n}", None, RouteKind.CUSTOM, None, False, (), None) for n in range(3)]
    for request in inputs:
        cache.negotiate(request)
    assert len(cache) == 1  # the third found it full: only it is remembered


def test_a_refusal_is_not_remembered() -> None:
    cache = NegotiationCache(StrictNegotiator(registry))
    request = NegotiationInput("ai", None, RouteKind.CUSTOM, None, False, ("image/png",), None)
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            cache.negotiate(request)
    assert len(cache) == 0
