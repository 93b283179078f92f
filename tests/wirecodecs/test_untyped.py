"""Builtins to DTOs as ServiceStack binds them: members matched case-insensitively, whether or not
the keys are already spelt as the wire names."""

from __future__ import annotations

import enum

import msgspec
from wirecodecs._untyped import from_untyped


class Order(enum.Enum):
    ASCEND = "Ascend"
    DESCEND = "Descend"


class Query(msgspec.Struct, rename="camel"):
    account_id: str | None = None
    sort_order: Order | None = None
    take: int | None = None


def test_keys_spelt_as_the_wire_names_bind_as_any_other_spelling_does() -> None:
    exact = from_untyped({"accountId": "a", "take": "5"}, Query)
    assert exact == from_untyped({"ACCOUNTID": "a", "Take": "5"}, Query) == Query(account_id="a", take=5)


def test_a_value_that_needs_reading_is_read_even_under_its_exact_wire_name() -> None:
    # An enum is named case-insensitively: an exact key does not excuse its value from that.
    assert from_untyped({"sortOrder": "descend"}, Query) == Query(sort_order=Order.DESCEND)


def test_unknown_keys_are_dropped_beside_exact_ones() -> None:
    assert from_untyped({"accountId": "a", "other": 1}, Query) == Query(account_id="a")


class Clash(msgspec.Struct):
    # Two wire names that differ only in case: the later member owns the case-insensitive name.
    first: str | None = msgspec.field(default=None, name="Ab")
    second: str | None = msgspec.field(default=None, name="ab")


def test_a_wire_name_another_member_took_over_binds_where_its_spelling_does() -> None:
    assert from_untyped({"Ab": "1"}, Clash) == from_untyped({"AB": "1"}, Clash) == Clash(second="1")
