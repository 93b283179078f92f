"""Read answers remembered by value: a record read again, unchanged, in the same format is sent as
the bytes its first encoding made.

A GET of a session nobody changed returns an equal record each time, and encoding it is the one
step of such a request whose cost depends on the format: JSON's encoder is msgspec's C, JSV's,
XML's and CSV's are Python. The memo keys an encoding on the codec, the declared type, the
record's type and its member values, so it cannot answer for a record that differs in any member,
and needs no invalidation: an edited session is another key. Only flat records are remembered,
whose members are all exactly `str`, `int` or None, so that equal values are equal texts in every
format; a record holding a list, a nested record or any other value is encoded every time. A full
memo starts over, which bounds it without bookkeeping.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable
from typing import Any

import msgspec
from wirecodecs import Codec, encode_declared

__all__ = ["AnswerMemo"]

#: The member types whose equal values are equal texts in every format. Exact types, not
#: subclasses: `True == 1` and a `str` enum equals its value, yet each is written differently.
_PLAIN = frozenset({str, int, type(None)})

Members = Callable[[Any], tuple[Any, ...]]


def _members_of(tp: type[Any]) -> Members | None:
    """An answer of type `tp`'s member values, as a tuple; None when `tp` is no record."""
    if not issubclass(tp, msgspec.Struct):
        return None
    names = tp.__struct_fields__
    if len(names) > 1:
        return operator.attrgetter(*names)
    return lambda payload: tuple(getattr(payload, name) for name in names)


class AnswerMemo:
    def __init__(self, max_entries: int = 4096) -> None:
        self._max_entries = max_entries
        self._entries: dict[Hashable, bytes] = {}
        #: Per answer type, what its key is made of (None: not remembered); built once per type.
        self._members: dict[type[Any], Members | None] = {}

    def encode(self, codec: Codec, payload: Any, declared_type: Any) -> bytes:
        """`payload` encoded by `codec` (no `?jsconfig=`, no page), from the memo when an equal
        record was encoded by it before."""
        tp = type(payload)
        try:
            members = self._members[tp]
        except KeyError:
            members = self._members[tp] = _members_of(tp)
        if members is None:
            return encode_declared(codec, payload, declared_type)
        values = members(payload)
        if not _PLAIN.issuperset(map(type, values)):  # a list, a nested record, a float…
            return encode_declared(codec, payload, declared_type)
        key = (codec, declared_type, tp, values)
        found = self._entries.get(key)
        if found is None:
            found = encode_declared(codec, payload, declared_type)
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = found
        return found

    def __len__(self) -> int:
        return len(self._entries)
