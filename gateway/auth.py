"""Who is calling: API keys as `Bearer`, HTTP Basic, and `ss-id` login sessions.

Verified API keys and Basic credentials are remembered for a short while, so the hot path does one
dictionary lookup, not a database query or a memory-hard password hash per request. That while
(`auth_cache_seconds`, at most 30 s from `serve`) is also how long a revoked key, a removed user or
changed roles may still be honoured by a process that verified them before.

A key's last use is recorded only when this process looks the key up (a cache miss, at most once
per key per cache period) and the stored minute differs from now's: never a write per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import anyio.to_thread

from .apikeys import hash_api_key
from .caller import Caller
from .context import CallContext, Cookie
from .dtos import Authenticate, AuthenticateResponse
from .errors import AuthRequired, InvalidCredentials, NotFound, NotSupported, TooManyRequests
from .passwords import DUMMY_HASH, verify_password
from .store.base import IdentityStore, StoreUnavailable, UserRecord
from .throttle import AuthLimits, SignInThrottle

__all__ = ["PERMANENT", "WWW_AUTHENTICATE", "AuthService", "Credentials", "use_minute"]

#: ServiceStack's AuthFeature answers a 401 with a challenge named after the first registered auth
#: provider, its realm the provider's sign-in path; this API registers credentials only.
WWW_AUTHENTICATE = 'credentials realm="/auth/credentials"'

#: ss-opt's value for a login that outlives the browser (SessionOptions.Permanent).
PERMANENT = "perm"
#: Marks the id of a rememberMe login, so that `ss-pid` authenticates only those. Not in the
#: URL-safe base64 alphabet, so no random id starts with it by chance.
_PERMANENT_ID_PREFIX = "p."

#: How many remembered credentials to keep before the cache is cleared wholesale.
_CACHE_LIMIT = 10_000

_log = logging.getLogger(__name__)


def use_minute(timestamp: float) -> str:
    """A key's last use as stored: UTC, to the minute (`2026-11-24T10:00Z`)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%MZ")


