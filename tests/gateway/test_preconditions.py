"""Parsing If-Match / If-None-Match (RFC 9110 §13.1.1-2): lists, `*`, weak tags, malformed members."""

from __future__ import annotations

import pytest

from gateway.preconditions import EntityTags, entity_tag, if_match, none_match, parse_entity_tags
from gateway.store import VersionMatch


def test_entity_tag_is_the_quoted_version() -> None:
    assert entity_tag(1) == '"1"' and entity_tag(12345) == '"12345"'


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("*", EntityTags(any=True)),
        ("  *  ", EntityTags(any=True)),
        ('"1"', EntityTags(any=False, tags=((False, "1"),))),
        ('W/"1" , "2",W/"x y"', EntityTags(any=False, tags=((True, "1"), (False, "2"), (True, "x y")))),
        ('bad, "3", also bad', EntityTags(any=False, tags=((False, "3"),))),
        ('"unterminated, "4"', EntityTags(any=False, tags=((False, "4"),))),
        ("", EntityTags(any=False, tags=())),
        ('"", "5"', EntityTags(any=False, tags=((False, ""), (False, "5")))),
    ],
)
def test_parse_entity_tags(value: str, parsed: EntityTags) -> None:
    assert parse_entity_tags(value) == parsed


def test_if_match_compares_strongly_and_only_canonical_versions() -> None:
    assert if_match(None) is None
    assert if_match("*") == VersionMatch(any_version=True)
    assert if_match('"3", W/"4", "05", "0", "x", "6"') == VersionMatch(versions=frozenset({3, 6}))
    assert if_match("nonsense") == VersionMatch()
    # No giant integers from a hostile header: more than 18 digits is no version of ours.
    assert if_match('"' + "9" * 5000 + '"') == VersionMatch()


def test_none_match_compares_weakly() -> None:
    assert not none_match(None, 1)
    assert none_match('"1"', 1) and none_match('W/"1"', 1) and none_match('"2", W/"1"', 1)
    assert none_match("*", 7)
    assert not none_match('"2"', 1) and not none_match("1", 1) and not none_match('"01"', 1)
