"""SessionService against a real SQLite file: DTO in, DTO out, errors as ServiceErrors."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import anyio
import pytest

from gateway.caller import Caller
from gateway.dtos import (
    AISessionInfo,
    DeleteAISession,
    GetAISession,
    ListAISessions,
    NewAISession,
    PatchAISession,
    SortOrders,
)
from gateway.errors import ArgumentError, NotFound, PreconditionFailed
from gateway.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SessionService, to_info, to_infos
from gateway.store import AccountRecord, SessionRecord, Store, VersionMatch, open_store

T = TypeVar("T")

ALICE = Caller(user_id="user-alice", user_name="alice", roles=frozenset())
BOB = Caller(user_id="user-bob", user_name="bob", roles=frozenset({"Clerk"}))


class Ticks:
    """A deterministic clock: each call is one second after the last, in the service's format."""

    def __init__(self) -> None:
        self._seconds = itertools.count()
        self.last: str | None = None

    def __call__(self) -> str:
        n = next(self._seconds)
        self.last = f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}.000000Z"
        return self.last


@dataclass
class Env:
    store: Store
    service: SessionService
    clock: Ticks
    acme: AccountRecord
    zeta: AccountRecord


@pytest.fixture
def env(db_url: str) -> Iterator[Env]:
    store = open_store(db_url)
    clock = Ticks()
    try:
        yield Env(
            store=store,
            service=SessionService(store, now=clock),
            clock=clock,
            acme=store.add_account("Acme"),
            zeta=store.add_account("Zeta"),
        )
    finally:
        store.close()


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


def argument_error(exc: ArgumentError, field: str, code: str) -> None:
    assert exc.status_code == 400
    assert exc.field_name == field
    assert exc.error_code == code
    [entry] = exc.errors
    assert (entry.error_code, entry.field_name, entry.message) == (code, field, exc.message)


async def seed(env: Env, count: int) -> list[AISessionInfo]:
    """`count` sessions, alternating Acme/Zeta, created one clock tick apart."""
    made = []
    for i in range(count):
        account = env.acme if i % 2 == 0 else env.zeta
        made.append(await env.service.new(NewAISession(account_id=account.id, purpose=f"p{i}"), ALICE))
    return made


def ids(infos: list[AISessionInfo]) -> list[str | None]:
    return [info.id for info in infos]


# --- new ---


def test_new_creates_a_session_stamped_by_the_caller_and_the_clock(env: Env) -> None:
    async def scenario() -> None:
        info = await env.service.new(NewAISession(account_id=env.acme.id, purpose="sales"), ALICE)
        assert info.id is not None and len(info.id) == 32
        assert (info.account_id, info.account_name, info.purpose) == (env.acme.id, "Acme", "sales")
        assert info.date_created == info.date_last_modified == env.clock.last == "2026-01-01T00:00:00.000000Z"
        assert info.created_by == info.last_modified_by == ALICE.user_id
        assert await env.service.get(GetAISession(session_id=info.id), BOB) == info

    run(scenario)


def test_new_without_a_purpose_stores_none(env: Env) -> None:
    async def scenario() -> None:
        info = await env.service.new(NewAISession(account_id=env.zeta.id), ALICE)
        assert info.purpose is None and info.account_name == "Zeta"

    run(scenario)


@pytest.mark.parametrize("account_id", [None, ""])
def test_new_requires_an_account_id(env: Env, account_id: str | None) -> None:
    async def scenario() -> None:
        with pytest.raises(ArgumentError) as caught:
            await env.service.new(NewAISession(account_id=account_id, purpose="x"), ALICE)
        argument_error(caught.value, "accountId", "ArgumentNullException")
        assert caught.value.message == "'accountId' must not be empty."
        page = await env.service.list(ListAISessions(), ALICE)
        assert page.items == [] and page.total_count == 0

    run(scenario)


def test_new_for_an_unknown_account_names_account_id(env: Env) -> None:
    async def scenario() -> None:
        with pytest.raises(ArgumentError) as caught:
            await env.service.new(NewAISession(account_id="no-such-account"), ALICE)
        argument_error(caught.value, "accountId", "ArgumentException")
        assert caught.value.message == "No account with id 'no-such-account'."
        assert caught.value.__suppress_context__  # the store's UnknownAccount is not chained into the reply
        page = await env.service.list(ListAISessions(), ALICE)
        assert page.items == []

    run(scenario)


