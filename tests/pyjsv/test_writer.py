"""The writer's compiled one-record path (`_compiled_record_writer`) against the rules it shortcuts."""

from __future__ import annotations

import datetime as dt

import msgspec
import pyjsv


class Member(msgspec.Struct, rename="camel"):
    plain: str | None = None
    spaced: str | None = None
    dated: str | msgspec.UnsetType = msgspec.UNSET
    count: int | None = None
    when: dt.date | None = None
    nested: list[str] | None = None


def test_strings_are_bare_unless_they_hold_a_delimiter() -> None:
    record = Member(plain="abc123", spaced="Bench account", dated="2026-12-07T14:43:00Z")
    assert pyjsv.dumps(record) == '{plain:abc123,spaced:Bench account,dated:"2026-12-07T14:43:00Z"}'


def test_letters_of_any_script_are_bare_and_an_empty_string_is_quoted() -> None:
    assert pyjsv.dumps(Member(plain="Zoë", spaced="")) == '{plain:Zoë,spaced:""}'


def test_quotes_inside_a_string_are_doubled() -> None:
    assert pyjsv.dumps(Member(plain='say "hi"')) == '{plain:"say ""hi"""}'


def test_null_and_unset_members_are_left_out() -> None:
    assert pyjsv.dumps(Member()) == "{}"
    assert pyjsv.dumps(Member(count=0)) == "{count:0}"


def test_other_types_go_through_their_own_writers() -> None:
    record = Member(count=3, when=dt.date(2026, 12, 7), nested=["a", "b,c"])
    assert pyjsv.dumps(record) == '{count:3,when:2026-12-07,nested:[a,"b,c"]}'


def test_a_record_alone_reads_as_it_does_in_a_list() -> None:
    records = [Member(plain="x", count=1), Member(spaced="a b", dated="1:2", nested=[])]
    alone = [pyjsv.dumps(record) for record in records]
    assert pyjsv.dumps(records) == "[" + ",".join(alone) + "]"


def test_members_named_after_keywords() -> None:
    # msgspec allows keyword member names, which `obj.<name>` could not read.
    keyworded = msgspec.defstruct("Keyworded", [("class", str), ("if", int)])
    assert pyjsv.dumps(keyworded("a:b", 2)) == '{class:"a:b",if:2}'
