"""schemathesis hooks for tests/e2e/test_types_openapi.py (loaded through SCHEMATHESIS_HOOKS).

schemathesis has no encoder for two of the media types the document lists. It cannot write
`application/jsv` at all, so it skips those bodies. It sends `text/csv` bodies as plain text (the
repr of the value), which the gateway rightly refuses. These serializers write what it generates
in those formats with pyjsv, the gateway's own JSV and CSV library, so that those bodies are
exercised and a schema-valid one can be required to succeed.

For `application/xml` schemathesis writes members in the order it generated them, but
DataContractSerializer reads them in DataMember order and skips one that comes late. The document
lists the properties in that order; the XML serializer puts generated members in it before handing
them to schemathesis's own XML writer, which takes each element's name from the document.
"""

from __future__ import annotations

import json
from typing import Any

import pyjsv
import schemathesis
from schemathesis.transport.serialization import serialize_xml


def _fallback(value: Any) -> bytes:
    # Negative mode generates any JSON value. What pyjsv cannot write still goes on the wire
    # as some bytes: the server must answer those without a 5xx too.
    return json.dumps(value).encode("utf-8")


@schemathesis.serializer("application/jsv")
def jsv(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    try:
        return pyjsv.encode(value)
    except pyjsv.EncodeError:
        return _fallback(value)


@schemathesis.serializer("text/csv")
def csv(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    # Extra members the schema allows go along as extra columns, which the gateway must ignore.
    try:
        return pyjsv.csv.dumps(value).encode("utf-8")
    except pyjsv.EncodeError:
        return _fallback(value)


def _in_member_order(case: Any, value: Any) -> Any:
    body = case.operation.get_body_for_media_type(case.media_type)
    schema = body.optimized_schema if body is not None else None
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = case.operation.schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    order = list(schema.get("properties", {}))
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(value.items(), key=lambda item: rank.get(item[0], len(order))))


@schemathesis.serializer("application/xml")
def xml(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    data = serialize_xml(ctx.case, _in_member_order(ctx.case, value))["data"]
    return data if isinstance(data, bytes) else str(data).encode("utf-8")
