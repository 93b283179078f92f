"""Properties: loads(dumps(x), type=T) == x for every supported type; decoding arbitrary or mutated
text raises only DecodeError; depth and time stay bounded on hostile input."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import random
import uuid
from typing import Any
from unittest import mock

import msgspec
import pyjsv
import pyjsv._reader
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .work import count_work, grows_linearly

HOSTILE = st.text(
    alphabet=st.one_of(st.sampled_from(list("\",:{}[] \t\r\n\\'")), st.characters(blacklist_categories=["Cs"])),
    max_size=16,
)


class Color(enum.Enum):
    Red = "r"
    Green = "g"


class Perm(enum.IntFlag):
    Read = 1
    Write = 2
    Exec = 4


class Leaf(msgspec.Struct, rename="camel"):
    some_text: str | None = None
    count: int = 0
    ratio: float = 0.0
    flag: bool = False


class Node(msgspec.Struct, rename="camel"):
    name: str | None = None
    leaves: list[Leaf] = msgspec.field(default_factory=list)
    tags: dict[str, str] = msgspec.field(default_factory=dict)
    child: Node | None = None


@dataclasses.dataclass
class Record:
    id: uuid.UUID
    when: dt.datetime | None = None
    price: decimal.Decimal | None = None


# Every supported scalar, each with its type.
UTC_TIMES = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
).filter(lambda d: d.time() != dt.time(0))  # midnight is written date-only and reads back naive (docs)
SCALARS: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (str, HOSTILE),
    (int, st.integers()),
    (float, st.floats(allow_nan=False)),
    (bool, st.booleans()),
    (decimal.Decimal, st.decimals(allow_nan=False, allow_infinity=False, places=3)),
    (bytes, st.binary(max_size=20)),
    (dt.datetime, UTC_TIMES),
    (dt.datetime, st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30))),
    (dt.date, st.dates()),
    (dt.time, st.times()),
    (dt.timedelta, st.timedeltas(min_value=dt.timedelta(days=-(10**6)), max_value=dt.timedelta(days=10**6))),
    (uuid.UUID, st.uuids()),
    (Color, st.sampled_from(Color)),
    (Perm, st.builds(Perm, st.integers(0, 7))),
]


@pytest.mark.parametrize(("tp", "strategy"), SCALARS, ids=[f"{t.__name__}-{i}" for i, (t, _) in enumerate(SCALARS)])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scalars_round_trip_alone_in_lists_and_as_dict_values(tp: Any, strategy: Any, data: st.DataObject) -> None:
    value = data.draw(strategy)
    if tp is str:
        assert pyjsv.loads(pyjsv.dumps([value]), type=list[str]) == [value]
    else:
        assert pyjsv.loads(pyjsv.dumps(value), type=tp) == value
    values = data.draw(st.lists(strategy, max_size=4))
    assert pyjsv.loads(pyjsv.dumps(values), type=list[tp]) == values
    assert pyjsv.loads(pyjsv.dumps(tuple(values)), type=tuple[tp, ...]) == tuple(values)
    if tp not in (bytes,):  # every other scalar here is hashable
        assert pyjsv.loads(pyjsv.dumps(set(values)), type=set[tp]) == set(values)
        assert pyjsv.loads(pyjsv.dumps(frozenset(values)), type=frozenset[tp]) == frozenset(values)
    keyed = {str(i): v for i, v in enumerate(values)}
    assert pyjsv.loads(pyjsv.dumps(keyed), type=dict[str, tp]) == keyed


LEAVES = st.builds(
    Leaf,
    some_text=st.one_of(st.none(), HOSTILE),
    count=st.integers(),
    ratio=st.floats(allow_nan=False),
    flag=st.booleans(),
)
NODES = st.recursive(
    st.builds(
        Node,
        name=st.one_of(st.none(), HOSTILE),
        leaves=st.lists(LEAVES, max_size=3),
        tags=st.dictionaries(HOSTILE, HOSTILE, max_size=3),
    ),
    lambda children: st.builds(Node, name=st.one_of(st.none(), HOSTILE), child=children),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(NODES)
def test_nested_structs_round_trip(node: Node) -> None:
    assert pyjsv.loads(pyjsv.dumps(node), type=Node) == node
    assert pyjsv.decode(pyjsv.encode(node), type=Node) == node


@settings(max_examples=150, deadline=None)
@given(
    st.builds(
        Record,
        id=st.uuids(),
        when=st.one_of(st.none(), UTC_TIMES),
        price=st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=2)),
    )
)
def test_dataclasses_round_trip(record: Record) -> None:
    assert pyjsv.loads(pyjsv.dumps(record), type=Record) == record


@settings(max_examples=150, deadline=None)
# A list whose only element is null is `[]`, as ServiceStack writes it, and reads back empty (docs).
@given(st.lists(st.one_of(st.none(), HOSTILE), max_size=5).filter(lambda v: v != [None]))
def test_optional_elements_keep_their_slots(values: list[str | None]) -> None:
    assert pyjsv.loads(pyjsv.dumps(values), type=list[str | None]) == values


# --- only DecodeError, whatever the input ---

TARGETS: list[Any] = [Any, Node, list[Leaf], dict[str, int], list[dt.datetime], Record, Perm]


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list('{}[],:" \nabc1\\')) | st.characters(), max_size=80),
    target=st.sampled_from(TARGETS),
)
def test_arbitrary_text_raises_only_decode_error(text: str, target: Any) -> None:
    with contextlib.suppress(pyjsv.DecodeError):
        pyjsv.loads(text, type=target)


@settings(max_examples=500, deadline=None)
@given(node=NODES, data=st.data())
def test_mutated_valid_jsv_raises_only_decode_error(node: Node, data: st.DataObject) -> None:
    text = pyjsv.dumps(node)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(st.sampled_from(list('{}[],:"x ')))
        if op == "insert":
            text = text[:pos] + char + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    for target in (Any, Node):
        with contextlib.suppress(pyjsv.DecodeError):
            pyjsv.loads(text, type=target)


@given(st.binary(max_size=64))
def test_bytes_that_are_not_utf8_are_a_decode_error(data: bytes) -> None:
    with contextlib.suppress(pyjsv.DecodeError):
        pyjsv.decode(data)


# --- bounded depth and time ---


def test_nesting_beyond_the_limit_is_a_decode_error_not_recursion() -> None:
    deep = "[" * 100_000
    with pytest.raises(pyjsv.DecodeError, match="nesting deeper than 64"):
        pyjsv.loads(deep)
    assert pyjsv.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(pyjsv.DecodeError):
        pyjsv.loads("{a:" * 65 + "}" * 65)
    assert pyjsv.loads("[" * 10 + "]" * 10, max_depth=10) == pyjsv.loads("[" * 10 + "]" * 10)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: '"' * n,
        lambda n: "[" * 60 + "," * n,
        lambda n: "{" + "a" * n,
        lambda n: "{a:" + '"' + '""' * n,
        lambda n: "[" + "a," * n + "]",
        lambda n: "{" + "k:v," * n + "}",
        # The shapes that made the CSV reader quadratic, and others that make a scanner rescan.
        lambda n: "{" + "a:[," * n,
        lambda n: "[" + "[]," * n + "]",
        lambda n: "{" + "[{" * n,
        lambda n: "{" + "a:b:" * n,
        lambda n: "{a:" * 60 + "k:v," * n,
        lambda n: "[" * 60 + '"a",' * n,
        lambda n: "[" + "{a:b}," * n,
        lambda n: "{" + 'k:"v""",' * n + "k:v}",
        lambda n: "{" + '"a""":b,' * n + "c:d}",
        lambda n: "{" + " :" * n,
        lambda n: "{" + "a:b" * n + '"',
    ],
    ids=[
        "quotes",
        "commas",
        "long-key",
        "doubled-quotes",
        "wide-list",
        "wide-object",
        "open-brackets-in-values",
        "wide-nested-lists",
        "brackets-in-a-key",
        "colons-in-a-value",
        "deep-then-wide-object",
        "deep-then-wide-list",
        "unclosed-list-of-objects",
        "doubled-quotes-in-values",
        "doubled-quotes-in-keys",
        "blank-keys",
        "missed-simple-entries",
    ],
)
def test_decoding_work_grows_linearly_on_adversarial_text(make: Any) -> None:
    def work(n: int) -> int:
        text = make(n)
        return count_work(lambda: pyjsv.loads(text))

    small, large = work(2_000), work(20_000)
    # 10x the input; linear is ~10x the work, quadratic ~100x (counted, so load cannot move it).
    assert grows_linearly(small, large), (small, large)


