"""One request, in one pass: effective verb → route → negotiate → read body → authenticate → bind
→ verb check → handler → encode.

Every step may raise; `responses.for_exception` turns whatever was raised into the answer, in the
negotiated format when negotiation got that far and in a best-effort one otherwise. Nothing reaches
the store until the request is authenticated and its DTO bound without error.
"""

from __future__ import annotations

import logging
from functools import partial
from types import GenericAlias
from typing import Any, cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from wirecodecs import Codec, CodecRegistry, DecodeError

from .answer_memo import AnswerMemo
from .auth import AuthService, Credentials
from .binding import bind_request, serialization_error
from .body import is_form, read_body, read_form
from .caller import Caller
from .context import CallContext
from .disconnect import Unwatched, watch_disconnect
from .errors import ArgumentError, AuthRequired, NotAcceptable, RoleRequired, ServiceError
from .limits import BatchTooLarge, RequestLimits, ResponseBudget, check_strings, checked_after_encoding
from .negotiation import NegotiationCache, NegotiationInput, Negotiator, first_segment
from .operations import Operation, Services
from .request import ParsedRequest, lookup_param
from .responses import Responder, error_code_of, for_exception
from .routing import PathInfo, RouteKind, RouteMatch, Router, check_verb, split_suffix
from .serving.record import RequestRecord, request_record

__all__ = ["Endpoint"]

log = logging.getLogger("gateway")

#: A NegotiationInput from its fields in order, without the keyword-taking constructor, which cost
#: as much as the lookup in the negotiation cache it keys.
_new_negotiation_input = partial(tuple.__new__, NegotiationInput)


class _Exchange:
    """What the pass has learnt of one request so far; the error boundary answers from it."""

    __slots__ = ("body", "caller", "error_code", "form", "info", "match", "request", "responder", "verb")

    def __init__(self, request: ParsedRequest, info: PathInfo) -> None:
        self.request = request
        self.info = info
        self.verb = _effective_verb(request, None)
        self.body: bytes | None = None
        #: The fields of a form body; None when the body is not a form.
        self.form: dict[str, str] | None = None
        self.match: RouteMatch | None = None
        self.responder: Responder | None = None
        self.caller: Caller | None = None
        #: The ServiceStack error code the request was answered with, if it failed.
        self.error_code: str | None = None

    def fill(self, record: RequestRecord) -> None:
        """Tell the access log and the metrics what ran, in which format, for whom, and how it failed."""
        if self.match is not None:
            record.operation = self.match.operation.name
        if self.responder is not None:
            record.format = self.responder.codec.format
        if self.caller is not None:
            record.user_id = self.caller.user_id
        record.error_code = self.error_code


def _effective_verb(request: ParsedRequest, form: dict[str, str] | None) -> str:
    """`X-Http-Method-Override` as a header, then a query parameter, then a form field."""
    override = (
        request.headers.get("x-http-method-override")
        or request.param("X-Http-Method-Override")
        or (lookup_param(form, "X-Http-Method-Override") if form else None)
    )
    return (override or request.request.method).upper()


