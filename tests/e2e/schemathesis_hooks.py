"""schemathesis hooks for tests/e2e/test_types_openapi.py (loaded through SCHEMATHESIS_HOOKS).

schemathesis has no encoder for two of the media types the document lists. It cannot write
`application/jsv` at all, so it skips those bodies. It sends `text/csv` bodies as plain text (the
repr of the value), which the gateway rightly refuses. These serializers write what it generates
in those formats with pyjsv, the gateway's own JSV and CSV library, so that those bodies are
exercised and a schema-valid one can be required to succeed.
"""

from __future__ import annotations

import json
from typing import Any

import pyjsv
import schemathesis


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
