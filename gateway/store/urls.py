"""Database URLs: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, and
`postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME` (or `postgres://…`)."""

from __future__ import annotations

from .base import Store, StoreUnavailable
from .sqlite import SqliteStore

__all__ = ["POSTGRES_SCHEMES", "is_postgres_url", "open_store", "sqlite_path"]

_SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_POSTGRES_MISSING = "a postgresql:// database needs the PostgreSQL extra: pip install 'evo-gateway[postgres]'"


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str) -> str:
    """The file path a `sqlite:///` URL names; the fourth slash of an absolute path stays."""
    if not url.startswith(_SQLITE_PREFIX):
        scheme = url.split(":", 1)[0] if ":" in url else url
        raise StoreUnavailable(
            f"unsupported database URL {url!r}: scheme {scheme!r} is not supported (use sqlite:/// or postgresql://)"
        )
    path = url[len(_SQLITE_PREFIX) :]
    if not path:
        raise StoreUnavailable(f"database URL {url!r} names no file")
    return path


def open_store(url: str, *, owner: bool = False) -> Store:
    """Open (creating and migrating if needed) the store a URL names. `owner` is SqliteStore's
    single-server mode; a PostgreSQL store is shared by design and has no owner."""
    if is_postgres_url(url):
        try:
            from .postgres import PostgresStore
        except ImportError:
            raise StoreUnavailable(_POSTGRES_MISSING) from None
        return PostgresStore(url)
    return SqliteStore(sqlite_path(url), owner=owner)
