"""Responder: how results and errors become HTTP responses, per codec, under JSONP and ?debug."""

from __future__ import annotations

import json

import msgspec
import pytest
from starlette.responses import Response
from wirecodecs import Capabilities, Codec, CsvCodec, JsonCodec, JsvCodec, XmlCodec, capabilities_of, default_registry

from gateway.auth import WWW_AUTHENTICATE
from gateway.context import Cookie
from gateway.dtos import AISessionInfo, ErrorResponse, ListResponse, ResponseError, ResponseStatus
from gateway.responses import JSONP_CONTENT_TYPE, Responder, sanitize_callback

JSON, XML, JSV, CSV = JsonCodec(), XmlCodec(), JsvCodec(), CsvCodec()
# The test plugin (tests/plugins/msgpack-codec): a codec with only the one-argument surface, no pretty form.
_msgpack = default_registry().by_format("msgpack")
assert _msgpack is not None, "pip install ./tests/plugins/msgpack-codec"
MSGPACK: Codec = _msgpack
ALL_CODECS: list[Codec] = [JSON, XML, JSV, CSV, MSGPACK]
INFO = AISessionInfo(id="s1", account_id="a1", purpose="sales")
STATUS = ResponseStatus(
    error_code="NotFound",
    message="Session 's1' not found",
    errors=[ResponseError(error_code="E", field_name="f", message="m")],
)


def reply(
    codec: Codec,
    *,
    callback: str | None = None,
    operation_name: str | None = "GetAISession",
    debug: bool = False,
    method: str = "GET",
    path: str = "/ai/sessions/s1",
    query_string: str = "",
) -> Responder:
    return Responder(
        codec,
        callback=callback,
        method=method,
        path=path,
        query_string=query_string,
        operation_name=operation_name,
        debug=debug,
    )


def body(response: Response) -> bytes:
    return bytes(response.body)


def header_names(response: Response) -> list[str]:
    return [name.decode("latin-1") for name, _ in response.raw_headers]


# --- body ---


@pytest.mark.parametrize("codec", [JSON, XML, JSV, MSGPACK], ids=lambda c: c.format)
def test_body_is_encoded_with_the_exact_content_type(codec: Codec) -> None:
    response = reply(codec).body(INFO)
    assert response.status_code == 200
    assert response.body == codec.encode(INFO)
    assert response.headers["content-type"] == codec.content_type
    assert response.headers["vary"] == "Accept"
    assert response.headers["content-length"] == str(len(response.body))
    assert "content-disposition" not in response.headers
    assert header_names(response).count("content-type") == 1


def test_json_content_type_carries_a_charset_and_the_others_none() -> None:
    assert reply(JSON).body(INFO).headers["content-type"] == "application/json; charset=utf-8"
    assert reply(JSV).body(INFO).headers["content-type"] == "application/jsv"
    assert reply(XML).body(INFO).headers["content-type"] == "application/xml"
    assert reply(CSV).body(INFO).headers["content-type"] == "text/csv"


def test_body_status_code_and_extra_headers_are_kept() -> None:
    response = reply(JSON).body(INFO, status_code=201, headers={"X-AutoBatch-Completed": "3", "Vary": "Origin"})
    assert response.status_code == 201
    assert response.headers["x-autobatch-completed"] == "3"
    assert response.headers["vary"] == "Origin"  # a caller's header overrides the default


def test_a_callers_content_type_header_does_not_override_the_codec() -> None:
    response = reply(JSV).body(INFO, headers={"Content-Type": "text/html"})
    assert response.headers["content-type"] == "application/jsv"


def test_csv_body_is_a_download_named_after_the_operation() -> None:
    response = reply(CSV, operation_name="ListAISessions").body(INFO)
    assert response.headers["content-disposition"] == "attachment;filename=ListAISessions.csv"
    assert response.headers["content-type"] == "text/csv"
    assert body(response).startswith(b"AccountId,AccountName,Purpose,Id,")


def test_csv_without_an_operation_name_is_no_download() -> None:
    response = reply(CSV, operation_name=None).body(INFO)
    assert "content-disposition" not in response.headers
    assert response.headers["content-type"] == "text/csv"


def test_csv_error_body_is_encoded_so_it_is_a_download_too() -> None:
    response = reply(CSV).error(STATUS, 404)
    assert response.status_code == 404
    assert response.headers["content-disposition"] == "attachment;filename=GetAISession.csv"
    assert response.body == CSV.encode(ErrorResponse(response_status=STATUS))


def test_declared_type_reaches_codecs_that_take_it() -> None:
    declared = ListResponse[AISessionInfo]
    empty: ListResponse[AISessionInfo] = ListResponse()
    with_type = reply(XML).body(empty, declared_type=declared)
    assert with_type.body == XML.encode(empty, type=declared)
    assert b"<ListResponseOfAISessionInfo" in with_type.body
    assert with_type.body != reply(XML).body(empty).body
    # A plugin codec with the one-argument surface still works.
    plugin = reply(MSGPACK).body(empty, declared_type=declared)
    assert msgspec.msgpack.decode(plugin.body) == {
        "items": [],
        "totalCount": 0,
        "totalPages": 0,
        "hasMorePages": False,
    }


