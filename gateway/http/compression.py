"""Response compression, opt-in (`serve --compress`) as in ServiceStack, by `Accept-Encoding`.

ServiceStack compresses an answer when asked to (`[CompressResponse]`, cached results) with the
first of br, deflate, gzip the `Accept-Encoding` header names. Here q-values count too (RFC 9110
12.5.3): the coding with the highest q wins, ServiceStack's order breaks ties, `q=0` refuses one,
`*` stands for the ones not named, and `identity` alone (or nothing acceptable) means as is.
ServiceStack's exception for Firefox user agents (no br) is not copied: current Firefox reads br.

An answer is left as is when it has no body to compress (204, 304, 1xx, an empty body), is partial
(206), is already encoded, is a media type that is compressed already, is shorter than the minimum
size, or would not get smaller. A HEAD answer gets the headers its GET would (the body Starlette
computes for it is compressed to size it; the server never sends it). Every answer carries
`Vary: Accept-Encoding`, since whether it is compressed depends on that header.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .codings import CODINGS, GZIP, Packer, compress
from .headers import RawHeaders, add_vary, header_value, without

__all__ = ["DEFAULT_MIN_BYTES", "Compress", "CompressionPolicy", "choose_coding"]

#: Below this a body stays as is: the coding's header and framing outweigh what it saves.
DEFAULT_MIN_BYTES = 1024

_NO_BODY_STATUSES = frozenset({204, 206, 304})
_COMPRESSED_PREFIXES = (b"image/", b"audio/", b"video/", b"font/woff")
_COMPRESSED_TYPES = frozenset(
    {b"application/zip", b"application/gzip", b"application/x-gzip", b"application/zstd", b"application/x-brotli"}
)


@dataclass(frozen=True)
class CompressionPolicy:
    min_bytes: int = DEFAULT_MIN_BYTES


def choose_coding(accept_encoding: str | None) -> str | None:
    """The coding to answer in for this `Accept-Encoding` value; None for as is."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    any_other: float | None = None
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = _q_value(params)
        if name == "*":
            any_other = weight
        else:
            # x-gzip is gzip (RFC 9110 8.4.1.3); a coding named twice keeps its first weight.
            weights.setdefault(GZIP if name == "x-gzip" else name, weight)
    default = 0.0 if any_other is None else any_other
    # sorted() is stable: codings of equal weight keep ServiceStack's order.
    best = sorted(CODINGS, key=lambda coding: weights.get(coding, default), reverse=True)[0]
    return best if weights.get(best, default) > 0 else None


def _q_value(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                return 0.0  # unreadable: not a preference to act on
            return weight if 0 <= weight <= 1 and not math.isnan(weight) else 0.0
    return 1.0


def _compressible(status: int, headers: RawHeaders) -> bool:
    if status < 200 or status in _NO_BODY_STATUSES or header_value(headers, b"content-encoding") is not None:
        return False
    media_type = (header_value(headers, b"content-type") or b"").split(b";")[0].strip().lower()
    return not (media_type.startswith(_COMPRESSED_PREFIXES) or media_type in _COMPRESSED_TYPES)


class Compress:
    """The ASGI layer applying a CompressionPolicy to every HTTP answer."""

    def __init__(self, app: ASGIApp, policy: CompressionPolicy) -> None:
        self._app = app
        self._min_bytes = policy.min_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"accept-encoding"]
        coding = choose_coding(", ".join(values)) if values else None
        #: The start message, held until the first body message shows whether to compress.
        held: Message | None = None
        #: Set once a body in several messages is being compressed.
        packer: Packer | None = None

        async def sender(message: Message) -> None:
            nonlocal held, packer
            if message["type"] == "http.response.start":
                message = {**message, "headers": add_vary(list(message.get("headers", ())), b"Accept-Encoding")}
                if coding is not None and _compressible(message["status"], message["headers"]):
                    held = message
                else:
                    await send(message)
            elif message["type"] != "http.response.body":
                await send(message)
            elif packer is not None:
                await _send_packed(send, packer, message)
            elif held is None:  # an answer left as is
                await send(message)
            else:
                assert coding is not None
                start, held = held, None
                packer = await self._first_body(send, start, message, coding)

        await self._app(scope, receive, sender)

    async def _first_body(self, send: Send, start: Message, message: Message, coding: str) -> Packer | None:
        """Send the held start and the first body message, compressed or not; the packer for the
        messages still to come when the body is streamed compressed."""
        body: bytes = message.get("body", b"")
        headers: RawHeaders = without(start["headers"], b"content-length")
        headers.append((b"content-encoding", coding.encode()))
        if not message.get("more_body", False):
            packed = compress(body, coding) if body and len(body) >= self._min_bytes else None
            if packed is None or len(packed) >= len(body):
                await send(start)
                await send(message)
            else:
                headers.append((b"content-length", b"%d" % len(packed)))
                await send({**start, "headers": headers})
                await send({**message, "body": packed})
            return None
        # A body in several messages is compressed as it goes, sent chunked; a declared length
        # under the minimum still stays as is.
        declared = header_value(start["headers"], b"content-length")
        if declared is not None and declared.isdigit() and int(declared) < self._min_bytes:
            await send(start)
            await send(message)
            return None
        packer = Packer(coding)
        await send({**start, "headers": headers})
        await _send_packed(send, packer, message)
        return packer


async def _send_packed(send: Send, packer: Packer, message: Message) -> None:
    more = bool(message.get("more_body", False))
    data = packer.pack(message.get("body", b""))
    if not more:
        data += packer.finish()
    await send({"type": "http.response.body", "body": data, "more_body": more})
