"""Golden JSV vectors from ServiceStack.Text's tests and sources (fixtures/pyjsv/jsv_vectors.json):
written byte for byte, and read back to the same value."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pyjsv
import pytest

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "pyjsv" / "jsv_vectors.json").read_text())


class Poco(msgspec.Struct):
    Id: int = 0
    Name: str | None = None


class Pair(msgspec.Struct):
    A: str | None = None
    B: str | None = None


class Sample(enum.Enum):
    EnumValue1 = 1
    EnumValue2 = 2


class Flags(enum.IntFlag):
    One = 1
    Two = 2


TYPES: dict[str, Any] = {
    "str": str,
    "float": float,
    "uuid": uuid.UUID,
    "datetime": dt.datetime,
    "timedelta": dt.timedelta,
    "time": dt.time,
    "bytes": bytes,
    "enum": Sample,
    "flags": Flags,
    "Poco": Poco,
    "Pair": Pair,
    "list[str]": list[str],
    "list[str|None]": list[str | None],
    "list[int|None]": list[int | None],
    "list[list[float]]": list[list[float]],
    "list[decimal]": list[decimal.Decimal],
    "list[bool]": list[bool],
    "dict[int,str]": dict[int, str],
    "dict[str,str]": dict[str, str],
    "dict[str,str|None]": dict[str, str | None],
    "list[dict[str,str]]": list[dict[str, str]],
}


def build(tagged: dict[str, Any]) -> Any:
    t, v = tagged["t"], tagged["v"]
    if t == "uuid":
        return uuid.UUID(v)
    if t == "datetime":
        return dt.datetime.fromisoformat(v)
    if t == "timedelta":
        return dt.timedelta(seconds=v)
    if t == "time":
        return dt.time.fromisoformat(v)
    if t == "bytes":
        return bytes.fromhex(v)
    if t == "enum":
        return Sample[v]
    if t == "flags":
        return Flags(v)
    if t in ("Poco", "Pair"):
        return TYPES[t](**v)
    if t == "list[decimal]":
        return [decimal.Decimal(x) for x in v]
    if t.startswith("dict"):
        return {k: val for k, val in v}
    if t == "list[dict[str,str]]":
        return [{k: val for k, val in d} for d in v]
    return v


WRITE = [v for v in VECTORS["vectors"] if v["dir"] in ("both", "write")]
READ = [v for v in VECTORS["vectors"] if v["dir"] in ("both", "read")]


@pytest.mark.parametrize("vector", WRITE, ids=[v["source"][:60] for v in WRITE])
def test_written_byte_for_byte(vector: dict[str, Any]) -> None:
    assert pyjsv.dumps(build(vector["value"])) == vector["jsv"]
    assert pyjsv.encode(build(vector["value"])) == vector["jsv"].encode("utf-8")


@pytest.mark.parametrize("vector", READ, ids=[v["source"][:60] for v in READ])
def test_read_back_to_the_value(vector: dict[str, Any]) -> None:
    tp = TYPES[vector["value"]["t"]]
    assert pyjsv.loads(vector["jsv"], type=tp) == build(vector["value"])
    assert pyjsv.decode(vector["jsv"].encode("utf-8"), type=tp) == build(vector["value"])


@pytest.mark.parametrize("vector", VECTORS["format"], ids=[v["source"][:60] for v in VECTORS["format"]])
def test_format_matches_jsv_formatter(vector: dict[str, Any]) -> None:
    assert pyjsv.format(vector["jsv"]) == vector["pretty"]


def test_untyped_reading_gives_strings_lists_and_dicts() -> None:
    assert pyjsv.loads('{a:1,b:[x,"y,z",],c:{d:},e:""}') == {
        "a": "1",
        "b": ["x", "y,z", None],
        "c": {"d": None},
        "e": "",
    }
    assert pyjsv.loads("plain text, with: delimiters") == "plain text, with: delimiters"
    assert pyjsv.loads("") is None


def test_none_at_the_root_is_empty_text() -> None:
    assert pyjsv.dumps(None) == ""
