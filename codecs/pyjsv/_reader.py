"""JSV text → untyped values: `str` for scalars, `list` for `[...]`, `dict` for `{...}`, and `None`
for an empty value (while `""` reads as the empty string), as ServiceStack's untyped reader does.

Every scan is a compiled-regex or `str.find` search that starts where the last one stopped, so a
document is read in time linear in its length, whatever it holds.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ._errors import DecodeError
from ._records import records_as_json

__all__ = ["DEFAULT_MAX_DEPTH", "parse"]

DEFAULT_MAX_DEPTH = 64

_KEY_END = re.compile(r"[:,}]")
_OBJECT_VALUE_END = re.compile(r"[,}]")
_LIST_VALUE_END = re.compile(r"[,\]]")
_BLANK_THEN_CLOSE = re.compile(r"\s*([}\]])")
_SPACE = re.compile(r"\s*")
_BLANK_OR_CLOSE = frozenset(" \t\r\n\f\v}]")
# Every `str.find` goes through this name, so the linear-time tests can count what it scans.
_find = str.find
# The common entry in one match: a bare key, then a bare value or a quoted one without doubled
# quotes, then `,` or `}`. Anything else takes the general path below.
_SIMPLE_ENTRY = re.compile(r'([^:,}"][^:,}"]*):(?:"([^"]*)"(?!")|([^"{\[,}][^,}]*))?(?=[,}])')


def _describe(text: str, pos: int) -> str:
    return f"{text[pos]!r}" if pos < len(text) else "end of text"


def _flat_records(seg: str) -> list[dict[str, Any]] | None:
    """`{…},{…},…` as dicts built in C when every object is a common record (`_records.py`); None
    sends the general reader over the text from its start."""
    converted = records_as_json(seg)
    if converted is None:
        return None
    try:
        records: list[dict[str, Any]] = msgspec.json.decode(converted[0])
    except msgspec.DecodeError:
        return None
    return records if len(records) == converted[1] else None  # else a brace inside a record


def parse(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse a whole JSV document into untyped values."""
    n = len(text)

    def quoted(pos: int) -> tuple[str, int]:
        # pos is at the opening quote; a doubled quote is a literal one.
        start = pos + 1
        end = _find(text, '"', start)
        doubled = False
        while end != -1 and end + 1 < n and text[end + 1] == '"':
            doubled = True
            end = _find(text, '"', end + 2)
        if end == -1:
            raise DecodeError("unterminated quoted string", pos=pos)
        value = text[start:end]
        return (value.replace('""', '"') if doubled else value), end + 1

    def value(pos: int, end_pattern: re.Pattern[str], depth: int) -> tuple[Any, int]:
        if pos >= n:
            return None, pos
        first = text[pos]
        if first == '"':
            return quoted(pos)
        if first == "{":
            return obj(pos, depth + 1)
        if first == "[":
            return array(pos, depth + 1)
        m = end_pattern.search(text, pos)
        end = m.start() if m else n
        # Unquoted values are taken verbatim: no trimming, no unescaping.
        return (text[pos:end] or None), end

    def obj(pos: int, depth: int) -> tuple[dict[str, Any], int]:
        if depth > max_depth:
            raise DecodeError(f"nesting deeper than {max_depth} levels", pos=pos)
        result: dict[str, Any] = {}
        pos += 1
        if pos < n and text[pos] in _BLANK_OR_CLOSE:
            blank = _BLANK_THEN_CLOSE.match(text, pos)
            if blank is not None and blank.group(1) == "}":
                return result, blank.end()
        simple = _SIMPLE_ENTRY.match
        while True:
            m = simple(text, pos)
            if m is not None:
                quoted_value, bare_value = m.group(2, 3)
                result[m.group(1)] = quoted_value if quoted_value is not None else bare_value
                pos = m.end()
                if text[pos] == ",":
                    pos += 1
                    continue
                return result, pos + 1
            key_start = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if key_start < n and text[key_start] == '"':
                # A quoted key may hold the delimiters the writer quoted it for, `:` included.
                key, after = quoted(key_start)
                colon = _SPACE.match(text, after).end()  # type: ignore[union-attr]
                if colon >= n or text[colon] != ":":
                    raise DecodeError(f"expected ':' after a property name, found {_describe(text, colon)}", pos=colon)
                value_start = colon + 1
            else:
                m = _KEY_END.search(text, pos)
                if m is None or text[m.start()] != ":":
                    at = m.start() if m else n
                    raise DecodeError(f"expected ':' after a property name, found {_describe(text, at)}", pos=at)
                # Kept verbatim: dictionary keys are not trimmed; Struct members are matched trimmed.
                key = text[pos : m.start()]
                value_start = m.end()
            item, pos = value(value_start, _OBJECT_VALUE_END, depth)
            result[key] = item
            if pos >= n:
                raise DecodeError("unterminated object: expected ',' or '}'", pos=pos)
            ch = text[pos]
            if ch == ",":
                pos += 1
                continue
            if ch == "}":
                return result, pos + 1
            raise DecodeError(f"expected ',' or '}}' after a value, found {ch!r}", pos=pos)

    def array(pos: int, depth: int) -> tuple[list[Any], int]:
        if depth > max_depth:
            raise DecodeError(f"nesting deeper than {max_depth} levels", pos=pos)
        if depth < max_depth and pos + 1 < n and text[pos + 1] == "{":
            close = _find(text, "]", pos)
            if close != -1:
                records = _flat_records(text[pos + 1 : close])
                if records is not None:
                    return records, close + 1
        result: list[Any] = []
        pos += 1
        if pos < n and text[pos] in _BLANK_OR_CLOSE:
            blank = _BLANK_THEN_CLOSE.match(text, pos)
            if blank is not None and blank.group(1) == "]":
                return result, blank.end()
        while True:
            # Lists of objects are the common case: skip the generic dispatch for them.
            if pos < n and text[pos] == "{":
                item, pos = obj(pos, depth + 1)
            else:
                item, pos = value(pos, _LIST_VALUE_END, depth)
            result.append(item)
            if pos >= n:
                raise DecodeError("unterminated list: expected ',' or ']'", pos=pos)
            ch = text[pos]
            if ch == ",":
                pos += 1
                if pos < n and text[pos] == "]":
                    # A trailing comma adds a null element: [1,] is {1, null}.
                    result.append(None)
                    return result, pos + 1
                continue
            if ch == "]":
                return result, pos + 1
            raise DecodeError(f"expected ',' or ']' after a list element, found {ch!r}", pos=pos)

    if not text:
        return None
    first = text[0]
    result: Any
    try:
        if first == "{":
            result, end = obj(0, 1)
        elif first == "[":
            result, end = array(0, 1)
        elif first == '"':
            result, end = quoted(0)
        else:
            # A root scalar is the whole text, verbatim.
            return text
    except RecursionError:
        raise DecodeError(f"nesting deeper than this interpreter's stack allows (max_depth={max_depth})") from None
    if end < n and text[end:].strip():
        raise DecodeError(f"unexpected text after the document: {_describe(text, end)}", pos=end)
    return result