# --- JSONP ---


def test_jsonp_wraps_json_as_javascript() -> None:
    response = reply(JSON, callback="cb").body(INFO)
    assert response.body == b"cb(" + JSON.encode(INFO) + b")"
    assert response.headers["content-type"] == JSONP_CONTENT_TYPE == "text/javascript"
    assert response.headers["vary"] == "Accept"
    assert header_names(response).count("content-type") == 1


def test_jsonp_is_always_200_even_for_errors() -> None:
    created = reply(JSON, callback="cb").body(INFO, status_code=201)
    assert created.status_code == 200
    error = reply(JSON, callback="cb").error(STATUS, 404, headers={"Allow": "GET, POST"})
    assert error.status_code == 200
    assert error.headers["allow"] == "GET, POST"
    assert error.headers["content-type"] == "text/javascript"
    assert body(error).startswith(b"cb(") and body(error).endswith(b")")
    assert json.loads(body(error)[3:-1]) == {
        "responseStatus": {
            "errorCode": "NotFound",
            "message": "Session 's1' not found",
            "errors": [{"errorCode": "E", "fieldName": "f", "message": "m"}],
        }
    }


@pytest.mark.parametrize("codec", [XML, JSV, CSV, MSGPACK], ids=lambda c: c.format)
def test_jsonp_wraps_only_json(codec: Codec) -> None:
    r = reply(codec, callback="cb")
    assert r.callback is None
    response = r.error(STATUS, 404)
    assert response.status_code == 404
    assert not body(response).startswith(b"cb(")
    assert response.headers["content-type"] == codec.content_type


def test_jsonp_callback_is_sanitized_in_the_body() -> None:
    r = reply(JSON, callback="alert(document.cookie);//")
    assert r.callback == "alertdocument.cookie"
    assert body(reply(JSON, callback="alert(document.cookie);//").body(INFO)).startswith(b"alertdocument.cookie({")


@pytest.mark.parametrize("callback", ["", "();<>", "\u00e9\u00e8"])
def test_a_callback_with_nothing_left_is_no_jsonp(callback: str) -> None:
    r = reply(JSON, callback=callback)
    assert not r.callback
    response = r.error(STATUS, 404)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.body == JSON.encode(ErrorResponse(response_status=STATUS))


def test_jsonp_outranks_debug() -> None:
    response = reply(JSON, callback="cb", debug=True).body(INFO)
    assert response.headers["content-type"] == "text/javascript"
    assert response.body == b"cb(" + JSON.encode(INFO) + b")"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("cb", "cb"),
        ("jQuery123_456", "jQuery123_456"),
        ("a.b$c[0]", "a.b$c[0]"),
        ("alert(1)", "alert1"),
        ("x</script><script>y", "xscriptscripty"),
        ("a b\tc\nd", "abcd"),
        ("f'\"`;-+=,", "f"),
        ("caf\u00e9", "caf"),
        ("", ""),
    ],
)
def test_sanitize_callback_keeps_only_identifier_characters(raw: str, clean: str) -> None:
    assert sanitize_callback(raw) == clean


# --- ?debug ---


def test_debug_pretty_prints_jsv_as_text_plain() -> None:
    response = reply(JSV, debug=True).body(INFO, status_code=201)
    assert response.status_code == 201
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert body(response).decode("utf-8") == JSV.pretty(JSV.encode(INFO))
    assert response.body == b"{\n\taccountId: a1,\n\tpurpose: sales,\n\tid: s1\n}"
    assert response.headers["vary"] == "Accept"
    assert header_names(response).count("content-type") == 1


def test_debug_pretty_prints_jsv_errors_too() -> None:
    response = reply(JSV, debug=True).error(STATUS, 404)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert body(response).startswith(b"{\n\tresponseStatus: ")


@pytest.mark.parametrize("codec", [JSON, XML, CSV, MSGPACK], ids=lambda c: c.format)
def test_debug_leaves_codecs_without_a_pretty_form_alone(codec: Codec) -> None:
    plain = reply(codec).body(INFO)
    debug = reply(codec, debug=True).body(INFO)
    assert debug.body == plain.body
    assert debug.headers["content-type"] == codec.content_type
    assert debug.headers.get("content-disposition") == plain.headers.get("content-disposition")


# --- no_content ---


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.format)
def test_no_content_is_an_empty_204_without_content_type_or_download(codec: Codec) -> None:
    response = reply(codec).no_content(headers={"X-AutoBatch-Completed": "2"})
    assert (response.status_code, response.body) == (204, b"")
    assert response.headers["vary"] == "Accept"
    assert response.headers["x-autobatch-completed"] == "2"
    assert "content-type" not in response.headers
    assert "content-disposition" not in response.headers


def test_no_content_under_jsonp_stays_204() -> None:
    response = reply(JSON, callback="cb").no_content()
    assert (response.status_code, response.body) == (204, b"")


