"""One request, end to end: route, negotiate, authenticate, bind, call, encode.

Every failure on the way ends in `Reply`, in the negotiated format; nothing reaches the store
until the request has been authenticated and its DTO bound without error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import GenericAlias
from typing import Any, cast
from urllib.parse import parse_qsl

from python_multipart.multipart import parse_options_header
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from wirecodecs import Codec, CodecRegistry, DecodeError, ValidationError

from .auth import AuthService, Credentials
from .binding import flatten_params, overlay
from .context import CallContext
from .dtos import ResponseError, ResponseStatus
from .errors import (
    AuthRequired,
    NotAcceptable,
    PayloadTooLarge,
    RoleRequired,
    SerializationError,
    ServiceError,
    ServiceUnavailable,
)
from .negotiation import FORM_MEDIA_TYPES, NegotiationInput, Negotiator
from .operations import Handlers
from .responses import Reply
from .routing import PathInfo, RouteKind, RouteMatch, Router, split_suffix
from .store.base import StoreUnavailable

__all__ = ["Endpoint"]

log = logging.getLogger("gateway")


def _bare(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _lookup(params: Mapping[str, str], name: str) -> str | None:
    """`params[name]`, with the name matched case-insensitively (the exact spelling first)."""
    value = params.get(name)
    if value is None and params:
        lowered = name.lower()
        value = next((v for k, v in params.items() if k.lower() == lowered), None)
    return value


#: Fields that hold one value: a repeat is not a list to fold (`application/json, application/json`
#: would name no codec); the first one counts.
_SINGLETON_HEADERS = frozenset({"content-type", "content-length", "authorization", "host"})


class Incoming:
    """The parts of a request the pipeline reads, parsed once from the ASGI scope.

    Starlette's `Request.headers`/`url`/`query_params` re-scan or rebuild on each access; on a
    request that does little else, that showed up as a fifth of the gateway's own time.
    """

    __slots__ = ("_lowered", "accept", "content_type", "headers", "http1", "path", "query", "query_string", "request")

    def __init__(self, request: Request) -> None:
        scope = request.scope
        self.request = request
        self.path: str = scope["path"]
        self.http1: bool = scope.get("http_version", "1.1") in ("1.0", "1.1")
        self.query_string: str = scope["query_string"].decode("latin-1")
        headers: dict[str, str] = {}
        #: Each Accept line as sent: ASP.NET Core hands ServiceStack the lines unsplit (reference B.2).
        self.accept: list[str] = []
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            if name == "accept":
                self.accept.append(value)
            if name not in headers:
                headers[name] = value
            elif name not in _SINGLETON_HEADERS:
                # Repeated list headers fold into one comma-separated value (RFC 9110 5.3).
                headers[name] = f"{headers[name]}, {value}"
        self.headers = headers
        self.query: dict[str, str] = (
            flatten_params(parse_qsl(self.query_string, keep_blank_values=True)) if self.query_string else {}
        )
        self.content_type: str | None = headers.get("content-type")
        self._lowered: dict[str, str] | None = None

    def param(self, name: str) -> str | None:
        """A query parameter by name, case-insensitively, as ASP.NET's QueryString reads it."""
        value = self.query.get(name)
        if value is None and self.query:
            if self._lowered is None:  # built once, on the first miss, for the request's switches
                self._lowered = {}
                for key, item in self.query.items():
                    self._lowered.setdefault(key.lower(), item)
            value = self._lowered.get(name.lower())
        return value

    @property
    def cookies(self) -> Mapping[str, str]:
        return self.request.cookies if "cookie" in self.headers else {}


