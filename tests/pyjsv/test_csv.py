"""pyjsv.csv against golden vectors (fixtures/pyjsv/csv_vectors.json) and round trips."""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

import msgspec
import pyjsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .work import count_work, grows_linearly

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


class Mixed(msgspec.Struct):
    A: str | None = None
    B: str | None = None
    C: Any = None


#: Text that needs quoting (separators, quotes, line breaks, a leading bracket) or a formula guard.
CELL_TEXT = st.text(alphabet=st.sampled_from(list('ab,"\r\n[{=- ')), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.builds(Mixed, A=st.none() | CELL_TEXT, B=st.none() | CELL_TEXT, C=st.none() | CELL_TEXT | st.integers()),
    st.booleans(),
)
def test_one_record_is_written_as_each_cell_alone_would_be(record: Mixed, neutralize: bool) -> None:
    # One Struct takes a shortcut (its members as one tuple, plain text checked at C speed); it must
    # write what the cell-by-cell rule writes, and what a one-record list writes.
    cells = ",".join(pyjsv.csv._cell(value, neutralize) for value in msgspec.structs.astuple(record))
    expected = f"A,B,C\r\n{cells}\r\n"
    assert pyjsv.csv.dumps(record, neutralize_formulas=neutralize) == expected
    assert pyjsv.csv.dumps([record], neutralize_formulas=neutralize) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_decode_error(text: str) -> None:
    with contextlib.suppress(pyjsv.DecodeError):
        pyjsv.csv.loads(text, type=list[Owner])


# --- the reader is linear, and reads exactly what the old quadratic reader read ---


def _oracle_records(text: str) -> list[str]:
    """The record splitter as it was before it was made linear: quotes toggle, LF outside ends a record."""
    records: list[str] = []
    start = 0
    in_quotes = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "\n" and not in_quotes:
            line = text[start:i].removesuffix("\r")
            if line:
                records.append(line)
            start = i + 1
    tail = text[start:].removesuffix("\r")
    if tail:
        records.append(tail)
    return records


def _oracle_bracket_end(line: str, start: int) -> int:
    depth = 0
    in_quotes = False
    for i in range(start, len(line)):
        ch = line[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            continue
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _oracle_fields(line: str) -> list[str | None]:
    """The cell splitter as it was: one cell at a time, a bracket cell scanned to its match."""
    fields: list[str | None] = []
    pos = 0
    n = len(line)
    while True:
        if pos >= n:
            fields.append(None)
            break
        if line[pos] == '"':
            end = pos + 1
            while True:
                end = line.find('"', end)
                if end == -1:
                    raise pyjsv.DecodeError("unterminated quoted CSV field", pos=pos)
                if end + 1 < n and line[end + 1] == '"':
                    end += 2
                    continue
                break
            fields.append(line[pos + 1 : end].replace('""', '"'))
            pos = end + 1
            if pos < n and line[pos] != ",":
                raise pyjsv.DecodeError(f"expected ',' after a quoted CSV field, found {line[pos]!r}", pos=pos)
        else:
            end = _oracle_bracket_end(line, pos) if line[pos] in "{[" else -1
            if end == -1 or (end < n and line[end] != ","):
                comma = line.find(",", pos)
                end = n if comma == -1 else comma
            fields.append(line[pos:end] or None)
            pos = end
        if pos >= n:
            break
        pos += 1
        if pos == n:
            fields.append(None)
            break
    return fields


def _cells_or_error(split: Any, line: str) -> Any:
    try:
        return split(line)
    except pyjsv.DecodeError as e:
        return ("DecodeError", e.message, e.pos)


CSV_TEXT = st.text(alphabet=st.sampled_from(list('"[]{},\r\nab ')), max_size=60)


@settings(max_examples=2000, deadline=None)
@given(CSV_TEXT)
def test_records_and_cells_are_those_of_the_old_reader(text: str) -> None:
    records = pyjsv.csv._records(text)
    assert records == _oracle_records(text)
    for line in records:
        assert _cells_or_error(pyjsv.csv._fields, line) == _cells_or_error(_oracle_fields, line)


@pytest.mark.parametrize(
    "line",
    [
        "[a,b],c",
        "[a]b,c",
        '[a,"]",b],c',
        '"x",[a,"]"],[b]',
        '[a,"],[b]',
        "{a:[1,2]},{b},[c]]",
        "[[a],[b,[c,d]]],e,[",
        '"a""b",c,"",,',
        'a,"b,c"d',
        '"a',
        "a,b,",
        ",",
        "[,{,]",
        '[a",b],[c"d]',
    ],
)
def test_cells_of_tricky_lines_are_those_of_the_old_reader(line: str) -> None:
    assert _cells_or_error(pyjsv.csv._fields, line) == _cells_or_error(_oracle_fields, line)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "UserName\r\n" + "[," * n,
        lambda n: "UserName\r\n" + "{," * n,
        lambda n: "UserName\r\n" + "[" * n + "," * n,
        lambda n: "UserName\r\n" + '[",' * n,
        lambda n: 'Id,Name\r\n1,"' + '""' * n + '"\r\n',
        lambda n: "Id,Name\r\n" + "1,a\r\n" * n,
        lambda n: "Id,Name\r\n" + '"' * n,
        lambda n: "Id,Name\r\n" + '"\n' * n,
        lambda n: "Id,Name\r\n" + '1,"a\n' * n,
        lambda n: "Id,Name\r\n" + "," * n,
    ],
    ids=[
        "open-brackets",
        "open-braces",
        "nested-unclosed",
        "bracket-quote",
        "doubled-quote-cell",
        "many-rows",
        "quotes",
        "quoted-newlines",
        "unclosed-quote-rows",
        "commas",
    ],
)
@pytest.mark.parametrize("target", [Any, list[Owner]], ids=["untyped", "typed"])
def test_reading_work_grows_linearly_on_adversarial_text(make: Any, target: Any) -> None:
    def work(n: int) -> int:
        text = make(n)
        return count_work(lambda: pyjsv.csv.loads(text, type=target))

    small, large = work(1_000), work(10_000)
    # 10x the input; linear is ~10x the work, quadratic ~100x (counted, so load cannot move it).
    assert grows_linearly(small, large), (small, large)