# --- unauthorized / forbidden ---


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.format)
def test_unauthorized_is_an_empty_401_with_the_challenge(codec: Codec) -> None:
    response = reply(codec).unauthorized()
    assert (response.status_code, response.body) == (401, b"")
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE == 'credentials realm="/auth/credentials"'
    assert response.headers["vary"] == "Accept"
    assert "content-type" not in response.headers
    assert "content-disposition" not in response.headers


def test_unauthorized_under_jsonp_is_a_wrapped_error_without_challenge() -> None:
    response = reply(JSON, callback="cb").unauthorized()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript"
    assert "www-authenticate" not in response.headers
    assert (
        response.body
        == b'cb({"responseStatus":{"errorCode":"Unauthorized","message":"Not Authenticated","errors":[]}})'
    )


def test_unauthorized_with_a_callback_on_xml_is_the_plain_401() -> None:
    response = reply(XML, callback="cb").unauthorized()
    assert (response.status_code, response.body) == (401, b"")
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.format)
def test_forbidden_is_text_plain_naming_the_request(codec: Codec) -> None:
    response = reply(codec, method="DELETE", path="/ai/sessions/s1", query_string="a=1&b=2").forbidden(
        "SystemAdministrator"
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.body == (
        b"Forbidden\nRequest.HttpMethod: DELETE\nRequest.PathInfo: /ai/sessions/s1\nRequest.QueryString: a=1&b=2\n"
    )
    assert response.headers["vary"] == "Accept"
    assert "www-authenticate" not in response.headers
    assert "content-disposition" not in response.headers


def test_forbidden_under_jsonp_is_a_wrapped_error() -> None:
    response = reply(JSON, callback="cb").forbidden("SystemAdministrator")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript"
    assert response.body == b'cb({"responseStatus":{"errorCode":"Forbidden","message":"Invalid Role","errors":[]}})'


# --- error ---


@pytest.mark.parametrize("codec", [JSON, XML, JSV, MSGPACK], ids=lambda c: c.format)
def test_error_is_an_encoded_error_response(codec: Codec) -> None:
    response = reply(codec).error(STATUS, 400, headers={"Allow": "GET"})
    assert response.status_code == 400
    assert response.body == codec.encode(ErrorResponse(response_status=STATUS))
    assert response.headers["content-type"] == codec.content_type
    assert response.headers["allow"] == "GET"


# --- cookies ---


def test_cookies_are_set_http_only_lax_on_the_root_path() -> None:
    cookies = [Cookie("ss-id", "abc"), Cookie("ss-pid", "abc", max_age=3600)]
    for response in (reply(JSON).body(INFO, cookies=cookies), reply(JSON).no_content(cookies=cookies)):
        assert response.headers.getlist("set-cookie") == [
            "ss-id=abc; HttpOnly; Path=/; SameSite=lax",
            "ss-pid=abc; HttpOnly; Max-Age=3600; Path=/; SameSite=lax",
        ]


def test_cookies_with_max_age_zero_are_deleted() -> None:
    response = reply(JSON).body(INFO, cookies=[Cookie("ss-id", "ignored", max_age=0)])
    [header] = response.headers.getlist("set-cookie")
    assert header.startswith('ss-id=""; expires=')
    assert "ignored" not in header
    for part in ("Max-Age=0", "Path=/", "HttpOnly", "SameSite=lax"):
        assert part in header.split("; ")


def test_cookies_survive_jsonp_and_debug() -> None:
    cookie = [Cookie("ss-opt", "perm", max_age=10)]
    jsonp = reply(JSON, callback="cb").body(INFO, cookies=cookie)
    pretty = reply(JSV, debug=True).body(INFO, cookies=cookie)
    expected = ["ss-opt=perm; HttpOnly; Max-Age=10; Path=/; SameSite=lax"]
    assert jsonp.headers.getlist("set-cookie") == pretty.headers.getlist("set-cookie") == expected


def test_no_cookies_no_set_cookie() -> None:
    assert "set-cookie" not in reply(JSON).body(INFO).headers
    assert "set-cookie" not in reply(JSON).unauthorized().headers


class _DeclaringPlugin:
    """A plugin codec that declares capabilities the way the built-in ones do."""

    format = "tsv"
    media_type = "text/tab-separated-values"
    media_types = ("text/tab-separated-values",)
    content_type = "text/tab-separated-values"
    capabilities = Capabilities(download=True, jsonp=True)

    def encode(self, obj: object) -> bytes:
        return b"x\ty\n"

    def decode(self, data: bytes, type: type[object]) -> object:
        return type()


def test_a_plugin_declares_capabilities_like_a_built_in_codec() -> None:
    plugin = _DeclaringPlugin()
    assert isinstance(plugin, Codec)
    response = reply(plugin).body(INFO)
    assert response.headers["content-disposition"] == "attachment;filename=GetAISession.tsv"
    wrapped = reply(plugin, callback="cb").body(INFO)
    assert body(wrapped) == b"cb(x\ty\n)"


def test_a_codec_without_capabilities_has_none() -> None:
    assert capabilities_of(MSGPACK) == Capabilities()
    assert capabilities_of(CSV).download and capabilities_of(JSON).jsonp and capabilities_of(JSV).pretty
    assert capabilities_of(XML).typed_encode and not capabilities_of(XML).download
