"""JSV text → untyped values: `str` for scalars, `list` for `[...]`, `dict` for `{...}`, and `None`
for an empty value (while `""` reads as the empty string), as ServiceStack's untyped reader does.

Every scan is a compiled-regex or `str.find` search that starts where the last one stopped, so a
document is read in time linear in its length, whatever it holds.
"""

from __future__ import annotations

import re
from itertools import accumulate, chain, pairwise, repeat
from typing import Any

from ._errors import DecodeError

__all__ = ["DEFAULT_MAX_DEPTH", "parse"]

DEFAULT_MAX_DEPTH = 64

_KEY_END = re.compile(r"[:,}]")
_OBJECT_VALUE_END = re.compile(r"[,}]")
_LIST_VALUE_END = re.compile(r"[,\]]")
_BLANK_THEN_CLOSE = re.compile(r"\s*([}\]])")
_SPACE = re.compile(r"\s*")
_BLANK_OR_CLOSE = frozenset(" \t\r\n\f\v}]")
#: Stand in for a quoted value, separate values and mark values while records are split (control
#: characters no JSV writer emits; text holding any of them takes the general path).
_PLACEHOLDER, _SEPARATOR, _MARK = "\x00", "\x01", "\x02"
_COLON = "," + _MARK
# Every `str.find` goes through this name, so the linear-time tests can count what it scans.
_find = str.find
# The common entry in one match: a bare key, then a bare value or a quoted one without doubled
# quotes, then `,` or `}`. Anything else takes the general path below.
_SIMPLE_ENTRY = re.compile(r'([^:,}"][^:,}"]*):(?:"([^"]*)"(?!")|([^"{\[,}][^,}]*))?(?=[,}])')


def _describe(text: str, pos: int) -> str:
    return f"{text[pos]!r}" if pos < len(text) else "end of text"


def _flat_records(seg: str) -> list[dict[str, Any]] | None:
    """`{…},{…},…` read with C-speed str methods, when every object is a common record: bare keys
    with one colon each, values bare (no delimiter, not empty) or quoted without doubled quotes.
    Anything else (nesting, doubled or misplaced quotes, quoted keys, empty values, an error) gives
    None, and the general reader reads the text from its start."""
    if "[" in seg or seg[:1] != "{" or seg[-1:] != "}":
        return None
    if _PLACEHOLDER in seg or _SEPARATOR in seg or _MARK in seg:
        return None
    quoted: list[str] = []
    if '"' in seg:
        pieces = seg.split('"')
        if not len(pieces) & 1:
            return None
        quoted = pieces[1::2]
        # Each quoted value stands in as one placeholder; each must turn out to be a whole value.
        seg = _PLACEHOLDER.join(pieces[0::2])
    inner = seg[1:-1]
    flat = inner.replace("},{", ",")  # every entry of every record, comma-separated
    if "{" in flat or "}" in flat or ":," in flat or flat.endswith(":"):
        return None  # braces inside a record, or an empty value (null, which this path never makes)
    if quoted and not (
        flat.count(":" + _PLACEHOLDER) == flat.count(_PLACEHOLDER + ",") + flat.endswith(_PLACEHOLDER) == len(quoted)
    ):
        return None  # a quoted key, a doubled quote, or a quote inside a bare value
    # Every colon becomes a separator followed by a mark: an entry has exactly one colon when the
    # tokens alternate, keys without the mark and values with it.
    tokens = flat.replace(":", _COLON).split(",")
    keys, marked = tokens[0::2], tokens[1::2]
    if len(keys) != len(marked) or _MARK in "".join(keys):
        return None
    joined = _SEPARATOR.join(marked)
    if joined.count(_MARK) != len(marked):
        return None
    joined = joined.replace(_MARK, "")
    if quoted:
        parts = joined.split(_PLACEHOLDER)
        joined = "".join([*chain.from_iterable(zip(parts, quoted, strict=False)), parts[-1]])
    values = joined.split(_SEPARATOR)
    bodies = inner.split("},{")
    commas = set(map(str.count, bodies, repeat(",")))
    if len(commas) == 1:
        # Records of one shape (the usual case): one key row, whose hashes are computed once.
        width = commas.pop() + 1
        row = keys[:width]
        if keys == row * len(bodies):
            return list(map(dict, map(zip, repeat(row), zip(*[iter(values)] * width, strict=True))))
    bounds = list(accumulate(map(str.count, bodies, repeat(",")), lambda total, n: total + n + 1, initial=0))
    return [dict(zip(keys[a:b], values[a:b], strict=True)) for a, b in pairwise(bounds)]


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