class Endpoint:
    """The ASGI app behind every operation path of the gateway."""

    def __init__(
        self,
        *,
        router: Router,
        registry: CodecRegistry,
        negotiator: Negotiator,
        auth: AuthService,
        services: Services,
        max_body_bytes: int,
        limits: RequestLimits | None = None,
    ) -> None:
        self._router = router
        self._formats = frozenset(registry.formats())
        self._format_order = tuple(registry.formats())
        self._negotiator = negotiator
        self._negotiations = NegotiationCache(negotiator)
        json = registry.by_format("json")
        assert json is not None, "the JSON codec is always registered"
        self._json = json
        self._auth = auth
        self._services = services
        self._max_body = max_body_bytes
        self._limits = limits or RequestLimits()
        #: The encodings of flat records that reads answered, by value (gateway/answer_memo.py).
        self._answers = AnswerMemo()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.handle(Request(scope, receive))
        except ClientDisconnect:  # the client left: there is nobody to answer
            log.info("client disconnected before its answer: %s", scope.get("path"))
            return
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        parsed = ParsedRequest(request)
        exchange = _Exchange(parsed, split_suffix(parsed.path, self._formats))
        try:
            response = await self._run(exchange)
        except ClientDisconnect:
            record = request_record(request.scope)
            if record is not None:
                exchange.error_code = "ClientDisconnected"
                exchange.fill(record)
            raise
        except Exception as exc:
            exchange.responder = self._error_responder(exchange)
            exchange.error_code = error_code_of(exc)
            response = for_exception(exc, exchange.responder)
        record = request_record(request.scope)
        if record is not None:
            exchange.fill(record)
        return response

    async def _run(self, exchange: _Exchange) -> Response:
        request = exchange.request
        credentials = Credentials(request.headers, request.cookies, client=request.client)
        identified = False
        if is_form(request.content_type):
            # A form may carry the verb, so it is read before routing (a form too large for the
            # limit is refused before its path is looked at), and so its caller is known first:
            # an anonymous form is held to the anonymous limit before it is parsed.
            exchange.caller = await self._identify(credentials)
            identified = True
            exchange.body = await read_body(request, self._body_limit(exchange.caller))
            exchange.form = await read_form(request, exchange.body)
            exchange.verb = _effective_verb(request, exchange.form)
        match = exchange.match = self._router.match(exchange.verb, exchange.info.path)
        codecs = self._negotiations.negotiate(self._negotiation_input(exchange))
        responder = exchange.responder = self._responder(exchange, codecs.response)

        operation = match.operation
        if identified:
            caller = exchange.caller
        else:
            caller = self._auth.recognised(credentials) or await self._identify(credentials)
        exchange.caller = caller
        # Read once the caller is known, so an anonymous body is held to the anonymous limit before
        # any of it is decoded. (Read even when the answer will be 401: a client that broke its
        # body off is seen leaving here, rather than answered on a connection already closing.)
        body = exchange.body if exchange.body is not None else await read_body(request, self._body_limit(caller))
        if operation.requires_auth:
            if caller is None:
                raise AuthRequired()
            role = operation.required_role
            if role is not None and not caller.has_role(role):
                raise RoleRequired(role)
        ctx = CallContext(caller, login_id=credentials.login_id, verb=exchange.verb, client=credentials.client)

        limits = self._limits
        if match.batch:
            _refuse_batch_preconditions(request)
            requests = _decode_batch(operation, codecs.request, body)
            if len(requests) > limits.max_batch_requests:
                raise BatchTooLarge(len(requests), limits.max_batch_requests)
            for dto in requests:
                check_strings(dto, limits.max_string_length)
            check_verb(match, exchange.verb)
            return await self._run_batch(operation, requests, responder, ctx, request)
        dto = bind_request(
            operation.request_type,
            custom_route=match.kind is RouteKind.CUSTOM,
            codec=codecs.request,
            content_type=request.content_type or "",
            body=body,
            path_params=match.path_params,
            query=request.query,
            form=exchange.form,
        )
        # Bound from the URL alone, a DTO holds no string longer than the URL (decoding only shortens).
        if (
            body
            or exchange.form is not None
            or len(request.path) + len(request.query_string) > limits.max_string_length
        ):
            check_strings(dto, limits.max_string_length)
        check_verb(match, exchange.verb)
        ctx.if_match = request.headers.get("if-match")
        ctx.if_none_match = request.headers.get("if-none-match")
        watching = watch_disconnect(request.request.receive) if operation.costly(dto) else Unwatched()
        async with watching as watch:
            result = await operation.handler(self._services, dto, ctx)
            if ctx.not_modified:
                return responder.not_modified(headers=ctx.response_headers)
            # A oneway without a message queue runs in-process and answers like a reply, as ServiceStack's
            # ExecuteOneWay does when no IMessageFactory is registered.
            if result is None:
                return responder.no_content(headers=ctx.response_headers, cookies=ctx.set_cookies)
            watch.check()  # the client may have left while the store answered: encode nothing for nobody
            budget = ResponseBudget(limits.max_response_bytes)
            after = checked_after_encoding(result)
            if not after:
                budget.spend(result)
            response = responder.body(
                result,
                headers=ctx.response_headers,
                cookies=ctx.set_cookies,
                declared_type=operation.response_type,
                # A read answers an unchanged record alike every time; a write's answer is new.
                memo=self._answers if operation.verb == "GET" else None,
            )
            if after:
                budget.spend_encoded(result, len(response.body))
            return response

    async def _identify(self, credentials: Credentials) -> Caller | None:
        return await self._auth.identify(credentials) if credentials.present else None

    def _body_limit(self, caller: Caller | None) -> int:
        """The general limit for an authenticated caller; far less for anyone else (a sign-in)."""
        return self._max_body if caller is not None else min(self._max_body, self._limits.max_anonymous_body_bytes)

    async def _run_batch(
        self, operation: Operation, requests: list[Any], responder: Responder, ctx: CallContext, request: ParsedRequest
    ) -> Response:
        results: list[Any] = []
        budget = ResponseBudget(self._limits.max_response_bytes)
        async with watch_disconnect(request.request.receive) as watch:
            for index, dto in enumerate(requests):
                try:
                    result = await operation.handler(self._services, dto, ctx)
                    budget.spend(result)
                except ServiceError as exc:
                    exc.meta = {**(exc.meta or {}), "AutoBatchIndex": str(index)}
                    exc.headers["X-AutoBatch-Completed"] = str(index)
                    raise
                results.append(result)
            watch.check()
            headers = {"X-AutoBatch-Completed": str(len(results))}
            declared = GenericAlias(list, (operation.response_type,))
            return responder.body(results, headers=headers, declared_type=declared)

    def _negotiation_input(self, exchange: _Exchange) -> NegotiationInput:
        request, info, match = exchange.request, exchange.info, exchange.match
        query_format, callback = (request.param("format"), request.param("callback")) if request.query else (None, None)
        return _new_negotiation_input(
            (  # NegotiationInput's fields, in its order
                first_segment(info.path),
                info.suffix_format,
                match.kind if match else None,
                query_format,
                callback is not None,
                tuple(request.accept),
                request.content_type,
                match.path_format if match else None,
                request.declares_body,
            )
        )

    def _responder(self, exchange: _Exchange, codec: Codec) -> Responder:
        request = exchange.request
        if request.query:
            callback, jsconfig = request.param("callback"), request.param("jsconfig")
            debug = (request.param("debug") or "").lower() in ("1", "true")
        else:  # the three switches are query parameters
            callback, jsconfig, debug = None, None, False
        return Responder(
            codec,
            callback=callback,
            method=exchange.verb,
            path=exchange.info.path,
            query_string=request.query_string,
            operation_name=exchange.match.operation.name if exchange.match else None,
            debug=debug,
            jsconfig=jsconfig,
            formats=self._format_order,
        )

    def _error_responder(self, exchange: _Exchange) -> Responder:
        """The negotiated responder, or, when the failure came first, the best one to be had."""
        if exchange.responder is not None:
            return exchange.responder
        try:
            codec = self._negotiator.response_codec(self._negotiation_input(exchange))
        except NotAcceptable:
            # Nothing the client accepts is available: say so in JSON, as DRF does with its first renderer.
            codec = self._json
        return self._responder(exchange, codec)


def _refuse_batch_preconditions(request: ParsedRequest) -> None:
    """A batch has no one session for If-Match to name; ignoring it would write unguarded."""
    if "if-match" in request.headers:
        raise ArgumentError("If-Match", "If-Match applies to one session; an auto-batch cannot carry it.")


def _decode_batch(operation: Operation, codec: Codec | None, body: bytes) -> list[Any]:
    if codec is None or not body.strip():
        return []
    try:
        return cast(list[Any], codec.decode(body, cast(Any, GenericAlias(list, (operation.request_type,)))))
    except DecodeError as exc:
        raise serialization_error(exc, codec.media_type, f"{operation.request_type.__name__}[]") from None
