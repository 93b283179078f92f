"""Turning results and errors into HTTP responses: the one translation boundary (reference C)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.responses import Response
from wirecodecs import Codec, encode_declared

from .auth import WWW_AUTHENTICATE
from .context import Cookie
from .dtos import ErrorResponse, ResponseStatus

__all__ = ["JSONP_CONTENT_TYPE", "Reply", "sanitize_callback"]

JSONP_CONTENT_TYPE = "text/javascript"
_UNSAFE_CALLBACK = re.compile(r"[^A-Za-z0-9_.$\[\]]")


def sanitize_callback(name: str) -> str:
    """Only identifier characters survive, as ServiceStack's SafeVarRef allows (no script injection)."""
    return _UNSAFE_CALLBACK.sub("", name)


class Reply:
    """Everything the rendering needs to know about the request it answers."""

    __slots__ = ("_raw_callback", "callback", "codec", "debug", "method", "operation_name", "path", "query_string")

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
    ) -> None:
        self.codec = codec
        #: `?debug=1`: a codec with a pretty form (JSV) answers in it, as text/plain.
        self.debug = debug
        # Only JSON is wrapped: a `.xml` suffix outranks `?callback=`, and `cb(<?xml …>)` is no script.
        self.callback = sanitize_callback(callback) if callback and codec.format == "json" else None
        self._raw_callback = callback
        self.method = method
        self.path = path
        self.query_string = query_string
        self.operation_name = operation_name

    def with_codec(self, codec: Codec, *, operation_name: str | None) -> Reply:
        """The same request answered with another codec, for another operation."""
        return Reply(
            codec,
            callback=self._raw_callback,
            method=self.method,
            path=self.path,
            query_string=self.query_string,
            operation_name=operation_name,
            debug=self.debug,
        )

    def _headers(self, *, encoded: bool = True) -> dict[str, str]:
        headers = {"Vary": "Accept"}
        if encoded and self.codec.format == "csv" and self.operation_name:
            # CsvFormat offers the response as a download named after the operation.
            headers["Content-Disposition"] = f"attachment;filename={self.operation_name}.csv"
        return headers

    def body(
        self,
        payload: object,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        cookies: Iterable[Cookie] = (),
        declared_type: object = None,
    ) -> Response:
        """An encoded DTO; under JSONP wrapped as `cb(...)` and always 200 (reference G).

        `declared_type` is the operation's response type, for codecs that name things after it.
        """
        all_headers = self._headers()
        if headers:
            all_headers.update(headers)
        encoded = encode_declared(self.codec, payload, declared_type)
        pretty = getattr(self.codec, "pretty", None) if self.debug else None
        if self.callback:
            # Set as a header, not a media type, so Starlette adds no charset: exactly HostConfig.JsonpContentType.
            all_headers["Content-Type"] = JSONP_CONTENT_TYPE
            response = Response(self.callback.encode() + b"(" + encoded + b")", 200, all_headers)
        elif pretty is not None:
            all_headers.pop("Content-Disposition", None)
            response = Response(pretty(encoded).encode("utf-8"), status_code, all_headers, "text/plain")
        else:
            all_headers["Content-Type"] = self.codec.content_type
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
