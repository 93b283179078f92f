"""Turning results and errors into HTTP responses: the one translation boundary.

`Responder` answers one request in its negotiated codec; `for_exception` turns whatever the
pipeline raised into that request's answer, before or after a route is known.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import cast
from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response
from wirecodecs import Codec, JsConfig, Page, PrettyPrinting, capabilities_of, encode_declared, parse_jsconfig

from .answer_memo import AnswerMemo
from .auth import WWW_AUTHENTICATE
from .context import Cookie
from .dtos import ErrorResponse, ResponseStatus
from .errors import AuthRequired, RoleRequired, ServiceError, ServiceUnavailable
from .store.base import StoreUnavailable

__all__ = ["JSONP_CONTENT_TYPE", "Responder", "for_exception", "sanitize_callback"]

log = logging.getLogger("gateway")

JSONP_CONTENT_TYPE = "text/javascript"
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_UNSAFE_CALLBACK = re.compile(r"[^A-Za-z0-9_.$\[\]]")


def sanitize_callback(name: str) -> str:
    """Only identifier characters survive, as ServiceStack's SafeVarRef allows (no script injection)."""
    return _UNSAFE_CALLBACK.sub("", name)


class Responder:
    """Answers one request: everything the rendering needs to know about it, and its codec."""

    __slots__ = (
        "_capabilities",
        "callback",
        "codec",
        "debug",
        "formats",
        "jsconfig",
        "method",
        "operation_name",
        "path",
        "query_string",
    )

    def __init__(
        self,
        codec: Codec,
        *,
        callback: str | None,
        method: str,
        path: str,
        query_string: str,
        operation_name: str | None = None,
        debug: bool = False,
        jsconfig: str | None = None,
        formats: Sequence[str] = (),
    ) -> None:
        self.codec = codec
        self._capabilities = capabilities_of(codec)
        #: `?debug=1`: a codec with a pretty form (JSV) answers in it, as text/plain.
        self.debug = debug and self._capabilities.pretty
        # Only a JSONP codec is wrapped: a `.xml` suffix outranks `?callback=`, and `cb(<?xml …>)` is no script.
        self.callback = sanitize_callback(callback) if callback and self._capabilities.jsonp else None
        self.method = method
        self.path = path
        self.query_string = query_string
        self.operation_name = operation_name
        #: `?jsconfig=`, ServiceStack.Text's per-request serializer settings (HostConfig.AllowJsConfig).
        self.jsconfig: JsConfig | None = parse_jsconfig(jsconfig) if jsconfig else None
        #: The registered formats, in order: a page for people links to the request in each.
        self.formats = formats

    def _page(self, status_code: int) -> Page | None:
        """The page context for a codec that writes documents for people (HTML), else None."""
        if not self._capabilities.page:
            return None
        alternates: tuple[tuple[str, str], ...] = ()
        if self.method in ("GET", "HEAD"):  # a link can only repeat a GET
            # One leading slash: `//host/x` would be a link to another site.
            path = "/" + self.path.lstrip("/")
            query = [(k, v) for k, v in parse_qsl(self.query_string, keep_blank_values=True) if k.lower() != "format"]
            alternates = tuple(
                (fmt, f"{path}?{urlencode([*query, ('format', fmt)])}")
                for fmt in self.formats
                if fmt != self.codec.format
            )
        return Page(self.operation_name or "Response", status_code, alternates)

    def _headers(self, *, encoded: bool = True) -> dict[str, str]:
        headers = {"Vary": "Accept"}
        if encoded and self._capabilities.download and self.operation_name:
            # CsvFormat offers the response as a download named after the operation.
            headers["Content-Disposition"] = f"attachment;filename={self.operation_name}.{self.codec.format}"
        return headers

    def body(
        self,
        payload: object,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        cookies: Iterable[Cookie] = (),
        declared_type: object = None,
        memo: AnswerMemo | None = None,
    ) -> Response:
        """An encoded DTO; under JSONP wrapped as `cb(...)` and always 200, as ServiceStack answers JSONP.

        `declared_type` is the operation's response type, for codecs that name things after it;
        `memo` remembers the encoding when neither `?jsconfig=` nor a page changes it.
        """
        all_headers = self._headers()
        if headers:
            all_headers.update(headers)
        page = self._page(status_code)
        if memo is not None and self.jsconfig is None and page is None:
            encoded = memo.encode(self.codec, payload, declared_type)
        else:
            encoded = encode_declared(self.codec, payload, declared_type, jsconfig=self.jsconfig, page=page)
        if self.callback:
            # Set as a header, not a media type, so Starlette adds no charset: exactly HostConfig.JsonpContentType.
            all_headers["Content-Type"] = JSONP_CONTENT_TYPE
            response = Response(self.callback.encode() + b"(" + encoded + b")", 200, all_headers)
        elif self.debug:
            all_headers.pop("Content-Disposition", None)
            text = cast(PrettyPrinting, self.codec).pretty(encoded)
            response = Response(text.encode("utf-8"), status_code, all_headers, "text/plain")
        else:
            all_headers["Content-Type"] = self.codec.content_type
            if self._capabilities.page:
                # The page needs no script and no resource of its own: forbid them all.
                all_headers["Content-Security-Policy"] = _PAGE_POLICY
                all_headers["X-Content-Type-Options"] = "nosniff"
            response = _Encoded(encoded, status_code, all_headers)
        for cookie in cookies:
            _set_cookie(response, cookie)
        return response

    def no_content(self, *, headers: dict[str, str] | None = None, cookies: Iterable[Cookie] = ()) -> Response:
        all_headers = self._headers(encoded=False)
        if headers:
            all_headers.update(headers)
        response = Response(b"", 204, all_headers)
        for cookie in cookies:
            _set_cookie(response, cookie)
        return response

    def not_modified(self, *, headers: dict[str, str] | None = None) -> Response:
        """304: the client's copy (its If-None-Match) is current; no body, but the ETag again."""
        all_headers = self._headers(encoded=False)
        if headers:
            all_headers.update(headers)
        return Response(b"", 304, all_headers)

    def error(self, status: ResponseStatus, status_code: int, *, headers: dict[str, str] | None = None) -> Response:
        return self.body(ErrorResponse(response_status=status), status_code=status_code, headers=headers)

    def unauthorized(self) -> Response:
        """401 with an empty body and WWW-Authenticate, as AuthFeature's handler writes it."""
        if self.callback:
            return self.error(ResponseStatus(error_code="Unauthorized", message="Not Authenticated"), 401)
        headers = self._headers(encoded=False)
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return Response(b"", 401, headers)

    def forbidden(self, role: str) -> Response:
        """403 text/plain starting `Forbidden`, as ServiceStack's ForbiddenHttpHandler writes it."""
        if self.callback:
            return self.error(ResponseStatus(error_code="Forbidden", message="Invalid Role"), 403)
        text = (
            "Forbidden\n"
            f"Request.HttpMethod: {self.method}\n"
            f"Request.PathInfo: {self.path}\n"
            f"Request.QueryString: {self.query_string}\n"
        )
        return Response(text.encode(), 403, self._headers(encoded=False), "text/plain")


