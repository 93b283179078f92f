"""The operation table: which requests the endpoint watches for a client that leaves."""

from __future__ import annotations

from gateway.dtos import GetAISession, ListAISessions, PatchAISession
from gateway.operations import OPERATIONS, Operation


def _operation(name: str) -> Operation:
    return next(op for op in OPERATIONS if op.name == name)


def test_only_lists_longer_than_a_default_page_are_watched() -> None:
    costly = _operation("ListAISessions").costly
    assert not costly(ListAISessions())  # the default page of 100
    assert not costly(ListAISessions(count_per_page=100))
    assert costly(ListAISessions(count_per_page=101))
    assert costly(ListAISessions(all=True))
    assert not _operation("GetAISession").costly(GetAISession(session_id="s"))
    assert not _operation("PatchAISession").costly(PatchAISession(session_id="s"))