# --- get / delete ---


@pytest.mark.parametrize("session_id", [None, ""])
@pytest.mark.parametrize("make", [GetAISession, PatchAISession, DeleteAISession])
def test_session_id_is_required(
    env: Env, session_id: str | None, make: type[GetAISession | PatchAISession | DeleteAISession]
) -> None:
    async def scenario() -> None:
        request = make(session_id=session_id)
        with pytest.raises(ArgumentError) as caught:
            if isinstance(request, GetAISession):
                await env.service.get(request, ALICE)
            elif isinstance(request, PatchAISession):
                await env.service.patch(request, ALICE)
            else:
                await env.service.delete(request, ALICE)
        argument_error(caught.value, "sessionId", "ArgumentNullException")
        assert caught.value.message == "'sessionId' must not be empty."

    run(scenario)


def test_get_missing_session_is_not_found(env: Env) -> None:
    async def scenario() -> None:
        with pytest.raises(NotFound) as caught:
            await env.service.get(GetAISession(session_id="missing"), ALICE)
        assert caught.value.status_code == 404 and caught.value.error_code == "NotFound"
        assert caught.value.message == "Session 'missing' not found"
        assert caught.value.errors == []

    run(scenario)


def test_delete_removes_the_session_once(env: Env) -> None:
    async def scenario() -> None:
        keep, gone = await seed(env, 2)
        await env.service.delete(DeleteAISession(session_id=gone.id), ALICE)
        with pytest.raises(NotFound):
            await env.service.get(GetAISession(session_id=gone.id), ALICE)
        with pytest.raises(NotFound) as caught:
            await env.service.delete(DeleteAISession(session_id=gone.id), ALICE)
        assert caught.value.message == f"Session '{gone.id}' not found"
        assert await env.service.get(GetAISession(session_id=keep.id), ALICE) == keep

    run(scenario)


# --- patch ---


def test_patch_sets_purpose_and_the_modification_stamp_only(env: Env) -> None:
    async def scenario() -> None:
        created = await env.service.new(NewAISession(account_id=env.acme.id, purpose="sales"), ALICE)
        patched = await env.service.patch(PatchAISession(session_id=created.id, purpose="support"), BOB)
        assert patched.purpose == "support"
        assert patched.date_last_modified == env.clock.last == "2026-01-01T00:00:01.000000Z"
        assert patched.last_modified_by == BOB.user_id
        # Everything else is as created.
        assert (patched.id, patched.account_id, patched.account_name) == (created.id, env.acme.id, "Acme")
        assert (patched.date_created, patched.created_by) == (created.date_created, ALICE.user_id)
        assert await env.service.get(GetAISession(session_id=created.id), ALICE) == patched

    run(scenario)


def test_patch_without_a_purpose_leaves_it_but_still_stamps(env: Env) -> None:
    async def scenario() -> None:
        created = await env.service.new(NewAISession(account_id=env.acme.id, purpose="sales"), ALICE)
        patched = await env.service.patch(PatchAISession(session_id=created.id), BOB)
        assert patched.purpose == "sales"
        assert patched.date_last_modified == "2026-01-01T00:00:01.000000Z" != created.date_last_modified
        assert patched.last_modified_by == BOB.user_id
        assert patched.date_created == created.date_created and patched.created_by == ALICE.user_id

    run(scenario)


def test_patch_missing_session_is_not_found_and_creates_nothing(env: Env) -> None:
    async def scenario() -> None:
        with pytest.raises(NotFound) as caught:
            await env.service.patch(PatchAISession(session_id="missing", purpose="x"), ALICE)
        assert caught.value.message == "Session 'missing' not found"
        page = await env.service.list(ListAISessions(), ALICE)
        assert page.items == [] and page.total_count == 0

    run(scenario)


