"""AuthService against a real SQLite file: parsing credentials, identifying callers, the TTL cache,
and the Authenticate operation (sign in, describe, logout)."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from typing import Any, SupportsInt, TypeVar, cast

import anyio
import pytest

import gateway.auth
from gateway.apikeys import hash_api_key
from gateway.auth import AuthService, Credentials, use_minute
from gateway.caller import Caller
from gateway.context import CallContext, Cookie
from gateway.dtos import Authenticate, AuthenticateResponse
from gateway.errors import AuthRequired, InvalidCredentials, NotFound, NotSupported
from gateway.operations import SYSTEM_ADMINISTRATOR

from .conftest import ADMIN_PASSWORD, USER_PASSWORD, World, sql

T = TypeVar("T")

TTL = 30.0
LOGIN_TTL = 3600


class Clock:
    """Seconds since the epoch, moved by hand. Starts at the real time: the store sweeps expired
    logins against the real clock, so a login must not look expired to it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return anyio.run(fn, *args)


def basic_header(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def make(world: World) -> tuple[AuthService, Clock]:
    clock = Clock()
    return AuthService(world.store, login_ttl_seconds=LOGIN_TTL, cache_seconds=TTL, clock=clock), clock


def creds(headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> Credentials:
    return Credentials(headers or {}, cookies or {})


# --- Credentials ---


@pytest.mark.parametrize("header", ["Bearer abc", "bearer abc", "BEARER   abc  ", "Bearer\u0020abc"])
def test_bearer_is_parsed_case_insensitively_and_trimmed(header: str) -> None:
    c = creds({"authorization": header})
    assert (c.bearer, c.basic, c.login_id, c.present) == ("abc", None, None, True)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer    ", "Token abc", "abc", ""])
def test_no_bearer_token_without_a_value_or_under_another_scheme(header: str) -> None:
    c = creds({"authorization": header})
    assert (c.bearer, c.basic, c.present) == (None, None, False)


def test_basic_is_decoded_and_split_at_the_first_colon() -> None:
    assert creds(basic_header("admin", "pa:ss:word")).basic == ("admin", "pa:ss:word")
    assert creds(basic_header("admin", "")).basic == ("admin", "")
    assert creds(basic_header("", "secret")).basic == ("", "secret")
    assert creds(basic_header("jörg", "pässwörd")).basic == ("jörg", "pässwörd")
    lower = "basic " + base64.b64encode(b"a:b").decode()
    assert creds({"authorization": lower}).basic == ("a", "b")
    assert creds({"authorization": "Basic   " + base64.b64encode(b"a:b").decode() + "  "}).basic == ("a", "b")


@pytest.mark.parametrize(
    "value",
    [
        "not base64!",
        base64.b64encode(b"ab:c").decode().rstrip("="),  # padding is required (validate=True)
        "YWRtaW4=",  # "admin": no colon
        "",
        base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
    ],
)
def test_malformed_basic_is_no_credentials(value: str) -> None:
    c = creds({"authorization": f"Basic {value}"})
    assert (c.basic, c.bearer, c.present) == (None, None, False)


def test_login_id_is_ss_id_header_then_cookie_and_ss_pid_only_under_ss_opt_perm() -> None:
    # SessionExtensions.GetSessionId: ss-opt containing "perm" picks ss-pid, otherwise ss-id.
    everything = {"x-ss-id": "h", "x-ss-pid": "hp"}, {"ss-id": "c", "ss-pid": "cp"}
    assert creds(*everything).login_id == "h"
    assert creds({"x-ss-pid": "hp"}, {"ss-id": "c", "ss-pid": "cp"}).login_id == "c"
    # Without ss-opt=perm a permanent id is not read at all (#12: it outlived the browser).
    assert creds({"x-ss-pid": "hp"}, {"ss-pid": "cp"}).login_id is None
    assert creds({}, {"ss-pid": "cp", "ss-opt": "temp"}).login_id is None
    assert not creds({}, {"ss-pid": "cp"}).present
    perm = creds({"x-ss-id": "h"}, {"ss-id": "c", "ss-pid": "cp", "ss-opt": "perm"})
    assert (perm.login_id, perm.permanent) == ("cp", True)
    assert creds({"x-ss-pid": "hp", "x-ss-opt": "perm"}, {"ss-pid": "cp"}).login_id == "hp"
    assert creds({}, {"ss-pid": "cp", "ss-opt": "temp,perm"}).login_id == "cp"
    # An empty value is no value: the next source counts.
    assert creds({"x-ss-id": ""}, {"ss-id": "c"}).login_id == "c"
    only_cookie = creds({}, {"ss-id": "c"})
    assert (only_cookie.present, only_cookie.bearer, only_cookie.basic, only_cookie.permanent) == (
        True,
        None,
        None,
        False,
    )
    assert not creds({}, {"other": "x"}).present


def test_api_key_transports_are_read() -> None:
    c = creds({"x-api-key": " k1 ", "authorization": "Bearer k2"})
    assert (c.api_key, c.bearer, c.present) == ("k1", "k2", True)
    assert creds({"x-api-key": ""}).present is False
    assert creds(basic_header("ak_key", "")).basic_api_key == "ak_key"
    # A password makes it a password, and an empty user name is no key.
    assert creds(basic_header("ak_key", "x")).basic_api_key is None
    assert creds(basic_header("", "")).basic_api_key is None


def test_bearer_basic_and_login_are_read_side_by_side() -> None:
    c = creds({"authorization": "Bearer k", "x-ss-id": "login"})
    assert (c.bearer, c.login_id) == ("k", "login")


# --- identify ---


def test_identify_by_api_key(world: World) -> None:
    auth, _ = make(world)
    caller = run(lambda: auth.identify(creds({"authorization": f"Bearer {world.admin_key}"})))
    assert caller == Caller(
        user_id=world.admin_id, user_name="admin", roles=frozenset({SYSTEM_ADMINISTRATOR}), login_id=None
    )
    assert run(lambda: auth.identify(creds({"authorization": f"Bearer {world.admin_key}x"}))) is None


def test_identify_by_basic_password(world: World) -> None:
    auth, _ = make(world)
    caller = run(lambda: auth.identify(creds(basic_header("clerk", USER_PASSWORD))))
    assert caller == Caller(user_id=world.user_id, user_name="clerk", roles=frozenset({"Clerk"}))
    assert run(lambda: auth.identify(creds(basic_header("clerk", ADMIN_PASSWORD)))) is None
    assert run(lambda: auth.identify(creds(basic_header("ghost", USER_PASSWORD)))) is None


def test_identify_by_basic_refuses_a_user_without_a_password(world: World) -> None:
    world.store.add_user("keyonly", ["Clerk"])
    auth, _ = make(world)
    assert run(lambda: auth.identify(creds(basic_header("keyonly", "")))) is None
    assert run(lambda: auth.check_password("keyonly", "anything")) is None


def test_check_password_returns_the_user(world: World) -> None:
    auth, _ = make(world)
    user = run(lambda: auth.check_password("admin", ADMIN_PASSWORD))
    assert user is not None and (user.id, user.name, user.roles) == (world.admin_id, "admin", (SYSTEM_ADMINISTRATOR,))
    assert run(lambda: auth.check_password("admin", ADMIN_PASSWORD + "x")) is None
    assert run(lambda: auth.check_password("nobody", ADMIN_PASSWORD)) is None


def test_identify_by_login_carries_the_login_id_until_it_expires(world: World) -> None:
    auth, clock = make(world)
    run(lambda: world.store.create_login(world.user_id, login_id="tok", expires_at=clock() + 10))
    for c in (creds({}, {"ss-id": "tok"}), creds({"x-ss-id": "tok"})):
        caller = run(auth.identify, c)
        assert caller == Caller(user_id=world.user_id, user_name="clerk", roles=frozenset({"Clerk"}), login_id="tok")
    assert run(lambda: auth.identify(creds({}, {"ss-id": "other"}))) is None
    clock.advance(10)
    assert run(lambda: auth.identify(creds({}, {"ss-id": "tok"}))) is None


def test_identify_first_scheme_that_verifies_wins(world: World) -> None:
    auth, clock = make(world)
    run(lambda: world.store.create_login(world.user_id, login_id="tok", expires_at=clock() + 10))
    # A valid key wins over a valid login.
    both = creds({"authorization": f"Bearer {world.admin_key}"}, {"ss-id": "tok"})
    caller = run(lambda: auth.identify(both))
    assert caller is not None and (caller.user_id, caller.login_id) == (world.admin_id, None)
    # A key that does not verify falls through to the login.
    bad_key = creds({"authorization": "Bearer nope"}, {"ss-id": "tok"})
    caller = run(lambda: auth.identify(bad_key))
    assert caller is not None and (caller.user_id, caller.login_id) == (world.user_id, "tok")
    # Bad Basic credentials fall through too.
    bad_basic = creds({**basic_header("admin", "wrong"), "x-ss-id": "tok"})
    caller = run(lambda: auth.identify(bad_basic))
    assert caller is not None and caller.user_id == world.user_id
    assert run(lambda: auth.identify(creds())) is None


# --- the TTL cache ---


def test_a_revoked_api_key_is_honoured_until_the_cache_expires(world: World) -> None:
    auth, clock = make(world)
    header = creds({"authorization": f"Bearer {world.admin_key}"})
    assert run(lambda: auth.identify(header)) is not None
    sql(world, "DELETE FROM api_keys WHERE key_hash = ?", hash_api_key(world.admin_key))
    clock.advance(TTL)  # the last instant of the entry's life
    assert run(lambda: auth.identify(header)) is not None
    clock.advance(0.001)
    assert run(lambda: auth.identify(header)) is None
    # The miss is not cached: a fresh service or a later call still asks the store.
    assert run(lambda: auth.identify(header)) is None


def test_recognised_answers_what_identify_would_for_a_cached_key_and_defers_otherwise(world: World) -> None:
    auth, clock = make(world)
    key = creds({"authorization": f"Bearer {world.admin_key}"})
    assert auth.recognised(key) is None  # not verified yet: only identify can tell
    caller = run(lambda: auth.identify(key))
    assert caller is not None and auth.recognised(key) == caller
    # The first key given decides, as in identify: a cached key behind an unknown one is not used.
    unknown_first = creds({"x-api-key": "nope", "authorization": f"Bearer {world.admin_key}"})
    assert auth.recognised(unknown_first) is None
    assert run(lambda: auth.identify(unknown_first)) == caller
    assert auth.recognised(creds({}, {"ss-id": "tok"})) is None  # logins are never cached
    clock.advance(TTL + 0.001)
    assert auth.recognised(key) is None  # expired with the cache entry


def test_a_keys_last_use_is_written_on_a_cache_miss_when_the_minute_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth, clock = make(world)
    clock.now = (clock.now // 60) * 60  # the start of a minute: the next 59 s are the same minute
    writes: list[str] = []
    record = world.store.record_api_key_use

    async def counted(key_hash: str, minute: str) -> None:
        writes.append(minute)
        await record(key_hash, minute)

    monkeypatch.setattr(world.store, "record_api_key_use", counted)
    header = creds({"authorization": f"Bearer {world.admin_key}"})

    def last_used() -> str | None:
        (key,) = world.store.list_api_keys("admin")
        return key.last_used_at

    assert last_used() is None
    for _ in range(50):  # one lookup, one write: not one per request
        assert run(lambda: auth.identify(header)) is not None
    assert writes == [use_minute(clock.now)] and last_used() == use_minute(clock.now)
    clock.advance(TTL + 1)  # the cache forgot the key, but the stored minute is still this one
    assert run(lambda: auth.identify(header)) is not None
    assert len(writes) == 1
    clock.advance(TTL + 1)  # another miss, in the next minute
    assert run(lambda: auth.identify(header)) is not None
    assert writes == [use_minute(clock.now - 2 * TTL - 2), use_minute(clock.now)] and writes[0] != writes[1]
    assert last_used() == use_minute(clock.now)
    assert run(lambda: auth.identify(creds({"authorization": "Bearer ak_unknown"}))) is None
    assert len(writes) == 2  # a key that does not verify writes nothing


def test_use_minute_is_utc_to_the_minute() -> None:
    assert use_minute(1_764_000_059.9) == "2025-11-24T16:00Z"


def test_changed_roles_are_seen_after_the_cache_expires(world: World) -> None:
    auth, clock = make(world)
    header = creds({"authorization": f"Bearer {world.user_key}"})
    first = run(lambda: auth.identify(header))
    assert first is not None and first.roles == {"Clerk"}
    sql(world, "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", world.user_id, SYSTEM_ADMINISTRATOR)
    clock.advance(TTL / 2)
    cached = run(lambda: auth.identify(header))
    assert cached is not None and cached.roles == {"Clerk"}
    clock.advance(TTL)
    fresh = run(lambda: auth.identify(header))
    assert fresh is not None and fresh.roles == {"Clerk", SYSTEM_ADMINISTRATOR}


def test_a_changed_password_is_seen_after_the_cache_expires(world: World) -> None:
    auth, clock = make(world)
    old, new = creds(basic_header("admin", ADMIN_PASSWORD)), creds(basic_header("admin", USER_PASSWORD))
    assert run(lambda: auth.identify(old)) is not None
    # Give admin the clerk's password hash.
    sql(
        world,
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE name = 'clerk') WHERE name = 'admin'",
    )
    clock.advance(TTL - 1)
    assert run(lambda: auth.identify(old)) is not None  # remembered
    caller = run(lambda: auth.identify(new))  # not remembered: verified against the new hash
    assert caller is not None and caller.user_id == world.admin_id
    clock.advance(2)
    assert run(lambda: auth.identify(old)) is None


def test_basic_cache_is_keyed_by_user_and_password(world: World) -> None:
    auth, _ = make(world)
    assert run(lambda: auth.identify(creds(basic_header("admin", ADMIN_PASSWORD)))) is not None
    assert run(lambda: auth.identify(creds(basic_header("admin", ADMIN_PASSWORD + "x")))) is None
    assert run(lambda: auth.identify(creds(basic_header("clerk", ADMIN_PASSWORD)))) is None


def test_failed_basic_is_not_cached(world: World) -> None:
    auth, _ = make(world)
    keyonly = creds(basic_header("admin2", USER_PASSWORD))
    world.store.add_user("admin2", [SYSTEM_ADMINISTRATOR])
    assert run(lambda: auth.identify(keyonly)) is None
    sql(
        world,
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE name = 'clerk') WHERE name = 'admin2'",
    )
    caller = run(lambda: auth.identify(keyonly))
    assert caller is not None and caller.user_name == "admin2"


def test_logins_are_never_cached(world: World) -> None:
    auth, clock = make(world)
    run(lambda: world.store.create_login(world.user_id, login_id="tok", expires_at=clock() + 100))
    assert run(lambda: auth.identify(creds({"x-ss-id": "tok"}))) is not None
    run(lambda: world.store.delete_login("tok"))
    assert run(lambda: auth.identify(creds({"x-ss-id": "tok"}))) is None


def test_a_full_cache_is_cleared_wholesale(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.auth, "_CACHE_LIMIT", 1)
    auth, _ = make(world)
    admin = creds({"authorization": f"Bearer {world.admin_key}"})
    clerk = creds({"authorization": f"Bearer {world.user_key}"})
    assert run(lambda: auth.identify(admin)) is not None
    sql(world, "DELETE FROM api_keys WHERE key_hash = ?", hash_api_key(world.admin_key))
    assert run(lambda: auth.identify(clerk)) is not None  # evicts the admin's entry
    assert run(lambda: auth.identify(admin)) is None


# --- authenticate ---


def login_cookies(login_id: str, opt: str) -> list[Cookie]:
    # Only a rememberMe ("perm") login gets a persistent ss-pid; otherwise an earlier one is cleared.
    pid = Cookie("ss-pid", login_id, max_age=LOGIN_TTL) if opt == "perm" else Cookie("ss-pid", "", max_age=0)
    return [Cookie("ss-id", login_id), pid, Cookie("ss-opt", opt, max_age=LOGIN_TTL)]


CLEARED = [Cookie("ss-id", "", max_age=0), Cookie("ss-pid", "", max_age=0), Cookie("ss-opt", "", max_age=0)]


def logins(world: World) -> int:
    return int(cast(SupportsInt, sql(world, "SELECT COUNT(*) FROM logins")[0][0]))


@pytest.mark.parametrize(
    "request_",
    [
        Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD),
        Authenticate(provider="Credentials", user_name="admin", password=ADMIN_PASSWORD),
        Authenticate(user_name="admin", password=ADMIN_PASSWORD),  # no provider: a user name means sign in
    ],
)
def test_sign_in_creates_a_login_and_sets_cookies(world: World, request_: Authenticate) -> None:
    auth, _ = make(world)
    ctx = CallContext(None)
    response = run(lambda: auth.authenticate(request_, ctx))
    assert response.session_id is not None and len(response.session_id) >= 32
    assert response == AuthenticateResponse(
        user_id=world.admin_id,
        session_id=response.session_id,
        user_name="admin",
        display_name="admin",
        roles=[SYSTEM_ADMINISTRATOR],
        auth_provider="credentials",
    )
    assert ctx.set_cookies == login_cookies(response.session_id, "temp")
    caller = run(lambda: auth.identify(creds({}, {"ss-id": response.session_id or ""})))
    assert caller is not None and (caller.user_id, caller.login_id) == (world.admin_id, response.session_id)
    assert logins(world) == 1


