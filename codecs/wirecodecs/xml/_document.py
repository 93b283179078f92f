"""A whole XML document: from pieces made once per shape when the root is a text record, else
written element by element (`_writer`).

Most answers are one record whose members are all declared text, a session. Its document depends
only on which members are text, empty or absent; the texts go between fixed pieces of markup. The
pieces of a shape are made the first time it is met, by writing a probe of the record whose texts
are markers and splitting the result at them; after that a document is one join.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from ._contract import STRUCT, Contracts
from ._writer import MARKER, InvalidChars, escape_text, is_verbatim, resolve_type, text_picker, write_document

__all__ = ["encode_document"]

#: Values of a declared text member that a shape's pieces can hold.
_SHAPED = frozenset({str, type(None), type(msgspec.UNSET)})
_UNKNOWN: Any = object()


@dataclass(frozen=True, slots=True)
class _Pieces:
    """The markup of one shape: `slots` holds None where each text goes, `pick` takes the texts
    from the member values in document order (None: every member is text, in member order)."""

    slots: list[str | None]
    pick: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None


class _RootRecord:
    """Documents whose root is one text record type: its members' getter and its shapes' pieces."""

    __slots__ = ("_get", "_invalid", "_names", "_shapes", "_write")

    def __init__(
        self,
        names: list[str],
        get: Callable[[Any], tuple[Any, ...]],
        write: Callable[[Any], str],
        invalid: InvalidChars,
    ) -> None:
        #: The members' attribute names, in the order `get` gives their values.
        self._names = names
        self._get = get
        self._write = write
        self._invalid = invalid
        self._shapes: dict[Any, _Pieces | None] = {}

    def fill(self, obj: Any) -> bytes | None:
        """`obj`'s document, or None when a member holds what its declaration does not say."""
        values = self._get(obj)
        # The shape in C: a type per member, and which are empty only when one is.
        types = tuple(map(type, values))
        key = (types, tuple(map(bool, values))) if "" in values else types
        pieces = self._shapes.get(key, _UNKNOWN)
        if pieces is _UNKNOWN:
            pieces = self._shapes[key] = self._pieces(obj, values, types)
        if pieces is None:
            return None
        texts = values if pieces.pick is None else pieces.pick(values)
        if not is_verbatim("".join(texts)):
            texts = tuple(escape_text(text, self._invalid) for text in texts)
        document = pieces.slots.copy()
        document[1::2] = texts
        return "".join(document).encode("utf-8", "surrogatepass")

    def _pieces(self, obj: Any, values: tuple[Any, ...], types: tuple[type, ...]) -> _Pieces | None:
        if not _SHAPED.issuperset(types):
            return None
        names = self._names
        markers = {names[i]: f"\ue000{i}\ue001" for i, value in enumerate(values) if type(value) is str and value}
        parts = MARKER.split(self._write(msgspec.structs.replace(obj, **markers)))
        order = [int(index) for index in parts[1::2]]
        slots: list[str | None] = [None] * len(parts)
        slots[0::2] = parts[0::2]
        return _Pieces(slots, text_picker(order, len(values)))


def _root_record(contracts: Contracts, declared: Any, cls: type, invalid: InvalidChars) -> _RootRecord | None:
    node = contracts.node_for(declared)
    contract = node.struct
    if node.kind != STRUCT or contract is None or getattr(contract.cls, "__origin__", contract.cls) is not cls:
        return None
    get = contracts.text_members(contract)
    if get is None:
        return None
    names = [member.py_name for member in contract.members]
    return _RootRecord(names, get, lambda probe: write_document(contracts, probe, node, invalid), invalid)


def _fill(contracts: Contracts, obj: Any, declared: Any, invalid: InvalidChars) -> bytes | None:
    """`obj`'s document from the pieces of its shape; None when its type or its values do not suit."""
    key = (declared, type(obj), invalid)
    root = contracts.documents.get(key, _UNKNOWN)
    if root is _UNKNOWN:
        root = contracts.documents[key] = _root_record(contracts, declared, type(obj), invalid)
    return None if root is None else root.fill(obj)


def encode_document(contracts: Contracts, obj: Any, declared: Any, invalid: InvalidChars) -> bytes:
    if declared is None:
        declared = resolve_type(obj)
    filled = _fill(contracts, obj, declared, invalid)
    if filled is not None:
        return filled
    return write_document(contracts, obj, contracts.node_for(declared), invalid).encode("utf-8", "surrogatepass")
