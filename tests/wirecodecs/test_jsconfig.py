"""`?jsconfig=` parsing as JsConfig.CreateScope reads it, ServiceStack's IndentJson, and the view."""

from __future__ import annotations

import msgspec
import pytest
from wirecodecs import JsConfig, JsonCodec, parse_jsconfig
from wirecodecs.jsconfig import TextCase, indent_json, member_name, wire_view

from gateway.dtos import ListResponse, ResponseStatus


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inv", JsConfig(include_null_values=True)),
        ("IncludeNullValues:TRUE", JsConfig(include_null_values=True)),
        ("inv:yes", JsConfig(include_null_values=True)),  # anything but false/0 is true
        ("inv:0", JsConfig()),
        ("inv,inv:false", JsConfig()),  # the last item wins
        ("edv,pp", JsConfig(exclude_default_values=True, indent=True)),
        ("tc:sc", JsConfig(text_case="snake")),
        ("tc:pc,eccn", JsConfig(text_case="camel")),
        ("epcn,eccn:false", JsConfig(text_case="pascal")),  # a false flag keeps the case
        ("tc:unknown", JsConfig()),
        ("dh:iso8601,tsh:df,nosuch", JsConfig()),  # known to ServiceStack, not to these codecs
        ("", JsConfig()),
        # Items are not trimmed, as CreateScope does not trim them.
        (" inv", JsConfig()),
        ("inv: false", JsConfig(include_null_values=True)),
    ],
)
def test_parse(text: str, expected: JsConfig) -> None:
    assert parse_jsconfig(text) == expected


@pytest.mark.parametrize(
    ("camel", "case", "name"),
    [("accountId", "snake", "account_id"), ("x2Factor", "snake", "x2_factor"), ("id", "pascal", "Id")],
)
def test_member_names(camel: str, case: TextCase, name: str) -> None:
    assert member_name(camel, case) == name


def test_indent_json_leaves_strings_alone() -> None:
    text = '{"a":"x\\"{,:}\\\\","b":[1,{}]}'
    assert indent_json(text) == (
        '{\n    "a": "x\\"{,:}\\\\",\n    "b": [\n        1,\n        {\n            \n        }\n    ]\n}'
    )
    assert msgspec.json.decode(indent_json(text)) == msgspec.json.decode(text)


def test_view_keeps_dictionary_keys_and_enum_defaults() -> None:
    status = ResponseStatus(error_code="E", meta={"someKey": "v"})
    assert wire_view(status, JsConfig(text_case="pascal", exclude_default_values=True)) == {
        "ErrorCode": "E",
        "Errors": [],
        "Meta": {"someKey": "v"},
    }


def test_json_default_settings_take_the_fast_path_with_the_same_bytes() -> None:
    page = ListResponse[ResponseStatus](items=[ResponseStatus(message="m")], total_count=1)
    codec = JsonCodec()
    assert codec.encode(page, jsconfig=JsConfig()) == codec.encode(page)
    assert codec.encode(page, jsconfig=JsConfig(text_case="camel")) == codec.encode(page)


class OneArgumentCodec:
    """A plugin that declares nothing: it must be called as `encode(obj)` whatever the request."""

    format = "plain"
    media_type = media_types = content_type = "text/x-plain"

    def encode(self, obj: object) -> bytes:
        return repr(obj).encode()

    def decode(self, data: bytes, type: type) -> object:
        return type()


def test_encode_declared_passes_only_what_a_codec_declares() -> None:
    from wirecodecs import Page, encode_declared

    plugin = OneArgumentCodec()
    snake = JsConfig(text_case="snake")
    assert encode_declared(plugin, 1, int, jsconfig=snake, page=Page("Op")) == b"1"  # type: ignore[arg-type]
    status = ResponseStatus(error_code="E")
    assert encode_declared(JsonCodec(), status, ResponseStatus, jsconfig=snake) == b'{"error_code":"E","errors":[]}'
    assert encode_declared(JsonCodec(), status, ResponseStatus, jsconfig=JsConfig()) == JsonCodec().encode(status)
