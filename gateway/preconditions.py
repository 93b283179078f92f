"""HTTP preconditions on one AI session (RFC 9110 §8.8.3 and §13): its ETag, `If-None-Match` on
GET and `If-Match` on PATCH and DELETE.

A session's tag is its version number, quoted: `"3"`. It comes from the store's version column,
not from a hash of the encoded body, so JSON, JSV, XML and CSV answers of one session carry the
same tag, and a tag read from one node is understood by every other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .store.base import VersionMatch

__all__ = ["EntityTags", "entity_tag", "if_match", "none_match", "parse_entity_tags"]

# One list member: an optional weak prefix and a quoted opaque value (etagc excludes DQUOTE),
# then a comma or the end. Anything else up to the next comma is skipped as malformed.
_MEMBER = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
#: A version is a positive decimal without leading zeros, at most 18 digits (fits a BIGINT).
_VERSION = re.compile(r"[1-9][0-9]{0,17}")


def entity_tag(version: int) -> str:
    """The strong ETag of a session at `version`."""
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class EntityTags:
    """A parsed `If-Match` / `If-None-Match` value: `*`, or a list of (weak, opaque) tags."""

    any: bool
    tags: tuple[tuple[bool, str], ...] = ()


def parse_entity_tags(value: str) -> EntityTags:
    """Parse a (possibly folded, comma-joined) header value. Malformed members are skipped: a tag
    the server never issued cannot match anything anyway."""
    if value.strip() == "*":
        return EntityTags(any=True)
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(value):
        member = _MEMBER.match(value, position)
        if member is None:
            comma = value.find(",", position)
            if comma < 0:
                break
            position = comma + 1
            continue
        tags.append((member.group(1) is not None, member.group(2)))
        position = member.end()
    return EntityTags(any=False, tags=tuple(tags))


def if_match(value: str | None) -> VersionMatch | None:
    """The store precondition an `If-Match` value asks for; None without the header. Strong
    comparison: a weak tag never matches, nor does an opaque value that is not one of our versions."""
    if value is None:
        return None
    parsed = parse_entity_tags(value)
    if parsed.any:
        return VersionMatch(any_version=True)
    return VersionMatch(
        versions=frozenset(int(opaque) for weak, opaque in parsed.tags if not weak and _VERSION.fullmatch(opaque))
    )


def none_match(value: str | None, version: int) -> bool:
    """Whether `If-None-Match` matches the session at `version` (then a GET answers 304). Weak
    comparison: `W/"3"` matches `"3"`; `*` matches any session that exists."""
    if value is None:
        return False
    parsed = parse_entity_tags(value)
    current = str(version)
    return parsed.any or any(opaque == current for _, opaque in parsed.tags)