class Credentials:
    """What a request presented: parsed from headers and cookies, not yet verified.

    API keys come as `X-Api-Key` (ApiKeysFeature's header, read before Bearer), as
    `Authorization: Bearer`, or as a Basic user name with an empty password (ApiKeyAuthProvider).
    The login id is `ss-id`, or `ss-pid` when `ss-opt` says `perm` (SessionExtensions.GetSessionId),
    each from its `X-` header first, then its cookie.
    """

    __slots__ = ("api_key", "basic", "bearer", "client", "login_id", "permanent")

    def __init__(self, headers: Mapping[str, str], cookies: Mapping[str, str], *, client: str | None = None) -> None:
        self.bearer: str | None = None
        self.basic: tuple[str, str] | None = None
        self.api_key: str | None = headers.get("x-api-key", "").strip() or None
        #: The client's address, for throttling sign-in failures per address.
        self.client = client
        authorization = headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value.strip():
            self.bearer = value.strip()
        elif scheme == "basic":
            self.basic = _parse_basic(value.strip())
        options = headers.get("x-ss-opt") or cookies.get("ss-opt") or ""
        #: Whether the login id came from `ss-pid`: only a rememberMe login may be presented there.
        self.permanent = PERMANENT in options.split(",")
        if self.permanent:
            self.login_id: str | None = headers.get("x-ss-pid") or cookies.get("ss-pid")
        else:
            self.login_id = headers.get("x-ss-id") or cookies.get("ss-id")

    @property
    def basic_api_key(self) -> str | None:
        """The Basic user name when the password is empty: ApiKeyAuthProvider reads that as a key."""
        if self.basic is not None and self.basic[0] and not self.basic[1]:
            return self.basic[0]
        return None

    @property
    def present(self) -> bool:
        return bool(self.api_key or self.bearer or self.basic or self.login_id)


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
        limits: AuthLimits | None = None,
        throttle_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._login_ttl = login_ttl_seconds
        self._clock = clock
        self._keys = _TtlCache(cache_seconds, clock)
        self._basic = _TtlCache(cache_seconds, clock)
        # Basic credentials are cached under a keyed digest, never in clear.
        self._basic_salt = secrets.token_bytes(16)
        limits = limits or AuthLimits()
        self._throttle = SignInThrottle(limits, throttle_clock)
        # Its own worker-thread tokens: waiting checks queue here, not in the default pool the
        # store's calls use, so API-key requests never wait behind a hashing flood.
        self._hashing = anyio.CapacityLimiter(limits.hash_concurrency)

    def recognised(self, credentials: Credentials) -> Caller | None:
        """What `identify` answers for an API key it verified within the cache's lifetime, found
        without awaiting anything (most requests); None: only `identify` can tell."""
        for key in (credentials.api_key, credentials.bearer, credentials.basic_api_key):
            if key is not None:  # the first key given is the one `identify` tries first
                return self._keys.get(hash_api_key(key))
        return None

    async def identify(self, credentials: Credentials) -> Caller | None:
        """The caller the credentials prove, or None. The first scheme that verifies wins."""
        for key in (credentials.api_key, credentials.bearer, credentials.basic_api_key):
            if key is not None:
                caller = await self._by_api_key(key)
                if caller is not None:
                    return caller
        if credentials.basic is not None and credentials.basic[1]:
            caller = await self._by_password(*credentials.basic, address=credentials.client)
            if caller is not None:
                return caller
        login_id = credentials.login_id
        if login_id is not None and (not credentials.permanent or login_id.startswith(_PERMANENT_ID_PREFIX)):
            user = await self._store.user_by_login(login_id, now=self._clock())
            if user is not None:
                return _to_caller(user, login_id)
        return None

    async def _by_api_key(self, key: str) -> Caller | None:
        key_hash = hash_api_key(key)
        caller = self._keys.get(key_hash)
        if caller is None:
            found = await self._store.api_key_user(key_hash)
            if found is None:
                return None
            user, last_used = found
            minute = use_minute(self._clock())
            if last_used != minute:
                try:
                    await self._store.record_api_key_use(key_hash, minute)
                except StoreUnavailable as exc:  # the key verified; its last use is only advisory
                    _log.warning("could not record an API key's last use: %s", exc)
            caller = _to_caller(user)
            self._keys.put(key_hash, caller)
        return caller

    async def _by_password(self, user_name: str, password: str, *, address: str | None) -> Caller | None:
        digest = hashlib.blake2b(f"{user_name}\0{password}".encode(), key=self._basic_salt, digest_size=32).hexdigest()
        caller = self._basic.get(digest)
        if caller is not None:
            return caller
        user = await self.check_password(user_name, password, address=address)
        if user is None:
            return None
        caller = _to_caller(user)
        self._basic.put(digest, caller)
        return caller

    async def check_password(self, user_name: str, password: str, *, address: str | None = None) -> UserRecord | None:
        """The user whose password this is, or None; raises TooManyRequests when throttled.

        It costs one scrypt check whatever the outcome (a missing user or password is checked
        against DUMMY_HASH), so the time taken does not tell whether the user exists.
        """
        key = user_name.casefold()  # names match case-insensitively in the store
        wait = self._throttle.begin(key, address)
        if wait is not None:
            raise TooManyRequests(wait)
        found = await self._store.user_by_name(user_name)
        user, encoded = found if found is not None else (None, None)
        # scrypt is deliberately slow and memory-hard: off the event loop, a bounded number at once.
        ok = await anyio.to_thread.run_sync(verify_password, password, encoded or DUMMY_HASH, limiter=self._hashing)
        if not ok or user is None or encoded is None:
            return None
        self._throttle.succeeded(key)
        return user

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
            user = await self.check_password(request.user_name, request.password, address=ctx.client)
        if user is None:
            raise InvalidCredentials("Invalid UserName or Password")
        remember = bool(request.remember_me)
        login_id = (_PERMANENT_ID_PREFIX if remember else "") + secrets.token_urlsafe(24)
        await self._store.create_login(user.id, login_id=login_id, expires_at=self._clock() + self._login_ttl)
        ctx.set_cookies.append(Cookie("ss-id", login_id))
        if remember:
            # Only a rememberMe login outlives the browser: ss-pid, read while ss-opt says perm.
            ctx.set_cookies.append(Cookie("ss-pid", login_id, max_age=self._login_ttl))
        else:
            ctx.set_cookies.append(Cookie("ss-pid", "", max_age=0))  # an earlier remembered login's
        ctx.set_cookies.append(Cookie("ss-opt", PERMANENT if remember else "temp", max_age=self._login_ttl))
        return AuthenticateResponse(
            user_id=user.id,
            session_id=login_id,
            user_name=user.name,
            display_name=user.name,
            roles=sorted(user.roles),
            auth_provider="credentials",
        )