async def _read_body(incoming: Incoming, limit: int) -> bytes:
    declared = incoming.headers.get("content-length", "")
    if not declared and "transfer-encoding" not in incoming.headers and incoming.http1:
        return b""  # no framing headers: HTTP/1.x says there is no body (RFC 9112 6.3)
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in incoming.request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_form(incoming: Incoming, body: bytes) -> dict[str, str]:
    if _bare(incoming.content_type) == "application/x-www-form-urlencoded":
        try:
            # Browsers send the page's charset; ServiceStack reads UTF-8, raw or percent-encoded.
            text = body.decode("utf-8")
            return flatten_params(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            raise SerializationError("Could not read the form body: it is not UTF-8") from None

    # Starlette's parser takes a body cut off before its closing delimiter as complete (the torn
    # part just vanishes); a request that lost its end must not bind half its fields.
    boundary = _boundary(incoming.content_type or "")
    if boundary and b"--" + boundary + b"--" not in body:
        raise SerializationError("Could not read the multipart/form-data body: it has no closing boundary")
    # multipart: replay the already-read (size-checked) body into Starlette's parser.
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(incoming.request.scope, replay).form()
    except MultiPartException as exc:  # no boundary, a torn part, too many fields or files
        raise SerializationError(f"Could not read the multipart/form-data body: {exc.message}") from None
    try:
        return flatten_params((k, v) for k, v in form.multi_items() if isinstance(v, str))
    finally:
        await form.close()


def _boundary(content_type: str) -> bytes | None:
    # The same parser Starlette's form parser reads the boundary with, so the two always agree.
    _, params = parse_options_header(content_type)
    return params.get(b"boundary") or None


def _serialization_error(exc: DecodeError, content_type: str, type_name: str) -> SerializationError:
    # "" marks values bound from the path, query or form, which no content type describes.
    source = f"'{content_type}' request" if content_type else "request parameters"
    message = f"Could not deserialize {source} using {type_name}: {exc}"
    errors = []
    if isinstance(exc, ValidationError):
        errors = [
            ResponseError(error_code="SerializationException", field_name=e.field_name, message=e.message)
            for e in exc.errors
        ]
    return SerializationError(message, errors=errors)


class Endpoint:
    """The Starlette endpoint behind every route of the gateway."""

    def __init__(
        self,
        *,
        router: Router,
        registry: CodecRegistry,
        negotiator: Negotiator,
        auth: AuthService,
        handlers: Handlers,
        max_body_bytes: int,
    ) -> None:
        self._router = router
        self._registry = registry
        self._formats = frozenset(registry.formats())
        self._negotiator = negotiator
        json = registry.by_format("json")
        assert json is not None, "the JSON codec is always registered"
        self._json = json
        self._auth = auth
        self._handlers = handlers
        self._max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The endpoint as an ASGI app (what GatewayApp calls for every operation request)."""
        try:
            response = await self.handle(Request(scope, receive))
        except ClientDisconnect:  # the client left mid-body: there is nobody to answer
            log.info("client disconnected before its request body ended: %s", scope.get("path"))
            return
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        incoming = Incoming(request)
        info = split_suffix(incoming.path, self._formats)
        method = (
            incoming.headers.get("x-http-method-override") or incoming.param("X-Http-Method-Override") or request.method
        ).upper()
        match: RouteMatch | None = None
        routing_error: ServiceError | None = None
        try:
            match = self._router.match(method, info.path)
        except ServiceError as exc:
            routing_error = exc
        content_type = incoming.content_type
        callback = incoming.param("callback")
        codec, refusal = self._negotiate(incoming, info, match, callback)
        reply = Reply(
            codec,
            callback=callback,
            method=method,
            path=info.path,
            query_string=incoming.query_string,
            operation_name=match.operation.name if match else None,
            debug=(incoming.param("debug") or "").lower() in ("1", "true"),
        )
        try:
            body = await _read_body(incoming, self._max_body)
            form: dict[str, str] = {}
            if _bare(content_type) in FORM_MEDIA_TYPES:
                form = await _read_form(incoming, body)
                override = _lookup(form, "X-Http-Method-Override")
                if override and override.upper() != method:
                    # The request is another operation now: route, negotiate and describe it anew.
                    method = reply.method = override.upper()
                    match, routing_error = None, None
                    match = self._router.match(method, info.path)
                    codec, refusal = self._negotiate(incoming, info, match, callback)
                    reply = reply.with_codec(codec, operation_name=match.operation.name)
            if routing_error is not None:
                raise routing_error
            if refusal is not None:
                raise refusal
            assert match is not None
            return await self._run(incoming, match, reply, info.suffix_format, body, form)
        except AuthRequired:
            return reply.unauthorized()
        except RoleRequired as exc:
            return reply.forbidden(exc.role)
        except ServiceError as exc:
            return self._error(reply, exc)
        except ClientDisconnect:
            raise
        except StoreUnavailable as exc:
            log.error("store unavailable on %s %s: %s", method, info.path, exc)
            return self._error(reply, ServiceUnavailable("The data store is unavailable; try again later."))
        except Exception as exc:  # the last line of defence: log it, answer in the caller's format
            log.exception("unhandled error on %s %s", method, info.path)
            return reply.error(ResponseStatus(error_code=type(exc).__name__, message=str(exc)), 500)

    def _negotiate(
        self, incoming: Incoming, info: PathInfo, match: RouteMatch | None, callback: str | None
    ) -> tuple[Codec, NotAcceptable | None]:
        """The response codec, or JSON and the 406 to answer with (strict mode only)."""
        negotiation = NegotiationInput(
            path=info.path,
            suffix_format=info.suffix_format,
            route_kind=match.kind if match else None,
            query_format=incoming.param("format"),
            has_callback=callback is not None,
            accept=incoming.accept,
            content_type=incoming.content_type,
        )
        try:
            return self._negotiator.response_codec(negotiation), None
        except NotAcceptable as exc:
            # Nothing the client accepts is available: say so in JSON, as DRF does with its first renderer.
            return self._json, exc

    def _error(self, reply: Reply, exc: ServiceError, headers: dict[str, str] | None = None) -> Response:
        extra = dict(headers or {})
        allowed = getattr(exc, "allowed", None)
        if allowed:
            extra["Allow"] = ", ".join(allowed)
        return reply.error(exc.to_status(), exc.status_code, headers=extra)

    async def _run(
        self,
        incoming: Incoming,
        match: RouteMatch,
        reply: Reply,
        suffix_format: str | None,
        body: bytes,
        form: dict[str, str],
    ) -> Response:
        operation = match.operation
        credentials = Credentials(incoming.headers, incoming.cookies)
        caller = await self._auth.identify(credentials) if credentials.present else None
        if operation.requires_auth:
            if caller is None:
                raise AuthRequired()
            role = operation.required_role
            if role is not None and not caller.has_role(role):
                raise RoleRequired(role)
        ctx = CallContext(caller, login_id=credentials.login_id, verb=reply.method)
        query = incoming.query
        if match.batch:
            return await self._run_batch(match, reply, suffix_format, body, ctx)
        dto = self._bind(incoming, match, suffix_format, body, query, form)
        result = await operation.handler(self._handlers, dto, ctx)
        if match.oneway or result is None:
            return reply.no_content(cookies=ctx.set_cookies)
        return reply.body(result, cookies=ctx.set_cookies, declared_type=operation.response_type)

    def _bind(
        self,
        incoming: Incoming,
        match: RouteMatch,
        suffix_format: str | None,
        body: bytes,
        query: dict[str, str],
        form: dict[str, str],
    ) -> Any:
        request_type = match.operation.request_type
        content_type = incoming.content_type or ""
        has_body = bool(body.strip()) and not form and _bare(content_type) not in FORM_MEDIA_TYPES
        dto = request_type()
        codec: Codec | None = None
        if has_body and match.kind is RouteKind.CUSTOM:
            codec = self._negotiator.request_codec(content_type)
        elif has_body:  # predefined routes read the body in their own format
            codec = self._registry.by_format(match.path_format or suffix_format or "json")
            assert codec is not None  # the router only yields registered formats
            content_type = codec.media_type
        if codec is not None:
            try:
                dto = codec.decode(body, request_type)
            except DecodeError as exc:
                raise _serialization_error(exc, content_type, request_type.__name__) from None
        try:
            if match.kind is RouteKind.CUSTOM:
                return overlay(dto, {**match.path_params, **query, **form})
            if codec is not None:
                return overlay(dto, query, only_defaults=True)
            return overlay(dto, {**query, **form})
        except DecodeError as exc:  # a path, query or form value of the wrong type
            raise _serialization_error(exc, "", request_type.__name__) from None

    async def _run_batch(
        self, match: RouteMatch, reply: Reply, suffix_format: str | None, body: bytes, ctx: CallContext
    ) -> Response:
        operation = match.operation
        codec = self._registry.by_format(match.path_format or suffix_format or "json")
        assert codec is not None
        try:
            batch_type = GenericAlias(list, (operation.request_type,))
            requests: list[Any] = codec.decode(body, cast(Any, batch_type)) if body.strip() else []
        except DecodeError as exc:
            raise _serialization_error(exc, codec.media_type, f"{operation.request_type.__name__}[]") from None
        results: list[Any] = []
        for index, dto in enumerate(requests):
            try:
                results.append(await operation.handler(self._handlers, dto, ctx))
            except ServiceError as exc:
                exc.meta = {**(exc.meta or {}), "AutoBatchIndex": str(index)}
                return self._error(reply, exc, {"X-AutoBatch-Completed": str(index)})
        headers = {"X-AutoBatch-Completed": str(len(results))}
        if match.oneway:
            return reply.no_content(headers=headers)
        return reply.body(results, headers=headers, declared_type=GenericAlias(list, (operation.response_type,)))