def test_versioned_answers_carry_the_version_the_store_holds(env: Env) -> None:
    async def scenario() -> None:
        made = await env.service.new_versioned(NewAISession(account_id=env.acme.id), ALICE)
        assert made.version == 1
        got = await env.service.get_versioned(GetAISession(session_id=made.info.id), BOB)
        assert got == made
        patched = await env.service.patch_versioned(PatchAISession(session_id=made.info.id, purpose="x"), BOB)
        assert patched.version == 2 and patched.info.purpose == "x"

    run(scenario)


def test_a_stale_if_match_is_precondition_failed_and_a_missing_session_still_not_found(env: Env) -> None:
    async def scenario() -> None:
        made = await env.service.new_versioned(NewAISession(account_id=env.acme.id, purpose="a"), ALICE)
        sid = made.info.id
        stale = VersionMatch(versions=frozenset({5}))
        with pytest.raises(PreconditionFailed) as caught:
            await env.service.patch_versioned(PatchAISession(session_id=sid, purpose="b"), BOB, expected=stale)
        assert (caught.value.status_code, caught.value.error_code) == (412, "PreconditionFailed")
        with pytest.raises(PreconditionFailed):
            await env.service.delete(DeleteAISession(session_id=sid), BOB, expected=stale)
        assert await env.service.get_versioned(GetAISession(session_id=sid), ALICE) == made  # nothing changed
        for expected in (stale, VersionMatch(any_version=True)):
            with pytest.raises(NotFound):
                await env.service.patch_versioned(PatchAISession(session_id="gone"), BOB, expected=expected)
            with pytest.raises(NotFound):
                await env.service.delete(DeleteAISession(session_id="gone"), BOB, expected=expected)
        await env.service.delete(DeleteAISession(session_id=sid), BOB, expected=VersionMatch(versions=frozenset({1})))
        with pytest.raises(NotFound):
            await env.service.get(GetAISession(session_id=sid), ALICE)

    run(scenario)


# --- list: paging ---


def test_list_defaults_everything_on_one_page_oldest_first(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 3)
        page = await env.service.list(ListAISessions(), ALICE)
        assert page.items == made
        assert (page.total_count, page.total_pages, page.has_more_pages) == (3, 1, False)

    run(scenario)


def test_list_on_an_empty_store(env: Env) -> None:
    async def scenario() -> None:
        page = await env.service.list(ListAISessions(), ALICE)
        assert (page.items, page.total_count, page.total_pages, page.has_more_pages) == ([], 0, 0, False)
        everything = await env.service.list(ListAISessions(all=True), ALICE)
        assert (everything.items, everything.total_count, everything.total_pages) == ([], 0, 0)

    run(scenario)


def test_list_pages_through_count_per_page(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 5)
        pages = [await env.service.list(ListAISessions(page=n, count_per_page=2), ALICE) for n in range(4)]
        assert [ids(p.items) for p in pages] == [ids(made[0:2]), ids(made[2:4]), ids(made[4:5]), []]
        assert [p.has_more_pages for p in pages] == [True, True, False, False]
        assert {(p.total_count, p.total_pages) for p in pages} == {(5, 3)}

    run(scenario)


def test_list_total_pages_rounds_up_and_is_exact_on_a_boundary(env: Env) -> None:
    async def scenario() -> None:
        await seed(env, 4)
        exact = await env.service.list(ListAISessions(count_per_page=2), ALICE)
        assert (exact.total_pages, exact.has_more_pages) == (2, True)
        last = await env.service.list(ListAISessions(page=1, count_per_page=2), ALICE)
        assert (len(last.items), last.has_more_pages) == (2, False)
        odd = await env.service.list(ListAISessions(count_per_page=3), ALICE)
        assert odd.total_pages == 2
        one = await env.service.list(ListAISessions(count_per_page=4), ALICE)
        assert (one.total_pages, one.has_more_pages) == (1, False)

    run(scenario)


def test_list_zero_count_per_page_means_the_default_page_size(env: Env) -> None:
    async def scenario() -> None:
        await seed(env, DEFAULT_PAGE_SIZE + 1)
        first = await env.service.list(ListAISessions(count_per_page=0), ALICE)
        assert len(first.items) == DEFAULT_PAGE_SIZE
        assert (first.total_count, first.total_pages, first.has_more_pages) == (DEFAULT_PAGE_SIZE + 1, 2, True)
        second = await env.service.list(ListAISessions(page=1), ALICE)
        assert len(second.items) == 1 and not second.has_more_pages

    run(scenario)


