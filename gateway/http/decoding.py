"""Request bodies sent compressed (`Content-Encoding`), decoded as they arrive and bounded.

ServiceStack decompresses every request body whose `Content-Encoding` it has a compressor for and
reads any other body as sent. Here the decoded size is held to the same limit as the raw one, and
checked on every piece: a small body that inflates past the limit (a zip bomb) is refused once
`limit` bytes have come out, never inflated in full.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli

from ..errors import PayloadTooLarge, SerializationError
from .codings import BROTLI, GZIP, GZIP_WBITS, coding_of

__all__ = ["BodyDecoder", "body_decoder"]


class BodyDecoder(Protocol):
    def feed(self, data: bytes) -> bytes:
        """The decoded bytes `data` completes; PayloadTooLarge past the limit, SerializationError
        when the stream is not valid in its coding."""
        ...

    def finish(self) -> bytes:
        """The rest, once the body has ended; SerializationError if the stream stopped short."""
        ...


def body_decoder(content_encoding: str | None, limit: int) -> BodyDecoder | None:
    """A decoder for the body's coding, or None when the body is read as sent."""
    coding = coding_of(content_encoding)
    if coding is None:
        return None
    if coding == BROTLI:
        return _BrotliDecoder(limit)
    return _ZlibDecoder(coding, limit)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes once decompressed")


def _corrupt(coding: str, why: str) -> SerializationError:
    return SerializationError(f"Could not decompress the {coding} request body: {why}")


def _is_zlib_header(head: bytes) -> bool:
    # RFC 1950 2.2: method 8 (deflate) in CMF's low nibble, and CMF*256+FLG a multiple of 31.
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _ZlibDecoder:
    """gzip (members one after another, as RFC 1952 allows) or deflate, zlib-wrapped or raw."""

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._size = 0
        self._started = False
        #: deflate's first bytes, until there are two to tell zlib from raw deflate by.
        self._head = b""
        self._inflater = zlib.decompressobj(GZIP_WBITS) if coding == GZIP else None

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._started = True
        inflater = self._inflater
        if inflater is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            self._head = b""
            inflater = self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS)
        pieces: list[bytes] = []
        while data:
            if inflater.eof:
                if self._coding != GZIP:
                    raise _corrupt(self._coding, "data follows the end of the compressed stream")
                inflater = self._inflater = zlib.decompressobj(GZIP_WBITS)  # the next member
            try:
                # At most one byte past the limit: enough to know it is exceeded.
                piece = inflater.decompress(data, self._limit - self._size + 1)
            except zlib.error as exc:
                raise _corrupt(self._coding, str(exc)) from None
            self._size += len(piece)
            if self._size > self._limit:
                raise _too_large(self._limit)
            pieces.append(piece)
            data = inflater.unconsumed_tail or (inflater.unused_data if inflater.eof else b"")
        return b"".join(pieces)

    def finish(self) -> bytes:
        if self._head:  # a deflate body of one byte: never a whole stream
            raise _corrupt(self._coding, "the stream ends before it is complete")
        if self._started and (self._inflater is None or not self._inflater.eof):
            raise _corrupt(self._coding, "the stream ends before it is complete")
        return b""


class _BrotliDecoder:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._started = False
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._started = True
        decompressor = self._decompressor
        pieces: list[bytes] = []
        try:
            while True:
                # Brotli's output buffer stops growing at the limit (give or take its block size);
                # what is left comes from further calls with no new input.
                piece = bytes(decompressor.process(data, output_buffer_limit=self._limit - self._size + 1))
                data = b""
                self._size += len(piece)
                if self._size > self._limit:
                    raise _too_large(self._limit)
                pieces.append(piece)
                if decompressor.can_accept_more_data():
                    break
        except brotli.error:
            raise _corrupt(BROTLI, "not a valid brotli stream") from None
        return b"".join(pieces)

    def finish(self) -> bytes:
        if self._started and not self._decompressor.is_finished():
            raise _corrupt(BROTLI, "the stream ends before it is complete")
        return b""
