"""Editing the raw header list of an ASGI response start message."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["RawHeaders", "add_vary", "header_value", "without"]

RawHeaders = list[tuple[bytes, bytes]]


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of `name` (lower case), if present."""
    return next((value for key, value in headers if key.lower() == name), None)


def without(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> RawHeaders:
    return [(key, value) for key, value in headers if key.lower() != name]


def add_vary(headers: RawHeaders, token: bytes) -> RawHeaders:
    """`headers` with `token` in their one `Vary` field (merged into an existing one, once)."""
    for index, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            listed = {part.strip().lower() for part in value.split(b",")}
            if token.lower() in listed or b"*" in listed:
                return headers
            return [*headers[:index], (key, value + b", " + token), *headers[index + 1 :]]
    return [*headers, (b"vary", token)]
