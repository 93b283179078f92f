"""The content codings the gateway reads and writes (RFC 9110 8.4.1): gzip, deflate and br.

`deflate` is the zlib format (RFC 1950) as HTTP defines it and as ServiceStack writes it on .NET 6+;
on reading, a raw deflate stream (what .NET Framework's DeflateStream sends) is accepted too.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import brotli

__all__ = ["BROTLI", "CODINGS", "DEFLATE", "GZIP", "GZIP_WBITS", "Packer", "coding_of", "compress"]

GZIP: Final = "gzip"
DEFLATE: Final = "deflate"
BROTLI: Final = "br"
#: Every coding the gateway reads and writes, in ServiceStack's order of preference for responses
#: (`GetCompressionType`: br, then deflate, then gzip).
CODINGS: Final = (BROTLI, DEFLATE, GZIP)

#: Levels for answers made on the fly: brotli's default (11) is an offline setting, ~50x slower
#: than 5 for a few percent; zlib's 6 is its own default.
_BROTLI_QUALITY = 5
_ZLIB_LEVEL = 6
GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


def coding_of(content_encoding: str | None) -> str | None:
    """The coding a `Content-Encoding` value names, if the gateway knows it.

    ServiceStack looks the header's whole value up among its compressors, so an unknown coding (or
    a list of two) leaves the body as sent. Coding names are case-insensitive (RFC 9110 8.4.1),
    so `GZIP` is gzip here (ServiceStack's lookup is case-sensitive: a deliberate difference).
    """
    if not content_encoding:
        return None
    name = content_encoding.strip().lower()
    return name if name in CODINGS else None


class Packer:
    """Compresses a body handed over in pieces, for answers sent in more than one message."""

    def __init__(self, coding: str) -> None:
        self._brotli: Any = brotli.Compressor(quality=_BROTLI_QUALITY) if coding == BROTLI else None
        wbits = GZIP_WBITS if coding == GZIP else zlib.MAX_WBITS
        self._zlib = zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, wbits) if self._brotli is None else None

    def pack(self, data: bytes) -> bytes:
        if self._zlib is not None:
            return self._zlib.compress(data)
        return bytes(self._brotli.process(data))

    def finish(self) -> bytes:
        if self._zlib is not None:
            return self._zlib.flush()
        return bytes(self._brotli.finish())


def compress(body: bytes, coding: str) -> bytes:
    """`body` in one of CODINGS, in one piece."""
    packer = Packer(coding)
    return packer.pack(body) + packer.finish()
