"""Who is calling (reference D): API keys as `Bearer`, HTTP Basic, and `ss-id` login sessions.

Verified API keys and Basic credentials are remembered for a short while, so the hot path does one
dictionary lookup, not a database query or a memory-hard password hash per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping

import anyio.to_thread

from .apikeys import hash_api_key
from .caller import Caller
from .context import CallContext, Cookie
from .dtos import Authenticate, AuthenticateResponse
from .errors import AuthRequired, InvalidCredentials, NotFound, NotSupported
from .passwords import verify_password
from .store.base import IdentityStore, UserRecord

__all__ = ["WWW_AUTHENTICATE", "AuthService", "Credentials"]

#: ServiceStack builds this from the first registered provider; credentials is ours (reference C.3).
WWW_AUTHENTICATE = 'credentials realm="/auth/credentials"'

#: How many remembered credentials to keep before the cache is cleared wholesale.
_CACHE_LIMIT = 10_000


class Credentials:
    """What a request presented: parsed from headers and cookies, not yet verified."""

    __slots__ = ("basic", "bearer", "login_id")

    def __init__(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> None:
        self.bearer: str | None = None
        self.basic: tuple[str, str] | None = None
        authorization = headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value.strip():
            self.bearer = value.strip()
        elif scheme == "basic":
            self.basic = _parse_basic(value.strip())
        self.login_id: str | None = (
            headers.get("x-ss-id") or cookies.get("ss-id") or headers.get("x-ss-pid") or cookies.get("ss-pid")
        )

    @property
    def present(self) -> bool:
        return bool(self.bearer or self.basic or self.login_id)


def _parse_basic(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _to_caller(user: UserRecord, login_id: str | None = None) -> Caller:
    return Caller(user_id=user.id, user_name=user.name, roles=frozenset(user.roles), login_id=login_id)


class _TtlCache:
    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: dict[str, tuple[float, Caller]] = {}

    def get(self, key: str) -> Caller | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, caller = item
        if expires < self._clock():
            self._items.pop(key, None)
            return None
        return caller

    def put(self, key: str, caller: Caller) -> None:
        if len(self._items) >= _CACHE_LIMIT:
            self._items.clear()
        self._items[key] = (self._clock() + self._ttl, caller)


class AuthService:
    def __init__(
        self,
        store: IdentityStore,
        *,
        login_ttl_seconds: int,
        cache_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._login_ttl = login_ttl_seconds
        self._clock = clock
        self._keys = _TtlCache(cache_seconds, clock)
        self._basic = _TtlCache(cache_seconds, clock)
        # Basic credentials are cached under a keyed digest, never in clear.
        self._basic_salt = secrets.token_bytes(16)

    async def identify(self, credentials: Credentials) -> Caller | None:
        """The caller the credentials prove, or None. The first scheme that verifies wins."""
        if credentials.bearer is not None:
            caller = await self._by_api_key(credentials.bearer)
            if caller is not None:
                return caller
        if credentials.basic is not None:
            caller = await self._by_password(*credentials.basic)
            if caller is not None:
                return caller
        if credentials.login_id is not None:
            user = await self._store.user_by_login(credentials.login_id, now=self._clock())
            if user is not None:
                return _to_caller(user, credentials.login_id)
        return None

    async def _by_api_key(self, key: str) -> Caller | None:
        key_hash = hash_api_key(key)
        caller = self._keys.get(key_hash)
        if caller is None:
            user = await self._store.user_by_api_key_hash(key_hash)
            if user is None:
                return None
            caller = _to_caller(user)
            self._keys.put(key_hash, caller)
        return caller

    async def _by_password(self, user_name: str, password: str) -> Caller | None:
        digest = hashlib.blake2b(f"{user_name}\0{password}".encode(), key=self._basic_salt, digest_size=32).hexdigest()
        caller = self._basic.get(digest)
        if caller is not None:
            return caller
        user = await self.check_password(user_name, password)
        if user is None:
            return None
        caller = _to_caller(user)
        self._basic.put(digest, caller)
        return caller

    async def check_password(self, user_name: str, password: str) -> UserRecord | None:
        found = await self._store.user_by_name(user_name)
        if found is None:
            return None
        user, encoded = found
        if encoded is None:
            return None
        # scrypt is deliberately slow and memory-hard: keep it off the event loop.
        ok = await anyio.to_thread.run_sync(verify_password, password, encoded)
        return user if ok else None

    async def authenticate(self, request: Authenticate, ctx: CallContext) -> AuthenticateResponse:
        """The `Authenticate` operation: `/auth/credentials` signs in, `/auth/logout` signs out,
        `/auth` alone describes the current login."""
        provider = (request.provider or "").lower()
        if ctx.verb == "GET" and (provider not in ("", "logout") or request.password):
            # AuthFeature.DefaultAllowGetAuthenticateRequests: a password in a URL ends up in logs.
            # ServiceStack still lets `GET /auth?userName=…&password=…` sign in (an empty provider
            # passes its check); that is the same password in the same URL, so it is refused too.
            raise NotSupported(
                "GET Authenticate requests are disabled, to enable set AuthFeature.AllowGetAuthenticateRequests"
                " = req => true"
            )
        if provider == "logout":
            if ctx.login_id is not None:
                await self._store.delete_login(ctx.login_id)
            ctx.set_cookies.extend(Cookie(name, "", max_age=0) for name in ("ss-id", "ss-pid", "ss-opt"))
            return AuthenticateResponse()
        if provider == "credentials" or (not provider and request.user_name):
            return await self._sign_in(request, ctx)
        if provider:
            raise NotFound(f"No configuration was added for OAuth provider '{request.provider}'")
        if ctx.caller is None:
            raise AuthRequired()
        return AuthenticateResponse(
            user_id=ctx.caller.user_id,
            session_id=ctx.caller.login_id,
            user_name=ctx.caller.user_name,
            display_name=ctx.caller.user_name,
            roles=sorted(ctx.caller.roles),
        )

    async def _sign_in(self, request: Authenticate, ctx: CallContext) -> AuthenticateResponse:
        user = None
        if request.user_name and request.password:
            user = await self.check_password(request.user_name, request.password)
        if user is None:
            raise InvalidCredentials("Invalid UserName or Password")
        login_id = secrets.token_urlsafe(24)
        await self._store.create_login(user.id, login_id=login_id, expires_at=self._clock() + self._login_ttl)
        remember = bool(request.remember_me)
        ctx.set_cookies.append(Cookie("ss-id", login_id))
        ctx.set_cookies.append(Cookie("ss-pid", login_id, max_age=self._login_ttl))
        ctx.set_cookies.append(Cookie("ss-opt", "perm" if remember else "temp", max_age=self._login_ttl))
        return AuthenticateResponse(
            user_id=user.id,
            session_id=login_id,
            user_name=user.name,
            display_name=user.name,
            roles=sorted(user.roles),
            auth_provider="credentials",
        )
