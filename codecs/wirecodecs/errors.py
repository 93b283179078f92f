"""The errors a codec raises: one small tree, so callers catch one base class."""

from __future__ import annotations

__all__ = ["CodecError", "DecodeError", "EncodeError", "FieldError", "ValidationError"]


class CodecError(ValueError):
    """Base of every codec error."""


class EncodeError(CodecError):
    """A value the format cannot represent."""


class DecodeError(CodecError):
    """The document is not well-formed in the codec's format (or too large, or too deep)."""


class FieldError:
    """One member that did not convert: its wire path (`countPerPage`, `items[1].id`) and why."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    @property
    def field_name(self) -> str:
        """The top-level member the error is about (`items` for `items[1].id`)."""
        head = self.path.split(".", 1)[0]
        return head.split("[", 1)[0]

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.message!r})"


class ValidationError(DecodeError):
    """A well-formed document whose values do not fit the target type."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message)
        self.errors = errors
