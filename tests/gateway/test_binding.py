from __future__ import annotations

import pytest
from wirecodecs import ValidationError

from gateway.binding import flatten_params, overlay
from gateway.dtos import ListAISessions, PatchAISession, SortOrders


def test_params_override_body_values_case_insensitively() -> None:
    dto = PatchAISession(session_id="body", purpose="body")
    bound = overlay(dto, {"SessionID": "path", "purpose": "query"})
    assert bound == PatchAISession(session_id="path", purpose="query")


def test_unknown_and_reserved_params_are_ignored() -> None:
    dto = PatchAISession(purpose="p")
    assert overlay(dto, {"format": "xml", "callback": "cb", "nope": "1"}) is dto


def test_only_defaults_fills_empty_members_and_keeps_body_values() -> None:
    dto = PatchAISession(session_id="body")
    bound = overlay(dto, {"sessionId": "query", "purpose": "query"}, only_defaults=True)
    assert bound == PatchAISession(session_id="body", purpose="query")


def test_lists_enums_bools_and_ints_convert_from_text() -> None:
    bound = overlay(
        ListAISessions(),
        {"accountIds": "[a,b]", "specificIds": "x,y", "sortOrder": "descend", "all": "true", "page": "3"},
    )
    assert bound.account_ids == ["a", "b"]
    assert bound.specific_ids == ["x", "y"]
    assert bound.sort_order is SortOrders.Descend
    assert bound.all is True and bound.page == 3


def test_bad_values_name_every_field() -> None:
    with pytest.raises(ValidationError) as info:
        overlay(ListAISessions(), {"page": "x", "sortOrder": "Sideways"})
    assert sorted(e.field_name for e in info.value.errors) == ["page", "sortOrder"]


def test_duplicate_keys_are_joined_with_commas() -> None:
    assert flatten_params([("a", "1"), ("b", "2"), ("a", "3")]) == {"a": "1,3", "b": "2"}


def test_numbers_and_booleans_in_params_may_carry_white_space() -> None:
    bound = overlay(ListAISessions(), {"page": " 2 ", "all": "true "})
    assert bound.page == 2 and bound.all is True