def test_list_all_ignores_page_and_count_per_page(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 5)
        page = await env.service.list(ListAISessions(all=True, page=3, count_per_page=2), ALICE)
        assert page.items == made
        # One page holds everything, whatever countPerPage says.
        assert (page.total_count, page.total_pages, page.has_more_pages) == (5, 1, False)

    run(scenario)


def test_list_simplified_paging_leaves_counts_at_zero(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 3)
        first = await env.service.list(ListAISessions(count_per_page=2, simplified_paging=True), ALICE)
        assert ids(first.items) == ids(made[:2])
        assert (first.total_count, first.total_pages, first.has_more_pages) == (0, 0, True)
        last = await env.service.list(ListAISessions(page=1, count_per_page=2, simplified_paging=True), ALICE)
        assert ids(last.items) == ids(made[2:])
        assert (last.total_count, last.total_pages, last.has_more_pages) == (0, 0, False)
        beyond = await env.service.list(ListAISessions(page=2, count_per_page=2, simplified_paging=True), ALICE)
        assert (beyond.items, beyond.has_more_pages) == ([], False)

    run(scenario)


# --- list: bounds ---


def test_list_negative_page_is_refused(env: Env) -> None:
    async def scenario() -> None:
        with pytest.raises(ArgumentError) as caught:
            await env.service.list(ListAISessions(page=-1), ALICE)
        argument_error(caught.value, "page", "ArgumentException")
        assert caught.value.message == "'page' must not be negative."

    run(scenario)


@pytest.mark.parametrize("count", [-1, MAX_PAGE_SIZE + 1, 2**31 - 1])
def test_list_count_per_page_out_of_bounds_is_refused(env: Env, count: int) -> None:
    async def scenario() -> None:
        with pytest.raises(ArgumentError) as caught:
            await env.service.list(ListAISessions(count_per_page=count), ALICE)
        argument_error(caught.value, "countPerPage", "ArgumentException")
        assert caught.value.message == f"'countPerPage' must be between 0 and {MAX_PAGE_SIZE}."

    run(scenario)


def test_list_count_per_page_at_the_maximum_is_allowed(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 2)
        page = await env.service.list(ListAISessions(count_per_page=MAX_PAGE_SIZE), ALICE)
        assert page.items == made and page.total_pages == 1

    run(scenario)


def test_list_a_page_far_beyond_the_end_is_empty(env: Env) -> None:
    async def scenario() -> None:
        await seed(env, 2)
        page = await env.service.list(ListAISessions(page=2**31 - 1, count_per_page=MAX_PAGE_SIZE), ALICE)
        assert (page.items, page.total_count, page.total_pages, page.has_more_pages) == ([], 2, 1, False)

    run(scenario)


# --- list: sorting ---


def test_list_sort_order_descend_reverses(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 4)
        page = await env.service.list(ListAISessions(sort_order=SortOrders.Descend), ALICE)
        assert page.items == made[::-1]
        newest = await env.service.list(ListAISessions(sort_order=SortOrders.Descend, count_per_page=1), ALICE)
        assert newest.items == [made[-1]] and newest.has_more_pages

    run(scenario)


@pytest.mark.parametrize("field", ["purpose", "PURPOSE", "Purpose"])
def test_list_sort_field_is_matched_case_insensitively(env: Env, field: str) -> None:
    async def scenario() -> None:
        a = await env.service.new(NewAISession(account_id=env.acme.id, purpose="b"), ALICE)
        b = await env.service.new(NewAISession(account_id=env.acme.id, purpose="c"), ALICE)
        c = await env.service.new(NewAISession(account_id=env.acme.id, purpose="a"), ALICE)
        up = await env.service.list(ListAISessions(sort_field=field), ALICE)
        assert up.items == [c, a, b]
        down = await env.service.list(ListAISessions(sort_field=field, sort_order=SortOrders.Descend), ALICE)
        assert down.items == [b, a, c]

    run(scenario)


