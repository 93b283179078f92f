"""CORS, opt-in like ServiceStack's CorsFeature: its headers on every answer, and OPTIONS answered.

CorsFeature adds its headers to ServiceStack's global response headers, so every answer carries
them (errors, probes and pages included), and answers every OPTIONS request itself, preflight or
not, with those headers and an empty 200. With a list of origins it writes
`Access-Control-Allow-Origin` only when the request's `Origin` is in the list (exactly), echoing it;
`Vary: Origin` is added here so a shared cache never hands one origin's answer to another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .headers import RawHeaders, add_vary, header_value

__all__ = ["ANY_ORIGIN", "DEFAULT_HEADERS", "DEFAULT_MAX_AGE", "DEFAULT_METHODS", "Cors", "CorsPolicy", "check_origin"]

#: CorsFeature's defaults.
ANY_ORIGIN = "*"
DEFAULT_METHODS = "GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD"
DEFAULT_HEADERS = "Content-Type"
DEFAULT_MAX_AGE = 600  # seconds a browser may cache a preflight (Chrome's own maximum)

# What a browser sends as Origin: scheme://host[:port], nothing after.
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s?#]+")


def check_origin(text: str) -> str:
    """`text` if it is `*` or an origin as browsers send it; ValueError otherwise."""
    if text == ANY_ORIGIN or _ORIGIN.fullmatch(text):
        return text
    raise ValueError(f"not an origin (scheme://host[:port], no path) or *: {text!r}")


@dataclass(frozen=True)
class CorsPolicy:
    #: `("*",)` for any origin, else the origins allowed, compared exactly.
    origins: tuple[str, ...]
    allow_credentials: bool = False
    allowed_headers: str = DEFAULT_HEADERS
    allowed_methods: str = DEFAULT_METHODS
    max_age: int = DEFAULT_MAX_AGE

    def __post_init__(self) -> None:
        if not self.origins:
            raise ValueError("CORS needs at least one origin, or *")
        for origin in self.origins:
            check_origin(origin)
        if ANY_ORIGIN in self.origins and len(self.origins) > 1:
            raise ValueError("CORS origins are either * or a list of origins, not both")
        if self.allow_credentials and self.any_origin:
            # Browsers refuse credentials with `Access-Control-Allow-Origin: *` (Fetch standard).
            raise ValueError("CORS credentials need a list of origins: browsers refuse them with *")

    @property
    def any_origin(self) -> bool:
        return self.origins == (ANY_ORIGIN,)

    def headers_for(self, origin: bytes | None) -> RawHeaders:
        """The CORS headers of an answer to a request from `origin`, in CorsFeature's order."""
        headers: RawHeaders = []
        if self.any_origin:
            headers.append((b"access-control-allow-origin", b"*"))
        elif origin is not None and origin.decode("latin-1") in self.origins:
            headers.append((b"access-control-allow-origin", origin))
        headers.append((b"access-control-allow-methods", self.allowed_methods.encode("latin-1")))
        headers.append((b"access-control-allow-headers", self.allowed_headers.encode("latin-1")))
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        headers.append((b"access-control-max-age", str(self.max_age).encode()))
        return headers


class Cors:
    """The ASGI layer applying a CorsPolicy."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self._app = app
        self._policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = self._policy
        cors_headers = policy.headers_for(header_value(scope["headers"], b"origin"))
        if scope["method"] == "OPTIONS":
            headers = [*cors_headers, (b"vary", b"Accept"), (b"content-length", b"0")]
            if not policy.any_origin:
                headers = add_vary(headers, b"Origin")
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *cors_headers]
                if not policy.any_origin:
                    headers = add_vary(headers, b"Origin")
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, sender)