def test_a_mebibyte_of_random_text_decodes_or_fails_within_bounded_work() -> None:
    rng = random.Random(1234)
    alphabet = '{}[],:"ab \n'
    text = "".join(rng.choice(alphabet) for _ in range(1 << 20))
    for target in (Any, Node):
        # Linear reading costs a few steps per character; a rescan would cost thousands.
        assert count_work(functools.partial(pyjsv.loads, text, type=target)) < 20 * len(text)


def test_enums_read_by_name_in_any_case_by_value_and_by_position() -> None:
    assert pyjsv.loads("GREEN", type=Color) is Color.Green
    assert pyjsv.loads("g", type=Color) is Color.Green
    # A .NET enum sent as its number: members without explicit values count from 0.
    assert pyjsv.loads("1", type=Color) is Color.Green
    with pytest.raises(pyjsv.DecodeError):
        pyjsv.loads("2", type=Color)
    # Enums whose values are numbers read numbers as values only, never as positions.
    assert pyjsv.loads("1", type=Sample) is Sample.One
    with pytest.raises(pyjsv.DecodeError):
        pyjsv.loads("0", type=Sample)


class Sample(enum.Enum):
    One = 1
    Two = 2


# --- the records fast path reads exactly what the general reader reads ---

RECORD_TEXT = st.lists(
    st.sampled_from(["{", "}", ",", ":", '"', '""', "a", "b c", "[", "]", "\x00", "\x01", "\x02", "k:v", ":", "%"]),
    max_size=40,
).map("".join)


