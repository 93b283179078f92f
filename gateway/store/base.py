"""What the service needs from storage: the `SessionStore`, `IdentityStore` and `AdminStore`
protocols, and `Store`, all three.

Stores know nothing of HTTP or of wire DTOs; they speak in the records below. The protocol-level
tests in tests/gateway/store/test_contract.py (run once per store) are the contract a new store
must pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, Protocol

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
    "Store",
    "StoreError",
    "StoreUnavailable",
    "UnknownAccount",
    "UnknownApiKey",
    "UnknownUser",
    "UserRecord",
    "UserSummary",
    "VersionMatch",
    "session_records",
]


class StoreError(Exception):
    """Base of every error a store raises on purpose."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or reached."""


class DuplicateName(StoreError):
    """An account or user with that name already exists."""


class UnknownAccount(StoreError):
    """No account has that id."""


class UnknownUser(StoreError):
    """No user has that name."""


class UnknownApiKey(StoreError):
    """No API key has that id (or is that key)."""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UserSummary:
    """A user as the admin listing shows it: never the password hash, only whether there is one."""

    id: str
    name: str
    roles: tuple[str, ...]
    has_password: bool


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as the admin listing shows it. `id` names the key without being it: the key
    itself is stored only as a digest. `last_used_at` is to the minute (`2026-11-24T10:00Z`)."""

    id: str
    user_name: str
    label: str | None
    created_at: str
    last_used_at: str | None


class SessionRecord(NamedTuple):
    """One AI session, with its account's name joined in; the fields in the store's column order,
    so a row builds it positionally."""

    id: str
    account_id: str
    account_name: str
    purpose: str | None
    date_created: str
    date_last_modified: str
    created_by: str
    last_modified_by: str
    #: 1 when created, one more on every patch: what a session's ETag is made of.
    version: int


def session_records(rows: Iterable[Sequence[Any]]) -> list[SessionRecord]:
    """Rows holding SessionRecord's fields in its order, as SessionRecords, without a Python call
    per row (`SessionRecord._make` is one): a page reads hundreds of them."""
    return list(map(_new_session_record, rows))


_new_session_record = partial(tuple.__new__, SessionRecord)


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """A write's precondition (HTTP `If-Match`): the session must exist and, unless `any_version`,
    be at one of `versions`. Stores compare inside the UPDATE or DELETE itself, never read first."""

    versions: frozenset[int] = frozenset()
    any_version: bool = False


#: Sort keys a list query accepts (AISessionInfo's members, lower-cased), mapped to their column.
SORTABLE_FIELDS: dict[str, str] = {
    "id": "id",
    "accountid": "account_id",
    "accountname": "account_name",
    "purpose": "purpose",
    "datecreated": "date_created",
    "datelastmodified": "date_last_modified",
    "createdby": "created_by",
    "lastmodifiedby": "last_modified_by",
}


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """A page of sessions. `limit=None` means everything; `sort_key` is a `SORTABLE_FIELDS` key."""

    account_ids: tuple[str, ...] = ()
    specific_ids: tuple[str, ...] = ()
    sort_key: str = "datecreated"
    descending: bool = False
    offset: int = 0
    limit: int | None = None
    count_total: bool = True


@dataclass(frozen=True, slots=True)
class SessionPage:
    items: list[SessionRecord] = field(default_factory=list)
    #: None when the query asked not to count (simplified paging).
    total_count: int | None = None
    has_more: bool = False


class SessionStore(Protocol):
    """AI sessions and the accounts they belong to."""

    async def create_session(self, *, account_id: str, purpose: str | None, actor_id: str, now: str) -> SessionRecord:
        """Insert a session; raises UnknownAccount if `account_id` names no account."""
        ...

    async def get_session(self, session_id: str) -> SessionRecord | None: ...

    async def patch_session(
        self, session_id: str, *, purpose: str | None, actor_id: str, now: str, expected: VersionMatch | None = None
    ) -> SessionRecord | None:
        """Set the non-None fields plus the modification stamp and the next version, atomically;
        None if missing or if `expected` does not hold (then nothing changed)."""
        ...

    async def delete_session(self, session_id: str, *, expected: VersionMatch | None = None) -> bool:
        """True if it was deleted; False if missing or if `expected` does not hold."""
        ...

    async def list_sessions(self, query: SessionQuery) -> SessionPage: ...


class IdentityStore(Protocol):
    """Users, their roles, API keys (stored as hashes) and login sessions (`ss-id`)."""

    async def user_by_name(self, name: str) -> tuple[UserRecord, str | None] | None:
        """The user and its password hash (None when it has no password)."""
        ...

    async def user_by_api_key_hash(self, key_hash: str) -> UserRecord | None: ...

    async def api_key_user(self, key_hash: str) -> tuple[UserRecord, str | None] | None:
        """The key's user and when the key was last used (to the minute; None: never)."""
        ...

    async def record_api_key_use(self, key_hash: str, minute: str) -> None:
        """Set the key's last use to `minute` (`2026-11-24T10:00Z`); a missing key is no error."""
        ...

    async def create_login(self, user_id: str, *, login_id: str, expires_at: float) -> None: ...

    async def user_by_login(self, login_id: str, *, now: float) -> UserRecord | None:
        """The user of an unexpired login session, else None."""
        ...

    async def delete_login(self, login_id: str) -> None: ...


class AdminStore(Protocol):
    """The admin operations the CLI and tests use. Synchronous: they run outside any event loop,
    one short transaction each, beside a running server. User names match case-insensitively
    (ASCII), as they are unique."""

    def add_account(self, name: str) -> AccountRecord:
        """Raises DuplicateName if an account has that name."""
        ...

    def add_user(self, name: str, roles: Sequence[str] = (), password_hash: str | None = None) -> UserRecord:
        """Raises DuplicateName if a user has that name, compared case-insensitively (ASCII)."""
        ...

    def add_api_key(self, user_name: str, label: str | None = None) -> str:
        """Create an API key for the user; returns the key, which is stored only as a hash."""
        ...

    def list_accounts(self) -> list[AccountRecord]:
        """Every account, by name."""
        ...

    def list_users(self) -> list[UserSummary]:
        """Every user, by name."""
        ...

    def set_roles(self, user_name: str, roles: Sequence[str]) -> UserRecord:
        """Replace the user's roles (none: no roles); raises UnknownUser."""
        ...

    def set_password(self, user_name: str, password_hash: str) -> str:
        """Replace the user's password hash; returns the user's id; raises UnknownUser."""
        ...

    def remove_user(self, user_name: str) -> str:
        """Delete the user with its roles, API keys and logins; returns its id; raises UnknownUser."""
        ...

    def list_api_keys(self, user_name: str | None = None) -> list[ApiKeyRecord]:
        """Every key (of one user when named; UnknownUser if none has that name), by user, then age."""
        ...

    def revoke_api_key(self, key_id_or_key: str) -> ApiKeyRecord:
        """Delete the key named by its id, or given itself; raises UnknownApiKey. Serving
        processes stop accepting it when their auth cache forgets it (docs/auth.md)."""
        ...

    def account_exists(self, account_id: str) -> bool: ...

    def close(self) -> None: ...


class Store(SessionStore, IdentityStore, AdminStore, Protocol):
    """Everything a gateway process needs from one database."""

    async def ping(self) -> None:
        """Return once the database answers a trivial query; StoreUnavailable if it cannot (readiness)."""
        ...