def test_sign_in_remember_me_marks_the_login_permanent_and_it_expires_after_the_ttl(world: World) -> None:
    auth, clock = make(world)
    ctx = CallContext(None)
    request = Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD, remember_me=True)
    response = run(lambda: auth.authenticate(request, ctx))
    assert response.session_id is not None
    assert ctx.set_cookies == login_cookies(response.session_id, "perm")
    login = creds({}, {"ss-pid": response.session_id, "ss-opt": "perm"})
    clock.advance(LOGIN_TTL - 1)
    assert run(lambda: auth.identify(login)) is not None
    clock.advance(1)
    assert run(lambda: auth.identify(login)) is None


@pytest.mark.parametrize("remember_me", [False, None])
def test_a_login_without_remember_me_is_refused_as_ss_pid(world: World, remember_me: bool | None) -> None:
    auth, _ = make(world)
    ctx = CallContext(None)
    request = Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD, remember_me=remember_me)
    login_id = run(lambda: auth.authenticate(request, ctx)).session_id
    assert login_id is not None
    assert Cookie("ss-pid", "", max_age=0) in ctx.set_cookies
    assert run(lambda: auth.identify(creds({}, {"ss-id": login_id}))) is not None
    # Even replayed by hand as a permanent id, a browser-session login does not authenticate there.
    assert run(lambda: auth.identify(creds({}, {"ss-pid": login_id, "ss-opt": "perm"}))) is None
    assert run(lambda: auth.identify(creds({"x-ss-pid": login_id, "x-ss-opt": "perm"}))) is None


