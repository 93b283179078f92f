"""What a handler may know of and do to the HTTP exchange, without seeing HTTP itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from .caller import Caller

__all__ = ["CallContext", "Cookie"]


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    value: str
    #: Seconds; None makes a session cookie, 0 deletes it.
    max_age: int | None = None


@dataclass(slots=True)
class CallContext:
    caller: Caller | None
    #: Cookies for the response; the auth operation sets `ss-id` here.
    set_cookies: list[Cookie] = field(default_factory=list)
    #: The login id the request carried (cookie or `X-ss-id`), for logout.
    login_id: str | None = None
    #: The effective verb. Only ServiceStack's own Authenticate looks: it refuses secrets in a GET.
    verb: str = "POST"
    #: The client's address, for throttling sign-in failures per address.
    client: str | None = None
    #: The request's `If-Match` and `If-None-Match` values (None when absent, or in an auto-batch).
    if_match: str | None = None
    if_none_match: str | None = None
    #: Headers for the response (a session's `ETag`).
    response_headers: dict[str, str] = field(default_factory=dict)
    #: Set by a GET whose `If-None-Match` matched: the answer is 304 with no body.
    not_modified: bool = False
