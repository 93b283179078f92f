"""The two exceptions pyjsv raises on purpose."""

from __future__ import annotations

__all__ = ["DecodeError", "EncodeError"]


class DecodeError(ValueError):
    """Text that is not valid JSV (or CSV), or that does not fit the requested type.

    `pos` is the character offset where the problem was found (None for type errors found after
    parsing); `path` names the member, as `$.items[0].purpose`, when one is known.
    """

    def __init__(self, message: str, *, pos: int | None = None, path: str | None = None) -> None:
        detail = message
        if path:
            detail = f"{detail} (at {path})"
        if pos is not None:
            detail = f"{detail} at position {pos}"
        super().__init__(detail)
        self.message = message
        self.pos = pos
        self.path = path


class EncodeError(TypeError):
    """A value of a type pyjsv does not know how to write."""