def test_list_sort_by_account_name_and_last_modified(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 4)  # Acme, Zeta, Acme, Zeta
        by_name = await env.service.list(ListAISessions(sort_field="accountName"), ALICE)
        assert [i.account_name for i in by_name.items] == ["Acme", "Acme", "Zeta", "Zeta"]
        await env.service.patch(PatchAISession(session_id=made[0].id), BOB)  # now the latest modified
        by_modified = await env.service.list(ListAISessions(sort_field="dateLastModified"), ALICE)
        assert ids(by_modified.items) == ids([*made[1:], made[0]])

    run(scenario)


@pytest.mark.parametrize("field", ["bogus", "date_created", "accountId; DROP TABLE ai_sessions"])
def test_list_unknown_sort_field_is_refused_by_name(env: Env, field: str) -> None:
    async def scenario() -> None:
        with pytest.raises(ArgumentError) as caught:
            await env.service.list(ListAISessions(sort_field=field), ALICE)
        argument_error(caught.value, "sortField", "ArgumentException")
        assert caught.value.message == f"Cannot sort by '{field}'."

    run(scenario)


@pytest.mark.parametrize("field", [None, ""])
def test_list_no_sort_field_sorts_by_date_created(env: Env, field: str | None) -> None:
    async def scenario() -> None:
        made = await seed(env, 3)
        # Give the first session the greatest purpose, so another sort would tell.
        await env.service.patch(PatchAISession(session_id=made[0].id, purpose="zzz"), ALICE)
        page = await env.service.list(ListAISessions(sort_field=field), ALICE)
        assert ids(page.items) == ids(made)

    run(scenario)


# --- list: filters ---


def test_list_filters_by_account_ids(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 5)
        zeta = await env.service.list(ListAISessions(account_ids=[env.zeta.id]), ALICE)
        assert ids(zeta.items) == ids([made[1], made[3]])
        assert (zeta.total_count, zeta.total_pages) == (2, 1)
        both = await env.service.list(ListAISessions(account_ids=[env.zeta.id, env.acme.id]), ALICE)
        assert both.total_count == 5
        none = await env.service.list(ListAISessions(account_ids=["nobody"]), ALICE)
        assert (none.items, none.total_count, none.total_pages) == ([], 0, 0)
        empty_list = await env.service.list(ListAISessions(account_ids=[]), ALICE)
        assert empty_list.total_count == 5  # an empty filter is no filter

    run(scenario)


def test_list_filters_by_specific_ids_in_sort_order(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 5)
        wanted = [made[4].id or "", made[0].id or "", "missing"]
        page = await env.service.list(ListAISessions(specific_ids=wanted), ALICE)
        assert ids(page.items) == ids([made[0], made[4]])
        assert page.total_count == 2

    run(scenario)


def test_list_account_and_specific_id_filters_combine(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 4)
        wanted = [m.id or "" for m in made[:3]]
        page = await env.service.list(ListAISessions(specific_ids=wanted, account_ids=[env.acme.id]), ALICE)
        assert ids(page.items) == ids([made[0], made[2]])
        assert page.total_count == 2

    run(scenario)


def test_list_filters_page_within_the_filtered_set(env: Env) -> None:
    async def scenario() -> None:
        made = await seed(env, 6)
        acme = [made[0], made[2], made[4]]
        second = await env.service.list(ListAISessions(account_ids=[env.acme.id], page=1, count_per_page=2), ALICE)
        assert ids(second.items) == ids(acme[2:])
        assert (second.total_count, second.total_pages, second.has_more_pages) == (3, 2, False)

    run(scenario)


def test_many_records_become_the_infos_one_record_becomes() -> None:
    # to_infos builds positionally, in AISessionInfo's member order: it must agree with to_info.
    records = [
        SessionRecord(f"id{i}", f"acct{i}", f"name{i}", None if i % 2 else f"p{i}", "c", "m", "cb", "mb", i)
        for i in range(5)
    ]
    assert to_infos(records) == [to_info(r) for r in records]
    assert to_infos(records)[1].purpose is None and to_infos(records)[2].account_name == "name2"