def error_code_of(exc: Exception) -> str:
    """The `ErrorCode` that `for_exception` answers `exc` with (for the access log and metrics)."""
    if isinstance(exc, AuthRequired):
        return "Unauthorized"
    if isinstance(exc, RoleRequired):
        return "Forbidden"
    if isinstance(exc, StoreUnavailable):
        return ServiceUnavailable.error_code
    if isinstance(exc, ServiceError):
        return exc.error_code
    return type(exc).__name__


def for_exception(exc: Exception, responder: Responder) -> Response:
    """The answer to a request whose handling raised `exc`: every failure ends here."""
    if isinstance(exc, AuthRequired):
        return responder.unauthorized()
    if isinstance(exc, RoleRequired):
        return responder.forbidden(exc.role)
    if isinstance(exc, StoreUnavailable):
        log.error("store unavailable on %s %s: %s", responder.method, responder.path, exc)
        exc = ServiceUnavailable("The data store is unavailable; try again later.")
    if isinstance(exc, ServiceError):
        return responder.error(exc.to_status(), exc.status_code, headers=exc.headers)
    # The last line of defence: log it, answer in the caller's format.
    log.error("unhandled error on %s %s", responder.method, responder.path, exc_info=exc)
    return responder.error(ResponseStatus(error_code=type(exc).__name__, message=str(exc)), 500)


class _Encoded(Response):
    """A body the codec has already encoded, its headers written as bytes directly.

    Starlette's `init_headers` would look each name up again, re-encode and re-scan the list:
    on every successful answer that is a measurable slice of the gateway's own time.
    """

    def __init__(self, body: bytes, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ]
        if status_code >= 200 and status_code not in (204, 304):
            self.raw_headers.append((b"content-length", b"%d" % len(body)))


def _set_cookie(response: Response, cookie: Cookie) -> None:
    if cookie.max_age == 0:
        response.delete_cookie(cookie.name, path="/", httponly=True, samesite="lax")
    else:
        response.set_cookie(cookie.name, cookie.value, max_age=cookie.max_age, path="/", httponly=True, samesite="lax")
