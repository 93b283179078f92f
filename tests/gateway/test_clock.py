"""Stamps are `datetime`'s `%Y-%m-%dT%H:%M:%S.%fZ` in UTC, whichever second was formatted last."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.clock import iso_from_ns, utc_now_iso

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Up to the year 9999, as datetime can write it.
INSTANTS = st.integers(min_value=0, max_value=253_402_300_799_999_999_999)


def expected(ns: int) -> str:
    return (EPOCH + timedelta(microseconds=ns // 1000)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(INSTANTS, INSTANTS)
def test_each_stamp_is_datetimes_for_its_own_instant(first: int, second: int) -> None:
    # Two instants in turn: the second must not reuse the first one's formatted second.
    assert iso_from_ns(first) == expected(first)
    assert iso_from_ns(second) == expected(second)
    assert iso_from_ns(first) == expected(first)


def test_the_edges_of_a_second() -> None:
    second = 1_796_601_599  # 2026-12-06T23:59:59Z
    for ns in (second * 10**9, second * 10**9 + 999_999_999, (second + 1) * 10**9, (second + 1) * 10**9 + 1_000):
        assert iso_from_ns(ns) == expected(ns)
    assert iso_from_ns((second + 1) * 10**9) == "2026-12-07T00:00:00.000000Z"


@given(st.lists(INSTANTS, min_size=2, max_size=20))
def test_stamps_sort_as_their_instants(instants: list[int]) -> None:
    assert sorted(map(iso_from_ns, instants)) == list(map(iso_from_ns, sorted(instants)))


def test_now_is_utc_now() -> None:
    stamp = utc_now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
    read = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(read - datetime.now(UTC)) < timedelta(minutes=1)