def test_each_sign_in_is_a_new_login(world: World) -> None:
    auth, _ = make(world)
    request = Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD)
    first = run(lambda: auth.authenticate(request, CallContext(None)))
    second = run(lambda: auth.authenticate(request, CallContext(None)))
    assert first.session_id != second.session_id
    assert logins(world) == 2


@pytest.mark.parametrize(
    "request_",
    [
        Authenticate(provider="credentials", user_name="admin", password="wrong"),
        Authenticate(provider="credentials", user_name="admin"),
        Authenticate(provider="credentials", password=ADMIN_PASSWORD),
        Authenticate(provider="credentials"),
        Authenticate(provider="credentials", user_name="ghost", password=ADMIN_PASSWORD),
        Authenticate(user_name="admin", password="wrong"),
    ],
)
def test_sign_in_with_bad_credentials_is_invalid_credentials(world: World, request_: Authenticate) -> None:
    auth, _ = make(world)
    ctx = CallContext(None)
    with pytest.raises(InvalidCredentials) as caught:
        run(lambda: auth.authenticate(request_, ctx))
    assert (caught.value.status_code, caught.value.error_code) == (401, "Unauthorized")
    assert caught.value.message == "Invalid UserName or Password"
    assert ctx.set_cookies == []
    assert logins(world) == 0


