"""The request plumbing on hand-built ASGI scopes: `ParsedRequest`, `lookup_param`, `read_body`."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope

from gateway.body import read_body
from gateway.errors import PayloadTooLarge
from gateway.request import ParsedRequest, lookup_param

LIMIT = 10


def scope(
    headers: Sequence[tuple[str, str]] = (),
    *,
    query_string: bytes = b"",
    path: str = "/ai/sessions",
    http_version: str | None = "1.1",
    method: str = "POST",
) -> Scope:
    s: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query_string,
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
    }
    if http_version is not None:
        s["http_version"] = http_version
    return s


async def never(*_: object) -> Message:
    raise AssertionError("the body must not be read")


def chunks(*parts: bytes) -> tuple[Receive, list[int]]:
    """A receive callable sending `parts` as body messages; the list counts the calls made."""
    calls = [0]
    pending = list(parts)

    async def receive() -> Message:
        calls[0] += 1
        if not pending:
            return {"type": "http.request", "body": b"", "more_body": False}
        part = pending.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(pending)}

    return receive, calls


def incoming(
    headers: Sequence[tuple[str, str]] = (),
    *,
    receive: Receive = never,
    query_string: bytes = b"",
    path: str = "/ai/sessions",
    http_version: str | None = "1.1",
) -> ParsedRequest:
    return ParsedRequest(
        Request(scope(headers, query_string=query_string, path=path, http_version=http_version), receive)
    )


def read(inc: ParsedRequest, limit: int = LIMIT) -> bytes:
    return anyio.run(read_body, inc, limit)


# --- lookup_param ---


def test_lookup_prefers_the_exact_spelling() -> None:
    params = {"FORMAT": "xml", "format": "json", "Format": "jsv"}
    assert lookup_param(params, "format") == "json"
    assert lookup_param(params, "Format") == "jsv"
    assert lookup_param(params, "FORMAT") == "xml"


def test_lookup_falls_back_to_the_first_case_insensitive_match() -> None:
    params = {"CallBack": "a", "CALLBACK": "b"}
    assert lookup_param(params, "callback") == "a"
    assert lookup_param({"x-http-method-override": "PUT"}, "X-Http-Method-Override") == "PUT"


def test_lookup_misses_are_none_and_empty_values_count() -> None:
    assert lookup_param({}, "format") is None
    assert lookup_param({"formats": "xml", "form": "x"}, "format") is None
    # An empty value is a value: it does not fall through to another spelling.
    assert lookup_param({"callback": "", "Callback": "cb"}, "callback") == ""
    assert lookup_param({"Callback": ""}, "callback") == ""


# --- ParsedRequest: the parts of the scope ---


def test_path_query_string_and_http_version() -> None:
    inc = incoming(path="/json/reply/GetAISession", query_string=b"a=%C3%A9&b=caf\xe9")
    assert inc.path == "/json/reply/GetAISession"
    assert inc.query_string == "a=%C3%A9&b=caf\u00e9"  # decoded as latin-1, not percent-decoded
    assert inc.http1 is True
    assert incoming(http_version="1.0").http1 is True
    assert incoming(http_version="2").http1 is False
    assert incoming(http_version="3").http1 is False
    assert incoming(http_version=None).http1 is True  # ASGI's default is 1.1


def test_query_params_are_decoded_flattened_and_blank_values_kept() -> None:
    inc = incoming(query_string=b"ids=a&ids=b&Ids=c&purpose=hello+world%21&debug=&flag")
    assert inc.query == {"ids": "a,b", "Ids": "c", "purpose": "hello world!", "debug": "", "flag": ""}
    assert incoming().query == {}


def test_param_is_case_insensitive_exact_spelling_first() -> None:
    inc = incoming(query_string=b"Format=xml&callback=cb&CALLBACK=other")
    assert inc.param("format") == "xml"
    assert inc.param("FORMAT") == "xml"
    assert inc.param("callback") == "cb"
    assert inc.param("Callback") == "cb"  # first case-insensitive match, in query order
    assert inc.param("CALLBACK") == "other"
    assert inc.param("debug") is None


# --- ParsedRequest: headers ---


def test_header_names_are_lowercased() -> None:
    inc = incoming([("X-Custom", "1"), ("CONTENT-TYPE", "application/json")])
    assert inc.headers == {"x-custom": "1", "content-type": "application/json"}
    assert inc.content_type == "application/json"


def test_repeated_list_headers_fold_into_one_value() -> None:
    inc = incoming([("X-Forwarded-For", "1.1.1.1"), ("x-forwarded-for", "2.2.2.2"), ("X-FORWARDED-FOR", "3.3.3.3")])
    assert inc.headers["x-forwarded-for"] == "1.1.1.1, 2.2.2.2, 3.3.3.3"


@pytest.mark.parametrize("name", ["Content-Type", "Content-Length", "Authorization", "Host"])
def test_repeated_singleton_headers_keep_the_first(name: str) -> None:
    inc = incoming([(name, "first"), ("X-Other", "o"), (name.upper(), "second")])
    assert inc.headers[name.lower()] == "first"
    assert inc.headers["x-other"] == "o"


def test_a_repeated_content_type_names_one_media_type() -> None:
    inc = incoming([("Content-Type", "application/json"), ("Content-Type", "application/json")])
    assert inc.content_type == "application/json"


def test_a_repeated_authorization_is_not_folded() -> None:
    inc = incoming([("Authorization", "Bearer one"), ("Authorization", "Bearer two")])
    assert inc.headers["authorization"] == "Bearer one"


def test_accept_lines_are_kept_separately_and_folded_in_headers() -> None:
    inc = incoming([("Accept", "text/csv, application/json;q=0.5"), ("X-A", "1"), ("ACCEPT", "application/xml")])
    assert inc.accept == ["text/csv, application/json;q=0.5", "application/xml"]
    assert inc.headers["accept"] == "text/csv, application/json;q=0.5, application/xml"
    assert incoming().accept == []
    assert incoming([("Accept", "")]).accept == [""]


def test_header_values_are_latin_1() -> None:
    inc = incoming([("X-Name", "caf\u00e9")])
    assert inc.headers["x-name"] == "caf\u00e9"


def test_no_content_type_is_none() -> None:
    assert incoming([("Accept", "application/json")]).content_type is None


# --- ParsedRequest: cookies ---


def test_cookies_are_parsed_when_sent() -> None:
    inc = incoming([("cookie", "ss-id=abc; ss-opt=temp")])  # ASGI servers send header names lowercased
    assert dict(inc.cookies) == {"ss-id": "abc", "ss-opt": "temp"}


def test_cookies_on_several_lines_are_all_read() -> None:
    # HTTP/2 clients send one Cookie field per cookie (RFC 9113 8.2.3).
    inc = incoming([("cookie", "a=1"), ("cookie", "ss-id=tok")], http_version="2")
    assert dict(inc.cookies) == {"a": "1", "ss-id": "tok"}


def test_no_cookie_header_is_no_cookies() -> None:
    inc = incoming([("X-Cookie", "ss-id=abc")])
    assert dict(inc.cookies) == {}


# --- read_body ---


def test_no_framing_headers_on_http1_is_no_body_and_nothing_is_read() -> None:
    for version in ("1.0", "1.1", None):
        assert read(incoming(http_version=version)) == b""


def test_http2_without_content_length_reads_the_stream() -> None:
    receive, calls = chunks(b"abc", b"def")
    assert read(incoming(receive=receive, http_version="2")) == b"abcdef"
    assert calls[0] == 2


def test_content_length_body_is_read_in_chunks() -> None:
    receive, _ = chunks(b"12345", b"67", b"890")
    assert read(incoming([("Content-Length", "10")], receive=receive)) == b"1234567890"


def test_chunked_body_without_content_length_is_read() -> None:
    receive, _ = chunks(b"12", b"34")
    assert read(incoming([("Transfer-Encoding", "chunked")], receive=receive)) == b"1234"


def test_a_body_exactly_at_the_limit_is_accepted() -> None:
    receive, _ = chunks(b"x" * LIMIT)
    assert read(incoming([("Content-Length", str(LIMIT))], receive=receive)) == b"x" * LIMIT


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        read(incoming([("Content-Length", str(LIMIT + 1))]))
    assert (caught.value.status_code, caught.value.error_code) == (413, "RequestEntityTooLarge")
    assert caught.value.message == f"Request body exceeds the limit of {LIMIT} bytes"


@pytest.mark.parametrize(
    "headers",
    [
        [("Transfer-Encoding", "chunked")],
        [("Content-Length", "4")],  # a declared length that understates the body
        [("Content-Length", "abc")],  # an unparseable one is checked while reading
        [("Content-Length", "-1")],
    ],
)
def test_a_streamed_body_over_the_limit_is_refused_while_reading(headers: list[tuple[str, str]]) -> None:
    receive, calls = chunks(b"123456", b"78901", b"never reached")
    with pytest.raises(PayloadTooLarge) as caught:
        read(incoming(headers, receive=receive))
    assert caught.value.status_code == 413
    assert calls[0] == 2  # stopped at the chunk that crossed the limit


def test_http2_stream_over_the_limit_is_refused() -> None:
    receive, _ = chunks(b"x" * (LIMIT + 1))
    with pytest.raises(PayloadTooLarge):
        read(incoming(receive=receive, http_version="2"))


def test_content_length_zero_reads_an_empty_body() -> None:
    receive, _ = chunks()
    assert read(incoming([("Content-Length", "0")], receive=receive)) == b""


def test_a_client_that_leaves_mid_body_is_a_client_disconnect() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"12", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    with pytest.raises(ClientDisconnect):
        read(incoming([("Content-Length", "4")], receive=receive))
    assert messages == []


def test_messages_of_other_types_are_passed_over() -> None:
    # As Starlette's Request.stream does: only body messages and the disconnect mean anything.
    messages: list[Message] = [
        {"type": "http.request", "body": b"12", "more_body": True},
        {"type": "http.response.debug"},
        {"type": "http.request", "body": b"34", "more_body": False},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    assert read(incoming([("Content-Length", "4")], receive=receive)) == b"1234"
