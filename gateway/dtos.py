"""The wire DTOs of the Evo Voice AI-session API, as msgspec Structs.

Field order is ServiceStack's JSON order: a derived class's own members first, then the members it
inherits. msgspec orders inherited fields first, so a derived DTO is declared flat and says which
.NET base class its trailing members come from (`DotNet.base`); XML and the type generators read that.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec
from msgspec import Meta, field

__all__ = [
    "AISessionInfo",
    "Authenticate",
    "AuthenticateResponse",
    "DeleteAISession",
    "DotNet",
    "Dto",
    "EntityInfo",
    "ErrorResponse",
    "GetAISession",
    "ListAISessions",
    "ListRequest",
    "ListResponse",
    "NewAISession",
    "PatchAISession",
    "ResponseError",
    "ResponseStatus",
    "SortOrders",
]

AI_NAMESPACE = "Voice.Api.AI"
API_NAMESPACE = "Voice.Api"
SERVICESTACK_NAMESPACE = "ServiceStack"


@dataclass(frozen=True)
class DotNet:
    """Where a DTO lives on the .NET side: its CLR namespace and the base class it extends."""

    namespace: str
    base: type[Dto] | None = None
    #: The base's generic argument, as ServiceStack prints it (`ListRequest<AISessionInfo>`).
    base_generic_arg: str | None = None


class Dto(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True, gc=False):
    """A ServiceStack DTO: camelCase names, null members omitted (ServiceStack.Text's defaults).

    `gc=False`: DTOs never refer back to themselves, so the cyclic collector need not track them
    (a page of 100 sessions is 100 fewer objects for every collection to scan)."""

    dotnet: ClassVar[DotNet] = DotNet(namespace=AI_NAMESPACE)


def _zero() -> int:
    # A default_factory (not a plain default) makes msgspec always write the member, as .NET always
    # writes value types: `"totalCount":0` appears even though omit_defaults is on.
    return 0


def _false() -> bool:
    return False


def _empty_list() -> list[Any]:
    # Not `list` itself: msgspec omits a member equal to an empty `list()` default, but ServiceStack
    # writes a non-null empty list as `[]`.
    return []


# --- EntityInfo (Voice.Api) and its members, shared with every derived info type ---

ObjectId = Annotated[str | None, Meta(description="The ID of the object")]
DateCreated = Annotated[str | None, Meta(description="The date the object was created")]
DateLastModified = Annotated[str | None, Meta(description="The date the object was last modified")]
CreatedBy = Annotated[str | None, Meta(description="The user that created this object")]
LastModifiedBy = Annotated[str | None, Meta(description="The user that last modified this object")]


class EntityInfo(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=API_NAMESPACE)

    id: ObjectId = None
    date_created: DateCreated = None
    date_last_modified: DateLastModified = None
    created_by: CreatedBy = None
    last_modified_by: LastModifiedBy = None


class AISessionInfo(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=AI_NAMESPACE, base=EntityInfo)

    account_id: Annotated[str | None, Meta(description="The ID of the account associated with this session")] = None
    account_name: Annotated[str | None, Meta(description="The name of the account associated with this customer")] = (
        None
    )
    purpose: Annotated[str | None, Meta(description="The purpose for this AI session")] = None
    # Inherited from EntityInfo; ServiceStack writes base-class members after the derived ones.
    id: ObjectId = None
    date_created: DateCreated = None
    date_last_modified: DateLastModified = None
    created_by: CreatedBy = None
    last_modified_by: LastModifiedBy = None


# --- Requests ---


class NewAISession(Dto):
    """Creates a new session"""

    account_id: Annotated[str | None, Meta(description="The account ID to associate this session with")] = None
    purpose: Annotated[str | None, Meta(description="The purpose for this session")] = None


class GetAISession(Dto):
    """Get the specified session"""

    session_id: Annotated[str | None, Meta(description="The ID of the session to get")] = None


class PatchAISession(Dto):
    """Update a specific session"""

    session_id: Annotated[str | None, Meta(description="The ID of the session you want to update")] = None
    purpose: Annotated[str | None, Meta(description="The purpose of this session")] = None


class DeleteAISession(Dto):
    """Delete the specified session"""

    session_id: Annotated[str | None, Meta(description="The ID of the session to delete")] = None


class SortOrders(enum.Enum):
    # Member names are the .NET names: JSV, XML and CSV write enums by name.
    Ascend = "Ascend"
    Descend = "Descend"


# .NET `int` is Int32: ServiceStack cannot bind a larger number, and neither may we (the store's
# integers are 64-bit, so an unbounded one would fail there, as a 500, instead of here as a 400).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

Page = Annotated[int, Meta(ge=INT32_MIN, le=INT32_MAX, description="The page of data to retrieve")]
All = Annotated[bool, Meta(description="If you want all objects to be returned. This should be used with care")]
CountPerPage = Annotated[int, Meta(ge=INT32_MIN, le=INT32_MAX, description="The number per page to retrieve")]
SpecificIds = Annotated[list[str] | None, Meta(description="Specific IDs")]
SortField = Annotated[str | None, Meta(description="Specify a sort field")]
SortOrder = Annotated[SortOrders, Meta(description="Specify a sort order")]
SimplifiedPaging = Annotated[
    bool,
    Meta(
        description="Disables total / page counts - improves performance. Returns only data. "
        "If there is no more data, Items will be empty array"
    ),
]


class ListRequest(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=API_NAMESPACE)

    page: Page = field(default_factory=_zero)
    all: All = field(default_factory=_false)
    count_per_page: CountPerPage = field(default_factory=_zero)
    specific_ids: SpecificIds = None
    sort_field: SortField = None
    sort_order: SortOrder = field(default_factory=lambda: SortOrders.Ascend)
    simplified_paging: SimplifiedPaging = field(default_factory=_false)


class ListAISessions(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=AI_NAMESPACE, base=ListRequest, base_generic_arg="AISessionInfo")

    account_ids: Annotated[list[str] | None, Meta(description="Filter by accounts")] = None
    # Inherited from ListRequest<AISessionInfo>.
    page: Page = field(default_factory=_zero)
    all: All = field(default_factory=_false)
    count_per_page: CountPerPage = field(default_factory=_zero)
    specific_ids: SpecificIds = None
    sort_field: SortField = None
    sort_order: SortOrder = field(default_factory=lambda: SortOrders.Ascend)
    simplified_paging: SimplifiedPaging = field(default_factory=_false)


T = TypeVar("T")


class ListResponse(Dto, Generic[T]):
    dotnet: ClassVar[DotNet] = DotNet(namespace=API_NAMESPACE)

    items: Annotated[list[T], Meta(description="The items")] = field(default_factory=_empty_list)
    total_count: Annotated[int, Meta(description="The total number of items")] = field(default_factory=_zero)
    total_pages: Annotated[int, Meta(description="The total number of pages")] = field(default_factory=_zero)
    has_more_pages: Annotated[bool, Meta(description="Are there more pages of items? Used with simplified paging")] = (
        field(default_factory=_false)
    )


# --- ServiceStack's own types (namespace http://schemas.servicestack.net/types in XML) ---


class ResponseError(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=SERVICESTACK_NAMESPACE)

    error_code: str | None = None
    field_name: str | None = None
    message: str | None = None
    meta: dict[str, str] | None = None


class ResponseStatus(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=SERVICESTACK_NAMESPACE)

    error_code: str | None = None
    message: str | None = None
    stack_trace: str | None = None
    # Always written, even when empty: ServiceStack initialises it to an empty list.
    errors: list[ResponseError] = field(default_factory=_empty_list)
    meta: dict[str, str] | None = None


class ErrorResponse(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=SERVICESTACK_NAMESPACE)

    response_status: ResponseStatus | None = None


class Authenticate(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=SERVICESTACK_NAMESPACE)

    provider: str | None = None
    user_name: str | None = None
    password: str | None = None
    remember_me: bool | None = None
    access_token: str | None = None
    access_token_secret: str | None = None
    return_url: str | None = None
    error_view: str | None = None
    meta: dict[str, str] | None = None


class AuthenticateResponse(Dto):
    dotnet: ClassVar[DotNet] = DotNet(namespace=SERVICESTACK_NAMESPACE)

    user_id: str | None = None
    session_id: str | None = None
    user_name: str | None = None
    display_name: str | None = None
    referrer_url: str | None = None
    bearer_token: str | None = None
    refresh_token: str | None = None
    refresh_token_expiry: str | None = None
    profile_url: str | None = None
    roles: list[str] | None = None
    permissions: list[str] | None = None
    auth_provider: str | None = None
    response_status: ResponseStatus | None = None
    meta: dict[str, str] | None = None