def test_sign_in_for_a_user_without_a_password_is_refused(world: World) -> None:
    world.store.add_user("keyonly")
    auth, _ = make(world)
    with pytest.raises(InvalidCredentials):
        run(
            lambda: auth.authenticate(
                Authenticate(provider="credentials", user_name="keyonly", password="x"), CallContext(None)
            )
        )


@pytest.mark.parametrize("verb", ["POST", "GET"])
@pytest.mark.parametrize("provider", ["logout", "Logout"])
def test_logout_deletes_the_login_and_clears_the_cookies(world: World, verb: str, provider: str) -> None:
    auth, _ = make(world)
    signed_in = run(
        lambda: auth.authenticate(
            Authenticate(provider="credentials", user_name="admin", password=ADMIN_PASSWORD), CallContext(None)
        )
    )
    login_id = signed_in.session_id
    assert login_id is not None
    caller = run(lambda: auth.identify(creds({"x-ss-id": login_id})))
    ctx = CallContext(caller, login_id=login_id, verb=verb)
    assert run(lambda: auth.authenticate(Authenticate(provider=provider), ctx)) == AuthenticateResponse()
    assert ctx.set_cookies == CLEARED
    assert run(lambda: auth.identify(creds({"x-ss-id": login_id}))) is None
    assert logins(world) == 0


