"""`TimedStore`: a `Store` that reports how long each call of the store it wraps took.

`create_app` wraps the store in it while metrics are on, so every store call a serving process
makes (the service's, the auth layer's, the readiness probe's) is one sample of
`evo_gateway_store_call_duration_seconds{method=...}`, whichever store is behind it. Each method's
histogram child is looked up once here, so a call costs two clock reads and one `observe`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter
from typing import ParamSpec, TypeVar

from ..store.base import (
    AccountRecord,
    ApiKeyRecord,
    SessionPage,
    SessionQuery,
    SessionRecord,
    Store,
    UserRecord,
    UserSummary,
    VersionMatch,
)

__all__ = ["TIMED_METHODS", "TimedStore"]

T = TypeVar("T")
P = ParamSpec("P")

#: Every `Store` method, each the `method` label of its samples.
TIMED_METHODS: tuple[str, ...] = (
    "ping",
    "create_session",
    "get_session",
    "patch_session",
    "delete_session",
    "list_sessions",
    "user_by_name",
    "user_by_api_key_hash",
    "api_key_user",
    "record_api_key_use",
    "create_login",
    "user_by_login",
    "delete_login",
    "add_account",
    "add_user",
    "add_api_key",
    "list_accounts",
    "list_users",
    "set_roles",
    "set_password",
    "remove_user",
    "list_api_keys",
    "revoke_api_key",
    "account_exists",
)


class TimedStore:
    """The wrapped store's behaviour, unchanged, plus one duration sample per call (failed calls
    included: a timeout is the sample that matters most)."""

    def __init__(self, inner: Store, observer: Callable[[str], Callable[[float], None]]) -> None:
        """`observer(method)` gives the function that records one call of `method`."""
        self.inner = inner
        self._observe = {method: observer(method) for method in TIMED_METHODS}

    async def _timed(self, method: str, call: Awaitable[T]) -> T:
        start = perf_counter()
        try:
            return await call
        finally:
            self._observe[method](perf_counter() - start)

    def _timed_sync(self, method: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        start = perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._observe[method](perf_counter() - start)

    # --- Store ---

    async def ping(self) -> None:
        await self._timed("ping", self.inner.ping())

    # --- SessionStore ---

    async def create_session(self, *, account_id: str, purpose: str | None, actor_id: str, now: str) -> SessionRecord:
        return await self._timed(
            "create_session",
            self.inner.create_session(account_id=account_id, purpose=purpose, actor_id=actor_id, now=now),
        )

    async def get_session(self, session_id: str) -> SessionRecord | None:
        return await self._timed("get_session", self.inner.get_session(session_id))

    async def patch_session(
        self, session_id: str, *, purpose: str | None, actor_id: str, now: str, expected: VersionMatch | None = None
    ) -> SessionRecord | None:
        return await self._timed(
            "patch_session",
            self.inner.patch_session(session_id, purpose=purpose, actor_id=actor_id, now=now, expected=expected),
        )

    async def delete_session(self, session_id: str, *, expected: VersionMatch | None = None) -> bool:
        return await self._timed("delete_session", self.inner.delete_session(session_id, expected=expected))

    async def list_sessions(self, query: SessionQuery) -> SessionPage:
        return await self._timed("list_sessions", self.inner.list_sessions(query))

    # --- IdentityStore ---

    async def user_by_name(self, name: str) -> tuple[UserRecord, str | None] | None:
        return await self._timed("user_by_name", self.inner.user_by_name(name))

    async def user_by_api_key_hash(self, key_hash: str) -> UserRecord | None:
        return await self._timed("user_by_api_key_hash", self.inner.user_by_api_key_hash(key_hash))

    async def api_key_user(self, key_hash: str) -> tuple[UserRecord, str | None] | None:
        return await self._timed("api_key_user", self.inner.api_key_user(key_hash))

    async def record_api_key_use(self, key_hash: str, minute: str) -> None:
        await self._timed("record_api_key_use", self.inner.record_api_key_use(key_hash, minute))

    async def create_login(self, user_id: str, *, login_id: str, expires_at: float) -> None:
        await self._timed("create_login", self.inner.create_login(user_id, login_id=login_id, expires_at=expires_at))

    async def user_by_login(self, login_id: str, *, now: float) -> UserRecord | None:
        return await self._timed("user_by_login", self.inner.user_by_login(login_id, now=now))

    async def delete_login(self, login_id: str) -> None:
        await self._timed("delete_login", self.inner.delete_login(login_id))

    # --- AdminStore ---

    def add_account(self, name: str) -> AccountRecord:
        return self._timed_sync("add_account", self.inner.add_account, name)

    def add_user(self, name: str, roles: Sequence[str] = (), password_hash: str | None = None) -> UserRecord:
        return self._timed_sync("add_user", self.inner.add_user, name, roles, password_hash)

    def add_api_key(self, user_name: str, label: str | None = None) -> str:
        return self._timed_sync("add_api_key", self.inner.add_api_key, user_name, label)

    def list_accounts(self) -> list[AccountRecord]:
        return self._timed_sync("list_accounts", self.inner.list_accounts)

    def list_users(self) -> list[UserSummary]:
        return self._timed_sync("list_users", self.inner.list_users)

    def set_roles(self, user_name: str, roles: Sequence[str]) -> UserRecord:
        return self._timed_sync("set_roles", self.inner.set_roles, user_name, roles)

    def set_password(self, user_name: str, password_hash: str) -> str:
        return self._timed_sync("set_password", self.inner.set_password, user_name, password_hash)

    def remove_user(self, user_name: str) -> str:
        return self._timed_sync("remove_user", self.inner.remove_user, user_name)

    def list_api_keys(self, user_name: str | None = None) -> list[ApiKeyRecord]:
        return self._timed_sync("list_api_keys", self.inner.list_api_keys, user_name)

    def revoke_api_key(self, key_id_or_key: str) -> ApiKeyRecord:
        return self._timed_sync("revoke_api_key", self.inner.revoke_api_key, key_id_or_key)

    def account_exists(self, account_id: str) -> bool:
        return self._timed_sync("account_exists", self.inner.account_exists, account_id)

    def close(self) -> None:
        # Not timed: closing is not a call a request waits on.
        self.inner.close()
