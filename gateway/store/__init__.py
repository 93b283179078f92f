"""Storage: the protocols the service depends on, the SQLite store, and `open_store(url)`, which
also opens the PostgreSQL store (`gateway.store.postgres`, imported only when asked for)."""

from .base import (
    SORTABLE_FIELDS,
    AccountRecord,
    AdminStore,
    ApiKeyRecord,
    DuplicateName,
    IdentityStore,
    SessionPage,
    SessionQuery,
    SessionRecord,
    SessionStore,
    Store,
    StoreError,
    StoreUnavailable,
    UnknownAccount,
    UnknownApiKey,
    UnknownUser,
    UserRecord,
    UserSummary,
    VersionMatch,
)
from .sqlite import SqliteStore
from .urls import is_postgres_url, open_store, sqlite_path

__all__ = [
    "SORTABLE_FIELDS",
    "AccountRecord",
    "AdminStore",
    "ApiKeyRecord",
    "DuplicateName",
    "IdentityStore",
    "SessionPage",
    "SessionQuery",
    "SessionRecord",
    "SessionStore",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "UnknownAccount",
    "UnknownApiKey",
    "UnknownUser",
    "UserRecord",
    "UserSummary",
    "VersionMatch",
    "is_postgres_url",
    "open_store",
    "sqlite_path",
]