def test_logout_without_a_login_still_clears_the_cookies(world: World) -> None:
    auth, clock = make(world)
    run(lambda: world.store.create_login(world.user_id, login_id="other", expires_at=clock() + 100))
    ctx = CallContext(None, verb="GET")
    assert run(lambda: auth.authenticate(Authenticate(provider="logout"), ctx)) == AuthenticateResponse()
    assert ctx.set_cookies == CLEARED
    assert logins(world) == 1  # someone else's login is untouched


@pytest.mark.parametrize("provider", ["credentials", "CREDENTIALS", "twitter"])
def test_get_sign_in_is_refused_before_the_password_is_checked(world: World, provider: str) -> None:
    auth, _ = make(world)
    for password in (ADMIN_PASSWORD, "wrong"):
        ctx = CallContext(None, verb="GET")
        with pytest.raises(NotSupported) as caught:
            run(auth.authenticate, Authenticate(provider=provider, user_name="admin", password=password), ctx)
        assert (caught.value.status_code, caught.value.error_code) == (405, "NotSupportedException")
        assert caught.value.message == (
            "GET Authenticate requests are disabled, to enable set AuthFeature.AllowGetAuthenticateRequests"
            " = req => true"
        )
        assert ctx.set_cookies == []
    assert logins(world) == 0


