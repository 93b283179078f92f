"""Shared reading of msgspec type information."""

from __future__ import annotations

from msgspec import inspect as mi

__all__ = ["unwrap"]


def unwrap(info: mi.Type) -> mi.Type:
    """The type under its metadata, and under `Optional`: `X | None` reads as `X`."""
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(options) == 1:
            return unwrap(options[0])
    return info