@pytest.mark.parametrize(
    "body",
    ["UserName\r\n" + "[," * 25_000, "UserName\r\n" + "{," * 25_000, 'a\r\n"' + '""' * (1 << 17) + '"'],
    ids=["brackets", "braces", "doubled-quotes"],
)
def test_the_audited_body_reads_within_bounded_work(body: str) -> None:
    # 50 KB of '[,' took 26 s before: every cell rescanned the rest of the line for its bracket.
    assert count_work(lambda: pyjsv.csv.loads(body, type=list[Owner])) < 20 * len(body)


@pytest.mark.parametrize(
    ("head", "unit"),
    [
        ('1,"', '""'),
        ("", "a\n"),
        ("", "1,a\r\n"),
        ("", '"'),
        ("", '"\n'),
        ("", '"a\n",b\r\n'),
        ("", "[,"),
        ("", '[",'),
        ("", "{["),
        ("", "a,"),
    ],
    ids=[
        "doubled-quote-cell",
        "many-rows",
        "many-records",
        "quotes",
        "quoted-newlines",
        "quoted-rows",
        "open-brackets",
        "bracket-quote",
        "nesting",
        "cells",
    ],
)
def test_splitting_work_grows_linearly_on_long_text(head: str, unit: str) -> None:
    # The old splitter's rescans were str.find calls, fast enough to hide below ~100 KB: time the
    # record and cell splitting alone, on 64 KiB and 640 KiB (the gateway takes 1 MiB bodies).
    def split(text: str) -> None:
        for line in pyjsv.csv._records(text):
            with contextlib.suppress(pyjsv.DecodeError):
                pyjsv.csv._fields(line)

    def work(size: int) -> int:
        text = head + unit * (size // len(unit))
        return count_work(lambda: split(text))

    small, large = work(8 << 10), work(80 << 10)
    assert grows_linearly(small, large), (small, large)


def test_the_work_count_sees_a_rescan_inside_one_scanning_call() -> None:
    # One Python line per cell, but each find runs to the end of the text: quadratic in characters.
    def rescan(text: str) -> None:
        for pos in range(0, len(text), 2):
            pyjsv.csv._find(text, "]", pos)

    small, large = count_work(lambda: rescan("[," * 500)), count_work(lambda: rescan("[," * 5_000))
    assert not grows_linearly(small, large), (small, large)


@pytest.mark.parametrize("make", [lambda n: "[," * n, lambda n: "{," * n, lambda n: '[",' * n], ids=["[", "{", '[",'])
def test_the_work_count_catches_the_old_quadratic_splitter(make: Any) -> None:
    # The meter must see what the old splitter did: rescan the rest of the line for every bracket.
    old = (_oracle_fields, _oracle_bracket_end)
    small, large = (count_work(functools.partial(_oracle_fields, text), also=old) for text in (make(100), make(1_000)))
    assert not grows_linearly(small, large), (small, large)


def test_an_empty_header_cell_keeps_the_columns_after_it_in_place() -> None:
    assert pyjsv.csv.loads(",accountId\r\nx,y\r\n") == [{"accountId": "y"}]
    assert pyjsv.csv.loads(",AccountId,,Purpose\r\nx,acc,z,p\r\n", type=_Pair) == _Pair(account_id="acc", purpose="p")


class _Pair(msgspec.Struct, rename="camel"):
    account_id: str | None = None
    purpose: str | None = None


def test_mapping_keys_are_escaped_in_the_header_and_read_back() -> None:
    rows = [{"a\nb": "1", "c,d": "x", 'q"': "y"}]
    text = pyjsv.csv.dumps(rows)
    assert text.split("\r\n", 1)[0] == '"a\nb","c,d","q"""'
    assert pyjsv.csv.loads(text) == rows


class _Renamed(msgspec.Struct, rename={"odd": "Column,3", "braced": "{x}"}):
    first: int = 0
    odd: int = 0
    braced: str = ""
    last: int = 0


def test_header_cells_are_quoted_like_any_other_cell() -> None:
    text = pyjsv.csv.dumps([_Renamed(first=1, odd=3, braced="q", last=4)])
    assert text == 'first,"Column,3","{x}",last\r\n1,3,q,4\r\n'
    # Read back, every column is still under its own header.
    assert pyjsv.csv.loads(text, type=list[_Renamed]) == [_Renamed(first=1, odd=3, braced="q", last=4)]
    assert pyjsv.csv.parse_fields(pyjsv.csv.parse_lines(text)[0]) == ["first", "Column,3", "{x}", "last"]


def test_one_dictionary_keeps_its_insertion_order() -> None:
    assert pyjsv.csv.dumps({"b": "1", "a": "2", "c": None}) == "b,a,c\r\n1,2,\r\n"
    assert pyjsv.csv.dumps([{"zeta": 1, "alpha": 2}]) == "zeta,alpha\r\n1,2\r\n"


def test_a_list_of_string_dictionaries_is_sorted_and_other_dictionaries_keep_first_seen_order() -> None:
    strings = [{"b": "1", "a": "2"}, {"c": "3"}]
    assert pyjsv.csv.dumps(strings) == "a,b,c\r\n2,1,\r\n,,3\r\n"
    objects = [{"b": 1, "a": "x"}, {"a": "y", "c": 2}]
    assert pyjsv.csv.dumps(objects) == "b,a,c\r\n1,x,\r\n,y,2\r\n"


def test_several_lines_as_a_list_of_strings_are_the_raw_records() -> None:
    text = 'a,b\r\n"c,d",e\r\nplain\r\n'
    assert pyjsv.csv.loads(text, type=list[str]) == ["a,b", '"c,d",e', "plain"]
    # One line is one row of values, unquoted.
    assert pyjsv.csv.loads('a,"b,c"\r\n', type=list[str]) == ["a", "b,c"]


def test_parse_lines_is_csvreader_parselines() -> None:
    text = 'a,"b\r\nc"\r\n\r\n\nd""e\r\n"open\nrest'
    assert pyjsv.csv.parse_lines(text) == ['a,"b\r\nc"', 'd""e', '"open\nrest']
    assert pyjsv.csv.parse_lines("") == []
    assert pyjsv.csv.parse_lines("x\r\n") == ["x"]


def test_parse_fields_is_csvreader_parsefields() -> None:
    assert pyjsv.csv.parse_fields('a,"b""c",,"",[x,y],{k:v}') == ["a", 'b"c', None, "", "[x,y]", "{k:v}"]
    assert pyjsv.csv.parse_fields(",a,") == [None, "a", None]
    assert pyjsv.csv.parse_fields("") == []
    assert pyjsv.csv.parse_fields(" Id , Name", lambda cell: (cell or "").strip()) == ["Id", "Name"]
    with pytest.raises(pyjsv.DecodeError):
        pyjsv.csv.parse_fields('"a"b,c')


class _Text(msgspec.Struct, rename="camel"):
    user_name: str | None = None
    full_name: str = ""  # takes no null: an empty cell here is skipped, not read as null
    notes: str | None = None


_HEADER_CELLS = st.sampled_from(
    ["userName", "UserName", " username ", "USER_NAME", "user_name", "fullName", "FullName", "notes", "other", "", " "]
)
_PLAIN_CELLS = st.text(alphabet=st.sampled_from(list("ab :\t")), max_size=3)
_LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r\r\n", "\n\n", "\r\n\r\n"])


@st.composite
def _plain_documents(draw: st.DrawFn) -> str:
    header = ",".join(draw(st.lists(_HEADER_CELLS, min_size=1, max_size=4)))
    rows = [",".join(draw(st.lists(_PLAIN_CELLS, max_size=5))) for _ in range(draw(st.integers(0, 3)))]
    text = "".join(line + draw(_LINE_ENDS) for line in [header, *rows])
    return text if draw(st.booleans()) else text.rstrip("\n") + draw(st.sampled_from(["", "\r"]))


def _read(text: str, target: Any) -> Any:
    try:
        return pyjsv.csv.loads(text, type=target)
    except pyjsv.DecodeError as exc:
        return ("DecodeError", str(exc))


@settings(max_examples=1500, deadline=None)
@given(_plain_documents(), st.sampled_from([_Text, list[_Text], _Pair, list[_Pair]]))
def test_plain_text_records_read_as_the_general_reader_reads_them(text: str, target: Any) -> None:
    fast = _read(text, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyjsv.csv, "_read_text_records", lambda text, tp: None)
        general = _read(text, target)
    assert fast == general, repr(text)


def test_a_plain_body_of_text_records_takes_neither_the_splitter_nor_the_cell_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("the general reader ran")

    monkeypatch.setattr(pyjsv.csv, "_records", refuse)
    monkeypatch.setattr(pyjsv.csv, "from_untyped", refuse)
    assert pyjsv.csv.loads("Purpose,AccountId\r\nbench,\r\n", type=list[_Pair]) == [_Pair(purpose="bench")]
    assert pyjsv.csv.loads("Other\r\nx\r\n", type=_Pair) == _Pair()
