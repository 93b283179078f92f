"""The AI-session service: DTO in, DTO out. It knows nothing of HTTP or of wire formats."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import starmap
from operator import itemgetter
from typing import NamedTuple, NoReturn

import anyio

from .caller import Caller
from .clock import utc_now_iso
from .dtos import (
    AISessionInfo,
    DeleteAISession,
    GetAISession,
    ListAISessions,
    ListResponse,
    NewAISession,
    PatchAISession,
    SortOrders,
)
from .errors import ArgumentError, NotFound, PreconditionFailed
from .store.base import SORTABLE_FIELDS, SessionQuery, SessionRecord, SessionStore, UnknownAccount, VersionMatch

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "SessionService", "Versioned", "to_info", "to_infos"]

#: `countPerPage` when the request leaves it at 0.
DEFAULT_PAGE_SIZE = 100
#: The largest page one request may ask for (ask for `all` to get everything).
MAX_PAGE_SIZE = 1000
#: Reads of more than a page (`all`) running at once; the rest wait. Each holds a worker thread and
#: the GIL for most of its run: dozens at once starve the event loop, and a waiting read whose
#: client leaves is cancelled before it starts.
LARGE_READS = 2


#: A SessionRecord's values in AISessionInfo's member order, for building many at C speed.
_INFO_FIELDS = itemgetter(1, 2, 3, 0, 4, 5, 6, 7)


def to_infos(records: list[SessionRecord]) -> list[AISessionInfo]:
    return list(starmap(AISessionInfo, map(_INFO_FIELDS, records)))


def to_info(record: SessionRecord) -> AISessionInfo:
    return AISessionInfo(
        account_id=record.account_id,
        account_name=record.account_name,
        purpose=record.purpose,
        id=record.id,
        date_created=record.date_created,
        date_last_modified=record.date_last_modified,
        created_by=record.created_by,
        last_modified_by=record.last_modified_by,
    )


class Versioned(NamedTuple):
    """A session and the version it is at (what its ETag is made of)."""

    info: AISessionInfo
    version: int


def _versioned(record: SessionRecord) -> Versioned:
    return Versioned(to_info(record), record.version)


def _required(value: str | None, field_name: str) -> str:
    if not value:
        raise ArgumentError(field_name, f"'{field_name}' must not be empty.", error_code="ArgumentNullException")
    return value


class SessionService:
    def __init__(self, store: SessionStore, *, now: Callable[[], str] = utc_now_iso) -> None:
        self._store = store
        self._now = now
        self._large_reads: anyio.Semaphore | None = None

    async def new(self, request: NewAISession, caller: Caller) -> AISessionInfo:
        return (await self.new_versioned(request, caller)).info

    async def new_versioned(self, request: NewAISession, caller: Caller) -> Versioned:
        account_id = _required(request.account_id, "accountId")
        try:
            record = await self._store.create_session(
                account_id=account_id, purpose=request.purpose, actor_id=caller.user_id, now=self._now()
            )
        except UnknownAccount:
            raise ArgumentError("accountId", f"No account with id '{account_id}'.") from None
        return _versioned(record)

    async def get(self, request: GetAISession, caller: Caller) -> AISessionInfo:
        return (await self.get_versioned(request, caller)).info

    async def get_versioned(self, request: GetAISession, caller: Caller) -> Versioned:
        session_id = _required(request.session_id, "sessionId")
        record = await self._store.get_session(session_id)
        if record is None:
            raise NotFound(f"Session '{session_id}' not found")
        return _versioned(record)

    async def patch(self, request: PatchAISession, caller: Caller) -> AISessionInfo:
        return (await self.patch_versioned(request, caller)).info

    async def patch_versioned(
        self, request: PatchAISession, caller: Caller, *, expected: VersionMatch | None = None
    ) -> Versioned:
        """`expected` (from If-Match) is checked by the store in the same statement that writes."""
        session_id = _required(request.session_id, "sessionId")
        record = await self._store.patch_session(
            session_id, purpose=request.purpose, actor_id=caller.user_id, now=self._now(), expected=expected
        )
        if record is None:
            await self._refused(session_id, expected)
        return _versioned(record)

    async def delete(self, request: DeleteAISession, caller: Caller, *, expected: VersionMatch | None = None) -> None:
        session_id = _required(request.session_id, "sessionId")
        if not await self._store.delete_session(session_id, expected=expected):
            await self._refused(session_id, expected)

    async def _refused(self, session_id: str, expected: VersionMatch | None) -> NoReturn:
        """Why a write found no row. The write itself was conditional and changed nothing; this
        read only picks the answer: a missing session is 404 even under If-Match, as RFC 9110
        §13.2.1 puts a failure the request meets without its preconditions first."""
        if expected is not None and await self._store.get_session(session_id) is not None:
            raise PreconditionFailed(f"Session '{session_id}' does not match If-Match; it has changed")
        raise NotFound(f"Session '{session_id}' not found")

    async def list(self, request: ListAISessions, caller: Caller) -> ListResponse[AISessionInfo]:
        sort_key = (request.sort_field or "dateCreated").lower()
        if sort_key not in SORTABLE_FIELDS:
            raise ArgumentError("sortField", f"Cannot sort by '{request.sort_field}'.")
        if request.page < 0:
            raise ArgumentError("page", "'page' must not be negative.")
        if request.count_per_page < 0 or request.count_per_page > MAX_PAGE_SIZE:
            raise ArgumentError("countPerPage", f"'countPerPage' must be between 0 and {MAX_PAGE_SIZE}.")
        per_page = request.count_per_page or DEFAULT_PAGE_SIZE
        query = SessionQuery(
            account_ids=tuple(request.account_ids or ()),
            specific_ids=tuple(request.specific_ids or ()),
            sort_key=sort_key,
            descending=request.sort_order is SortOrders.Descend,
            offset=0 if request.all else request.page * per_page,
            limit=None if request.all else per_page,
            count_total=not request.simplified_paging,
        )
        if query.limit is None:
            if self._large_reads is None:  # made on first use: it belongs to the running event loop
                self._large_reads = anyio.Semaphore(LARGE_READS)
            async with self._large_reads:
                page = await self._store.list_sessions(query)
        else:
            page = await self._store.list_sessions(query)
        response: ListResponse[AISessionInfo] = ListResponse(items=to_infos(page.items), has_more_pages=page.has_more)
        if page.total_count is not None:
            response.total_count = page.total_count
            response.total_pages = 1 if request.all and page.total_count else math.ceil(page.total_count / per_page)
        return response