def test_get_auth_describes_the_current_caller(world: World) -> None:
    auth, _ = make(world)
    caller = Caller(user_id="u1", user_name="ann", roles=frozenset({"b", "c", "a"}), login_id="lid")
    for verb in ("GET", "POST"):
        ctx = CallContext(caller, login_id="lid", verb=verb)
        response = run(auth.authenticate, Authenticate(), ctx)
        assert response == AuthenticateResponse(
            user_id="u1", session_id="lid", user_name="ann", display_name="ann", roles=["a", "b", "c"]
        )
        assert ctx.set_cookies == []
    by_key = Caller(user_id="u2", user_name="bob", roles=frozenset())
    response = run(lambda: auth.authenticate(Authenticate(), CallContext(by_key, verb="GET")))
    assert (response.session_id, response.roles, response.auth_provider) == (None, [], None)


@pytest.mark.parametrize("verb", ["GET", "POST"])
def test_get_auth_without_a_caller_requires_auth(world: World, verb: str) -> None:
    auth, _ = make(world)
    with pytest.raises(AuthRequired):
        run(lambda: auth.authenticate(Authenticate(), CallContext(None, verb=verb)))
    with pytest.raises(AuthRequired):
        run(lambda: auth.authenticate(Authenticate(provider=""), CallContext(None, verb=verb)))


def test_unknown_provider_is_not_found_naming_it_as_sent(world: World) -> None:
    auth, _ = make(world)
    ctx = CallContext(None)
    with pytest.raises(NotFound) as caught:
        run(
            lambda: auth.authenticate(Authenticate(provider="Twitter", user_name="admin", password=ADMIN_PASSWORD), ctx)
        )
    assert caught.value.status_code == 404
    assert caught.value.message == "No configuration was added for OAuth provider 'Twitter'"
    assert ctx.set_cookies == [] and logins(world) == 0


@pytest.mark.parametrize("provider", [None, ""])
def test_get_sign_in_without_a_provider_is_refused(world: World, provider: str | None) -> None:
    # GET /auth?userName=admin&password=... : a password in a URL, which docs/auth.md says is refused.
    auth, _ = make(world)
    ctx = CallContext(None, verb="GET")
    with pytest.raises(NotSupported):
        run(auth.authenticate, Authenticate(provider=provider, user_name="admin", password=ADMIN_PASSWORD), ctx)
    assert ctx.set_cookies == []
    assert logins(world) == 0
