"""Storage: the protocols the service depends on, the SQLite store, and `open_store(url)`."""

from .base import (
    SORTABLE_FIELDS,
    AccountRecord,
    DuplicateName,
    IdentityStore,
    SessionPage,
    SessionQuery,
    SessionRecord,
    SessionStore,
    StoreError,
    StoreUnavailable,
    UnknownAccount,
    UnknownUser,
    UserRecord,
)
from .sqlite import SqliteStore
from .urls import open_store, sqlite_path

__all__ = [
    "SORTABLE_FIELDS",
    "AccountRecord",
    "DuplicateName",
    "IdentityStore",
    "SessionPage",
    "SessionQuery",
    "SessionRecord",
    "SessionStore",
    "SqliteStore",
    "StoreError",
    "StoreUnavailable",
    "UnknownAccount",
    "UnknownUser",
    "UserRecord",
    "open_store",
    "sqlite_path",
]