_PIECE = st.text(alphabet="ab ", min_size=1, max_size=3) | st.text(
    alphabet=st.sampled_from(list('ab :,"{}[]\x00\x01\x02%')), max_size=4
)
_ENTRY = st.tuples(_PIECE, _PIECE, st.booleans()).map(lambda e: f'{e[0]}:"{e[1]}"' if e[2] else f"{e[0]}:{e[1]}")
#: Near-records: entries of short hostile keys and values, some quoted, in one or more objects.
RECORDS = st.lists(st.lists(_ENTRY, max_size=4).map(lambda es: "{" + ",".join(es) + "}"), min_size=1, max_size=4).map(
    lambda objs: "[" + ",".join(objs) + "]"
)


def _general(text: str) -> Any:
    with mock.patch.object(pyjsv._reader, "_flat_records", lambda seg: None):
        return _read(text)


def _read(text: str) -> Any:
    try:
        return pyjsv.loads(text)
    except pyjsv.DecodeError as exc:
        return ("DecodeError", exc.message, exc.pos)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        RECORDS,
        RECORDS.map(lambda t: t[1:-1]),
        RECORD_TEXT.map(lambda t: "{" + t + "}"),
        RECORD_TEXT.map(lambda t: "[{" + t + "}]"),
    )
)
def test_the_records_path_reads_what_the_general_reader_reads(text: str) -> None:
    assert _read(text) == _general(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.builds(Leaf, some_text=HOSTILE | st.none()), max_size=6))
def test_written_records_read_back_the_same_either_way(leaves: list[Leaf]) -> None:
    text = pyjsv.dumps(leaves)
    assert _read(text) == _general(text)


class TextRecord(msgspec.Struct, rename={"x": "a", "y": "b", "z": "ab"}):
    x: str | None = None
    y: str | None = None
    z: str = "default"


def _read_typed(text: str, tp: Any = list[TextRecord]) -> Any:
    try:
        return pyjsv.loads(text, type=tp)
    except pyjsv.DecodeError as exc:
        return ("DecodeError", exc.message, exc.pos)


def _general_typed(text: str, tp: Any = list[TextRecord]) -> Any:
    with (
        mock.patch.object(pyjsv._reader, "_flat_records", lambda seg: None),
        mock.patch.object(pyjsv, "typed_records", lambda text, tp, depth: None),
    ):
        return _read_typed(text, tp)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(RECORDS, RECORD_TEXT.map(lambda t: "[{" + t + "}]")))
def test_typed_records_read_what_the_general_reader_and_plan_read(text: str) -> None:
    # Keys here are short hostile texts, some of them wire names of TextRecord (a, b, ab), some not
    # (the plan matches those case-insensitively, or ignores them): both ways must agree.
    assert _read_typed(text) == _general_typed(text)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(RECORDS.map(lambda t: t[1:-1]), RECORD_TEXT.map(lambda t: "{" + t + "}")))
def test_one_typed_record_reads_what_the_general_reader_and_plan_read(text: str) -> None:
    assert _read_typed(text, TextRecord) == _general_typed(text, TextRecord)


def test_one_typed_record_takes_the_fast_path() -> None:
    record = TextRecord(x="v", y="2026-11-24T10:00:00Z", z="q,r")
    with mock.patch.object(pyjsv, "from_untyped", side_effect=AssertionError("took the general path")):
        assert pyjsv.loads(pyjsv.dumps(record), type=TextRecord) == record


def test_typed_records_take_the_fast_path_for_written_records() -> None:
    records = [TextRecord(x=f"v{i}", y="2026-11-24T10:00:00Z", z="q,r") for i in range(50)]
    text = pyjsv.dumps(records)
    with mock.patch.object(pyjsv, "from_untyped", side_effect=AssertionError("took the general path")):
        assert pyjsv.loads(text, type=list[TextRecord]) == records


@pytest.mark.parametrize(
    "text",
    [
        "[{a:x{,b:y}}]",  # braces that balance and make valid JSON, but inside one record
        '[{a:"",b:c}]',  # a quoted empty value, which the JSON rewrite cannot tell from null
        "[{a:,b:c}]",
        '[{"a":b}]',  # a quoted key
        '[{a:x"q"y}]',  # quotes inside a bare value
        "[{a:b\\c}]",  # a backslash, an escape in JSON
        "[{a:b\tc}]",  # a control character, which JSON refuses
        "[{:v}]",
    ],
)
def test_near_records_read_what_the_general_reader_reads(text: str) -> None:
    assert _read(text) == _general(text)
    assert _read_typed(text) == _general_typed(text)
