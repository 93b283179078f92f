"""Reading a request body: bounded in size, and forms parsed into fields."""

from __future__ import annotations

from urllib.parse import parse_qsl

from python_multipart.multipart import parse_options_header
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message
from wirecodecs import media_type_essence

from .binding import flatten_params
from .errors import PayloadTooLarge, SerializationError
from .http.decoding import body_decoder
from .request import ParsedRequest

__all__ = ["FORM_MEDIA_TYPES", "is_form", "read_body", "read_form"]

FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form(content_type: str | None) -> bool:
    return media_type_essence(content_type) in FORM_MEDIA_TYPES


async def read_body(request: ParsedRequest, limit: int) -> bytes:
    """The whole body, decompressed by its `Content-Encoding`, or PayloadTooLarge as soon as it is
    known to exceed `limit` bytes, as sent or once decompressed."""
    declared = request.headers.get("content-length", "")
    if not declared and "transfer-encoding" not in request.headers and request.http1:
        return b""  # no framing headers: HTTP/1.x says there is no body (RFC 9112 6.3)
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
    decoder = body_decoder(request.headers.get("content-encoding"), limit)
    chunks: list[bytes] = []
    size = 0
    # The server's messages read directly, as Starlette's `Request.stream` reads them (without its
    # async generator, a measurable part of a small body's cost).
    receive = request.request.receive
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.disconnect":
            raise ClientDisconnect()
        if kind != "http.request":
            continue
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
            chunks.append(chunk if decoder is None else decoder.feed(chunk))
        if not message.get("more_body", False):
            break
    if decoder is not None:
        chunks.append(decoder.finish())
    return b"".join(chunks)


async def read_form(request: ParsedRequest, body: bytes) -> dict[str, str]:
    """The fields of a urlencoded or multipart body already read (and size-checked) as `body`."""
    if media_type_essence(request.content_type) == "application/x-www-form-urlencoded":
        try:
            # Browsers send the page's charset; ServiceStack reads UTF-8, raw or percent-encoded.
            text = body.decode("utf-8")
            return flatten_params(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            raise SerializationError("Could not read the form body: it is not UTF-8") from None

    # Starlette's parser takes a body cut off before its closing delimiter as complete (the torn
    # part just vanishes); a request that lost its end must not bind half its fields.
    boundary = _boundary(request.content_type or "")
    if boundary and b"--" + boundary + b"--" not in body:
        raise SerializationError("Could not read the multipart/form-data body: it has no closing boundary")
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.request.scope, replay).form()
    except MultiPartException as exc:  # no boundary, a torn part, too many fields or files
        raise SerializationError(f"Could not read the multipart/form-data body: {exc.message}") from None
    try:
        return flatten_params((k, v) for k, v in form.multi_items() if isinstance(v, str))
    finally:
        await form.close()


def _boundary(content_type: str) -> bytes | None:
    # The same parser Starlette's form parser reads the boundary with, so the two always agree.
    _, params = parse_options_header(content_type)
    return params.get(b"boundary") or None
