"""Database URLs: `sqlite:///relative/path.db` and `sqlite:////absolute/path.db`."""

from __future__ import annotations

from .base import StoreUnavailable
from .sqlite import SqliteStore

__all__ = ["open_store", "sqlite_path"]

_SQLITE_PREFIX = "sqlite:///"


def sqlite_path(url: str) -> str:
    """The file path a `sqlite:///` URL names; the fourth slash of an absolute path stays."""
    if not url.startswith(_SQLITE_PREFIX):
        scheme = url.split(":", 1)[0] if ":" in url else url
        raise StoreUnavailable(f"unsupported database URL {url!r}: scheme {scheme!r} is not supported (use sqlite:///)")
    path = url[len(_SQLITE_PREFIX) :]
    if not path:
        raise StoreUnavailable(f"database URL {url!r} names no file")
    return path


def open_store(url: str, *, owner: bool = False) -> SqliteStore:
    """Open (creating and migrating if needed) the store a URL names; `owner` as SqliteStore's."""
    return SqliteStore(sqlite_path(url), owner=owner)
