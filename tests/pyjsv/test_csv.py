"""pyjsv.csv against golden vectors (fixtures/pyjsv/csv_vectors.json) and round trips."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import msgspec
import pyjsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "pyjsv" / "csv_vectors.json").read_text())


class Row(msgspec.Struct):
    Id: int = 0
    Name: str | None = None


class Car(msgspec.Struct):
    Name: str | None = None
    Age: int = 0


class Owner(msgspec.Struct):
    Id: int = 0
    Car: Car | None = None
    Tags: list[str] | None = None


def rows_of(vector: dict[str, Any]) -> Any:
    kind = vector.get("kind", "records")
    if kind == "strings":
        return vector["rows"]
    if kind == "nested":
        return [msgspec.convert(r, Owner) for r in vector["rows"]]
    rows = [Row(**r) for r in vector["rows"]]
    return rows[0] if kind == "record" else rows


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=[v["source"][:60] for v in VECTORS["vectors"]])
def test_written_byte_for_byte_and_read_back(vector: dict[str, Any]) -> None:
    value = rows_of(vector)
    assert pyjsv.csv.dumps(value) == vector["csv"]
    kind = vector.get("kind", "records")
    tp: Any = {"strings": list[str], "nested": list[Owner], "record": Row}.get(kind, list[Row])
    assert pyjsv.csv.loads(vector["csv"], type=tp) == value


@pytest.mark.parametrize("vector", VECTORS["read"], ids=[v["source"][:60] for v in VECTORS["read"]])
def test_reader_rules(vector: dict[str, Any]) -> None:
    assert pyjsv.csv.loads(vector["csv"], type=list[Row]) == [Row(**r) for r in vector["rows"]]


def test_pascal_headers_from_camel_case_structs_and_the_formula_guard() -> None:
    class Info(msgspec.Struct, rename="camel"):
        account_id: str | None = None
        purpose: str | None = None

    text = pyjsv.csv.dumps([Info(account_id="a", purpose="=SUM(A1)")], header_case="pascal", neutralize_formulas=True)
    assert text == "AccountId,Purpose\r\na,'=SUM(A1)\r\n"
    assert pyjsv.csv.loads("AccountId,Purpose\r\na,b\r\n", type=Info) == Info(account_id="a", purpose="b")


def test_an_empty_sequence_is_a_header_when_the_type_is_known() -> None:
    assert pyjsv.csv.dumps([], item_type=Row) == "Id,Name\r\n"
    assert pyjsv.csv.loads("Id,Name\r\n", type=list[Row]) == []


# CSV cannot tell "" from null: the strategies draw None or non-empty names.
NAMES = st.one_of(st.none(), st.text(min_size=1, max_size=12).filter(lambda s: "\x00" not in s))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.builds(Row, Id=st.integers(-(2**63), 2**63 - 1), Name=NAMES), max_size=5))
def test_round_trip_records(rows: list[Row]) -> None:
    text = pyjsv.csv.dumps(rows, item_type=Row)
    assert pyjsv.csv.loads(text, type=list[Row]) == rows


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            Owner,
            Id=st.integers(0, 10**6),
            Car=st.one_of(st.none(), st.builds(Car, Name=NAMES, Age=st.integers(0, 99))),
            Tags=st.one_of(st.none(), st.lists(st.text(min_size=1, max_size=5), max_size=3)),
        ),
        max_size=4,
    )
)
def test_round_trip_nested_cells(rows: list[Owner]) -> None:
    text = pyjsv.csv.dumps(rows, item_type=Owner)
    assert pyjsv.csv.loads(text, type=list[Owner]) == rows


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_decode_error(text: str) -> None:
    with contextlib.suppress(pyjsv.DecodeError):
        pyjsv.csv.loads(text, type=list[Owner])
