"""The operation table: one entry per operation. Routes, predefined routes, batching, auth checks,
metadata and the OpenAPI document all derive from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .dtos import (
    AISessionInfo,
    Authenticate,
    AuthenticateResponse,
    DeleteAISession,
    Dto,
    GetAISession,
    ListAISessions,
    ListResponse,
    NewAISession,
    PatchAISession,
)
from .preconditions import entity_tag, if_match, none_match
from .service import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:
    from .auth import AuthService
    from .context import CallContext
    from .service import SessionService, Versioned

__all__ = ["OPERATIONS", "SYSTEM_ADMINISTRATOR", "Operation", "RouteSpec", "Services", "find_operation"]

SYSTEM_ADMINISTRATOR = "SystemAdministrator"


@dataclass(frozen=True, slots=True)
class Services:
    """The services the operations' handlers call into, built once per app."""

    sessions: SessionService
    auth: AuthService


Handler = Callable[[Services, Any, "CallContext"], Awaitable[Any]]


def _never(request: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class RouteSpec:
    path: str
    verbs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    description: str
    #: The marker interface verb (IPatch → PATCH): what predefined routes and batches run it as.
    verb: str
    routes: tuple[RouteSpec, ...]
    request_type: type[Dto]
    #: None for operations that return nothing (answered with 204 No Content).
    response_type: Any
    handler: Handler
    requires_auth: bool = True
    required_role: str | None = SYSTEM_ADMINISTRATOR
    #: ServiceStack's own operations (Authenticate) are not part of the Evo Voice API family.
    builtin: bool = False
    #: Wire names of the members the service rejects when null or empty (its ArgumentNullException,
    #: a 400). Evo Voice declares none of them `[ApiMember(IsRequired=true)]`, so the metadata pages
    #: and generated DTOs keep showing them optional; the OpenAPI document marks them required.
    required: tuple[str, ...] = ()
    #: The conditional request header the operation honours (`If-None-Match` → 304, `If-Match` →
    #: 412; gateway/preconditions.py), for the OpenAPI document.
    precondition: str | None = None
    #: Whether this request's work grows with the data (a long list): the endpoint then abandons
    #: it when the client disconnects. Single rows and a default page finish sooner than the watch
    #: (a listening task) would cost; batches are always watched.
    costly: Callable[[Any], bool] = _never

    @property
    def response_name(self) -> str | None:
        """The .NET name of the response type, `ListResponse<AISessionInfo>` style."""
        tp = self.response_type
        if tp is None:
            return None
        origin = getattr(tp, "__origin__", None)
        if origin is not None:
            args = ",".join(a.__name__ for a in tp.__args__)
            return f"{origin.__name__}<{args}>"
        return str(tp.__name__)


def _tagged(ctx: CallContext, found: Versioned) -> AISessionInfo:
    ctx.response_headers["ETag"] = entity_tag(found.version)
    return found.info


async def _new(services: Services, request: NewAISession, ctx: CallContext) -> AISessionInfo:
    assert ctx.caller is not None
    return _tagged(ctx, await services.sessions.new_versioned(request, ctx.caller))


def _more_than_a_page(request: ListAISessions) -> bool:
    return request.all or request.count_per_page > DEFAULT_PAGE_SIZE


async def _list(services: Services, request: ListAISessions, ctx: CallContext) -> ListResponse[AISessionInfo]:
    assert ctx.caller is not None
    return await services.sessions.list(request, ctx.caller)


async def _get(services: Services, request: GetAISession, ctx: CallContext) -> AISessionInfo:
    assert ctx.caller is not None
    found = await services.sessions.get_versioned(request, ctx.caller)
    # If-None-Match answers 304 for GET only (RFC 9110 §13.1.2); the verb check already refuses
    # others here, this says so where the 304 is decided.
    if ctx.verb == "GET" and none_match(ctx.if_none_match, found.version):
        ctx.not_modified = True
    return _tagged(ctx, found)


async def _patch(services: Services, request: PatchAISession, ctx: CallContext) -> AISessionInfo:
    assert ctx.caller is not None
    expected = if_match(ctx.if_match)
    return _tagged(ctx, await services.sessions.patch_versioned(request, ctx.caller, expected=expected))


async def _delete(services: Services, request: DeleteAISession, ctx: CallContext) -> None:
    assert ctx.caller is not None
    await services.sessions.delete(request, ctx.caller, expected=if_match(ctx.if_match))


async def _authenticate(services: Services, request: Authenticate, ctx: CallContext) -> AuthenticateResponse:
    return await services.auth.authenticate(request, ctx)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        name="NewAISession",
        description="Creates a new session",
        verb="POST",
        routes=(RouteSpec("/ai/sessions", ("POST",)),),
        request_type=NewAISession,
        response_type=AISessionInfo,
        handler=_new,
        required=("accountId",),
    ),
    Operation(
        name="ListAISessions",
        description="Lists the AI sessions",
        verb="GET",
        routes=(RouteSpec("/ai/sessions", ("GET",)),),
        request_type=ListAISessions,
        response_type=ListResponse[AISessionInfo],
        handler=_list,
        costly=_more_than_a_page,
    ),
    Operation(
        name="GetAISession",
        description="Get the specified session",
        verb="GET",
        routes=(RouteSpec("/ai/sessions/{sessionId}", ("GET",)),),
        request_type=GetAISession,
        response_type=AISessionInfo,
        handler=_get,
        required=("sessionId",),
        precondition="If-None-Match",
    ),
    Operation(
        name="PatchAISession",
        description="Update a specific session",
        verb="PATCH",
        routes=(RouteSpec("/ai/sessions/{sessionId}", ("PATCH",)),),
        request_type=PatchAISession,
        response_type=AISessionInfo,
        handler=_patch,
        required=("sessionId",),
        precondition="If-Match",
    ),
    Operation(
        name="DeleteAISession",
        description="Delete the specified session",
        verb="DELETE",
        routes=(RouteSpec("/ai/sessions/{sessionId}", ("DELETE",)),),
        request_type=DeleteAISession,
        response_type=None,
        handler=_delete,
        required=("sessionId",),
        precondition="If-Match",
    ),
    Operation(
        name="Authenticate",
        description="Sign in (credentials), or sign out with provider 'logout'",
        verb="POST",
        routes=(
            RouteSpec("/auth", ("GET", "POST")),
            RouteSpec("/auth/{provider}", ("GET", "POST")),
        ),
        request_type=Authenticate,
        response_type=AuthenticateResponse,
        handler=_authenticate,
        requires_auth=False,
        required_role=None,
        builtin=True,
    ),
)

_BY_LOWER_NAME = {op.name.lower(): op for op in OPERATIONS}


def find_operation(name: str) -> Operation | None:
    """Look an operation up by name, case-insensitively, as ServiceStack's predefined routes do."""
    return _BY_LOWER_NAME.get(name.lower())
