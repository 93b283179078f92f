"""Lists of common records read at C speed, by way of JSON.

A list of objects whose entries are all `key:value`, keys bare, values bare (no delimiter, not
empty) or quoted without doubled quotes, is JSON once every key and value is put in quotes, and a
few `str.replace` calls do that over the whole text; msgspec's JSON reader then builds the
records in C. Whatever this cannot prove to mean in JSON what it means in JSV goes to the general
reader, which reads the text from its start: nesting, empty values (null in JSV), quoted keys,
doubled or misplaced quotes, a backslash (an escape in JSON), and whatever the JSON reader refuses
(an entry with no colon or two, a control character).

Typed reading of a list of text records (`list[Record]`, every member `str` or `str | None`) goes
one step further: the JSON is read straight into a mirror of the Struct that refuses unknown
members, so that a key that is not a wire name (which the general plan matches
case-insensitively) sends the text to the general path instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from itertools import chain, repeat
from types import GenericAlias
from typing import Any, get_args, get_origin

import msgspec
from msgspec import inspect as mi

from ._untyped import text_record_class

__all__ = ["records_as_json", "typed_records"]

#: Stand in for a quoted value and for a record boundary while the text is rewritten (control
#: characters no JSV writer emits; text holding either takes the general path).
_PLACEHOLDER, _SEPARATOR = "\x00", "\x01"


def records_as_json(seg: str) -> tuple[str, int] | None:
    """`{…},{…},…` (the inside of a list) as a JSON array of objects of strings, with the number
    of records it must decode to; None when the text is not a list of common records.

    Every check is a one-character scan or one substring search: two-character patterns cost as
    much as a `str.replace`, so the structure is left for the JSON reader to prove where it can."""
    if "[" in seg or "]" in seg or "\\" in seg or _PLACEHOLDER in seg or _SEPARATOR in seg:
        return None
    if seg[:1] != "{" or seg[-1:] != "}":
        return None
    quoted: list[str] = []
    if '"' in seg:
        pieces = seg.split('"')
        if not len(pieces) & 1:
            return None
        quoted = pieces[1::2]
        # Each quoted value stands in as one placeholder; each must turn out to be a whole value.
        seg = _PLACEHOLDER.join(pieces[0::2])
    # One `{` and one `}` per record, none inside one (checked against the records decoded).
    records = seg.count("{")
    if seg.count("}") != records:
        return None
    # Record boundaries hold a comma: they come out of the second replace as `}","{`.
    body = seg[1:-1].replace(":", '":"').replace(",", '","').replace('}","{', '"},{"')
    document = '[{"' + body + '"}]'
    # An empty value (null in JSV) and an empty quoted one both show as `:""`: take neither here.
    if ':""' in document:
        return None
    if quoted:
        parts = document.split(_PLACEHOLDER)
        # A whole value sits between `":"` and `"`; a quoted key or a quote inside a value does not.
        if not (all(map(str.endswith, parts[:-1], repeat('":"'))) and all(map(str.startswith, parts[1:], repeat('"')))):
            return None
        document = "".join([*chain.from_iterable(zip(parts, quoted, strict=False)), parts[-1]])
    return document, records


def typed_records(text: str, tp: Any, max_depth: int) -> Any:
    """`text` read as `tp` when `tp` is a text record or a list of them and `text` one common
    record or a list of them (the general reader would take the same path); None when not."""
    plan = _typed_plan(tp)
    if plan is None or max_depth < 1:
        return None
    decoder, cls, is_list = plan
    if is_list:
        if max_depth < 2 or text[:2] != "[{" or text[-1:] != "]":
            return None
        seg = text[1:-1]
    elif text[:1] != "{" or text[-1:] != "}":
        return None
    else:
        seg = text
    converted = records_as_json(seg)
    if converted is None or (not is_list and converted[1] != 1):
        return None
    try:
        mirrors = decoder.decode(converted[0])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if len(mirrors) != converted[1]:
        return None  # a brace inside a record
    if not is_list:
        # By itself: msgspec keeps what it learns of a Struct type, but relearns `list[X]` per call.
        return msgspec.convert(mirrors[0], cls, from_attributes=True)
    return msgspec.convert(mirrors, GenericAlias(list, (cls,)), from_attributes=True)


def _typed_plan(tp: Any) -> tuple[msgspec.json.Decoder[list[Any]], Any, bool] | None:
    """For a text record type or a list of one: the decoder of a list of its mirrors, the record
    type, and whether a list is read; None for any other type."""
    try:
        return _typed_plan_cached(tp)
    except TypeError:  # an unhashable annotation: not a plain record type
        return None


@lru_cache(maxsize=256)
def _typed_plan_cached(tp: Hashable) -> tuple[msgspec.json.Decoder[list[Any]], Any, bool] | None:
    is_list = get_origin(tp) is list
    if is_list and len(get_args(tp)) != 1:
        return None
    record_type = get_args(tp)[0] if is_list else tp
    record = text_record_class(mi.type_info(record_type))
    if record is None:
        return None
    cls = getattr(record, "__origin__", record)
    if cls.__struct_config__.array_like:
        return None
    fields = msgspec.structs.fields(cls)
    # A member with a default factory is required here: a record without it takes the general path.
    members: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (f.name, str | None) if f.default is msgspec.NODEFAULT else (f.name, str | None, f.default) for f in fields
    ]
    mirror = msgspec.defstruct(
        f"{cls.__name__}Mirror", members, rename={f.name: f.encode_name for f in fields}, forbid_unknown_fields=True
    )
    return msgspec.json.Decoder(GenericAlias(list, (mirror,))), record_type, is_list
