"""DTO → XML bytes, byte-for-byte as ServiceStack writes them.

ServiceStack serializes with `DataContractSerializer.WriteObject(XmlWriter.Create(stream, settings))`
(UTF-8 without BOM, declaration on, no indentation). The bytes therefore come from two .NET pieces
that this module imitates:

- `XmlWellFormedWriter`: an element in a namespace that is not in scope gets a default-namespace
  declaration, written *after* the explicit attributes (`<CreatedBy i:nil="true" xmlns="…" />`);
  an element whose namespace already has a prefix reuses it (`<d2p1:string>`); an element with no
  content ends with `" />"`.
- `XmlDictionaryWriter`'s wrapper: a namespace DataContractSerializer declares itself gets the prefix
  `d{depth}p{n}`, depth counting the root as 1 and n being 1 + the attributes already on the element.
"""

from __future__ import annotations

import base64
import enum
import math
import re
import typing
from collections.abc import Callable
from itertools import chain, compress
from operator import itemgetter
from typing import Any, Literal

import msgspec

from ..errors import EncodeError
from ._contract import ANY, ARRAYS_NS, DICT, LIST, SERIALIZATION_NS, STRUCT, XSI_NS, ClassContract, Contracts, Node

__all__ = ["MARKER", "InvalidChars", "escape_text", "is_verbatim", "resolve_type", "text_picker", "write_document"]

InvalidChars = Literal["replace", "error"]

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XMLNS_NS = "http://www.w3.org/2000/xmlns/"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

# Characters text content cannot carry verbatim. XML 1.0 has no way at all to write C0 controls
# other than TAB/LF/CR, lone surrogates, U+FFFE or U+FFFF (not even as &#x1;).
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: The ASCII characters text content carries as they are (the complement of _TEXT_SPECIAL's).
_VERBATIM = bytes(b for b in range(128) if not _TEXT_SPECIAL.match(chr(b)))


def is_verbatim(text: str) -> bool:
    """True when `text` needs no escape. ASCII text is checked by deleting every byte that needs
    none (C speed, a third of the regex's time), the rest by the regex."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _VERBATIM)
    return _TEXT_SPECIAL.search(text) is None


_ATTR_SPECIAL = re.compile('[&<>"\r\n\t]')
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#xD;", "\n": "&#xA;", "\t": "&#x9;"}


def escape_text(text: str, invalid: InvalidChars) -> str:
    """`&`, `<`, `>` as entities (as .NET does); CR as `&#xD;` so it survives parsing.

    Characters XML 1.0 cannot represent become U+FFFD, or raise EncodeError when `invalid="error"`
    (what .NET's XmlWriter does: ArgumentException, a 500 in ServiceStack).
    """
    if is_verbatim(text):
        return text

    def sub(match: re.Match[str]) -> str:
        ch = match.group()
        entity = _ENTITIES.get(ch)
        if entity is not None:
            return entity
        if invalid == "error":
            raise EncodeError(f"character U+{ord(ch):04X} cannot be represented in XML 1.0")
        return "\ufffd"

    return _TEXT_SPECIAL.sub(sub, text)


def _escape_attr(text: str) -> str:
    return _ATTR_SPECIAL.sub(lambda m: _ENTITIES[m.group()], text)


class _XmlWriter:
    """The slice of XmlWellFormedWriter + XmlWrappedWriter that DataContractSerializer exercises."""

    def __init__(self, invalid: InvalidChars) -> None:
        self._out: list[str] = [_DECLARATION]
        self._invalid = invalid
        # In-scope namespace bindings, innermost last, as (prefix, uri).
        self._ns: list[tuple[str, str]] = [("xml", _XML_NS), ("xmlns", _XMLNS_NS), ("", "")]
        self._elements: list[tuple[str, int]] = []  # (qualified name, len(self._ns) before it)
        self._open = False  # the start tag is not closed yet
        self._pending: tuple[str, str] | None = None  # implicit declaration, written at tag close
        self._attributes = 1  # XmlWrappedWriter._prefix: reset to 1 per element, +1 per attribute

    def getvalue(self) -> str:
        return "".join(self._out)

    def _lookup_prefix(self, uri: str) -> str | None:
        """XmlWellFormedWriter.LookupPrefix: the newest binding of `uri`, unless its prefix was rebound."""
        for i in range(len(self._ns) - 1, -1, -1):
            prefix, bound = self._ns[i]
            if bound == uri:
                if any(p == prefix for p, _ in self._ns[i + 1 :]):
                    return None
                return prefix
        return None

    def _lookup_namespace(self, prefix: str) -> str | None:
        for p, uri in reversed(self._ns):
            if p == prefix:
                return uri
        return None

    def start(self, local: str, uri: str) -> None:
        self._close_start_tag()
        prefix = self._lookup_prefix(uri)
        if prefix is None:
            prefix = ""
        mark = len(self._ns)
        self._pending = (prefix, uri) if self._lookup_namespace(prefix) != uri else None
        self._ns.append((prefix, uri))
        qname = f"{prefix}:{local}" if prefix else local
        self._elements.append((qname, mark))
        self._out.append("<" + qname)
        self._open = True
        self._attributes = 1

    def declare(self, prefix: str, uri: str) -> None:
        self._attribute(f"xmlns:{prefix}", uri)
        self._ns.append((prefix, uri))

    def declare_generated(self, uri: str) -> None:
        """XmlDictionaryWriter.WriteXmlnsAttribute(null, uri): only if `uri` has no prefix in scope."""
        if self._lookup_prefix(uri) is None:
            self.declare(f"d{len(self._elements)}p{self._attributes}", uri)

    def nil(self) -> None:
        self._attribute("i:nil", "true")

    def _attribute(self, qname: str, value: str) -> None:
        self._out.append(f' {qname}="{_escape_attr(value)}"')
        self._attributes += 1

    def _flush_pending(self) -> None:
        if self._pending is not None:
            prefix, uri = self._pending
            self._out.append(f' xmlns:{prefix}="{_escape_attr(uri)}"' if prefix else f' xmlns="{_escape_attr(uri)}"')
            self._pending = None

    def _close_start_tag(self) -> None:
        if self._open:
            self._flush_pending()
            self._out.append(">")
            self._open = False

    def text(self, text: str) -> None:
        # An empty string still ends as `<X />`: .NET's raw writer turns `<X></X>` with nothing
        # between into the short form.
        if text:
            self._close_start_tag()
            self._out.append(escape_text(text, self._invalid))

    def raw(self, markup: str) -> None:
        """Markup written as it is, inside the current element (whose start tag is closed)."""
        self._out.append(markup)

    def end(self) -> None:
        qname, mark = self._elements.pop()
        if self._open:
            self._flush_pending()
            self._out.append(" />")
            self._open = False
        else:
            self._out.append(f"</{qname}>")
        del self._ns[mark:]


#: A text member's shape, which decides its markup: nil, empty (`<X />`), text, or not text at all.
_NIL, _EMPTY, _TEXT, _OTHER = "nil", "empty", "text", "other"
_UNKNOWN: Any = object()
#: A probe's text for member i: private-use characters, which no escape changes.
MARKER = re.compile("\ue000([0-9]+)\ue001")


def text_picker(order: list[int], count: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """What takes the texts written at the markers `order` (in the order written) out of a
    record's `count` member values; None when that is all of them, in member order."""
    if order == list(range(count)):
        return None
    if len(order) == 1:
        only = order[0]
        return lambda values: (values[only],)
    return itemgetter(*order) if order else lambda values: ()


def _text_shape(value: Any) -> str:
    if value is None or value is msgspec.UNSET:
        return _NIL
    if type(value) is not str:
        return _OTHER
    return _TEXT if value else _EMPTY


def scalar_text(value: Any) -> str:
    """A scalar as XmlConvert writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        # DataContractSerializer writes an enum member's name; the DTOs' enum values are those names.
        return value.value if isinstance(value.value, str) else value.name
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value).replace("e", "E")
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def resolve_type(obj: Any) -> Any:
    """The declared type to write `obj` as, binding generic parameters from the values it holds.

    `ListResponse(items=[AISessionInfo(...)])` → `ListResponse[AISessionInfo]`. A parameter with no
    value to learn from (an empty list) is bound to `Any`, which names the root `ListResponseOfanyType`;
    pass `type=` to `XmlCodec.encode` to get the exact name in that case.
    """
    cls = type(obj)
    if isinstance(obj, msgspec.Struct):
        params = getattr(cls, "__parameters__", ())
        if not params:
            return cls
        bound: dict[Any, Any] = {}
        for f in msgspec.structs.fields(cls):
            ann = f.type
            while typing.get_origin(ann) is typing.Annotated:
                ann = typing.get_args(ann)[0]
            value = getattr(obj, f.name, None)
            if ann in params and value is not None and ann not in bound:
                bound[ann] = type(value)
            elif typing.get_origin(ann) in (list, set, frozenset, tuple) and value:
                args = typing.get_args(ann)
                if args and args[0] in params and args[0] not in bound:
                    bound[args[0]] = type(next(iter(value)))
        return cls[tuple(bound.get(p, Any) for p in params)]
    if isinstance(obj, list):
        return list[resolve_type(obj[0])] if obj else list[Any]  # type: ignore[misc]
    return cls


class _Encoder:
    def __init__(self, contracts: Contracts, writer: _XmlWriter) -> None:
        self._contracts = contracts
        self._w = writer

    def members(self, obj: Any, contract: ClassContract) -> None:
        w = self._w
        for member in contract.members:
            w.start(member.xml_name, member.ns)
            if member.child_ns is not None:
                w.declare_generated(member.child_ns)
            self.value(getattr(obj, member.py_name, None), member.node)
            w.end()

    def value(self, value: Any, node: Node) -> None:
        w = self._w
        if value is None or value is msgspec.UNSET:
            w.nil()
            return
        kind = node.kind
        if isinstance(value, msgspec.Struct):
            contract = node.struct
            if contract is None or getattr(contract.cls, "__origin__", contract.cls) is not type(value):
                runtime = self._contracts.node_for(resolve_type(value))
                assert runtime.struct is not None
                contract = runtime.struct
            if not self.filled(value, contract):
                self.members(value, contract)
        elif kind == LIST or (kind == ANY and isinstance(value, (list, tuple, set, frozenset))):
            item = node.item if node.item is not None else self._contracts.node_for(Any)
            if kind == LIST and item.kind == STRUCT and type(value) is list and self.records(value, item, node.ns):
                return
            for entry in value:
                entry_node = item
                if item.kind == ANY and entry is not None:
                    entry_node = self._contracts.node_for(resolve_type(entry))
                w.start(entry_node.name, node.ns if kind == LIST else ARRAYS_NS)
                self.value(entry, entry_node)
                w.end()
        elif kind == DICT or (kind == ANY and isinstance(value, dict)):
            self.mapping(value, node if kind == DICT else self._contracts.node_for(dict[Any, Any]))
        else:
            w.text(scalar_text(value))

    def filled(self, obj: Any, contract: ClassContract) -> bool:
        """A record whose members are all text, written by filling in the markup this contract
        writes from this writer state with members of this shape (nil, empty or text each): the
        markup depends on nothing else, so it is made once, by writing the record, and reused.
        False (nothing written) when the record does not suit."""
        get = self._contracts.text_members(contract)
        if get is None:
            return False
        values = get(obj)
        # The shape, in C: a type and a truth value per member (None, UNSET and "" are false).
        present = tuple(map(bool, values))
        w = self._w
        key = (id(contract), tuple(map(type, values)), present, tuple(w._ns), len(w._elements), w._open, w._pending)
        templates = self._contracts.templates
        template = templates.get(key, _UNKNOWN)
        texts = tuple(compress(values, present))
        if template is _UNKNOWN:
            shape = tuple(map(_text_shape, values))
            if _OTHER in shape:
                templates[key] = None
                return False
            templates[key] = self.member_template(obj, contract, shape, texts)
            return True  # written while the template was made
        if template is None:
            return False
        if not is_verbatim("".join(texts)):
            texts = tuple(escape_text(text, w._invalid) for text in texts)
        w.raw(template % texts)
        # Where writing the members would have left the writer: the last one closed.
        w._open = False
        w._pending = None
        return True

    def member_template(self, obj: Any, contract: ClassContract, shape: tuple[str, ...], texts: tuple[str, ...]) -> str:
        """Write `obj`'s members with a marker in place of each text, and return that markup with
        `%s` for each marker; then write the record's own texts into it."""
        members = zip(contract.members, shape, strict=True)
        markers = {m.py_name: f"\ue000{i}\ue001" for i, (m, kind) in enumerate(members) if kind is _TEXT}
        w = self._w
        mark = len(w._out)
        self.members(msgspec.structs.replace(obj, **markers), contract)
        markup = "".join(w._out[mark:]).replace("%", "%%")
        del w._out[mark:]
        for marker in markers.values():
            markup = markup.replace(marker, "%s")
        w.raw(markup % tuple(escape_text(text, w._invalid) for text in texts))
        return markup

    def records(self, entries: list[Any], item: Node, ns: str) -> bool:
        """A list of records whose members are all non-empty text, the second one onwards from the
        pieces of markup between their texts: every entry after the first starts from the same
        writer state, so it writes the same markup around its texts, and all of them are one join.
        False (nothing written) when the entries do not suit."""
        contract = item.struct
        if contract is None or len(entries) < 2 or set(map(type, entries)) != {contract.cls}:
            return False
        get = self._contracts.text_members(contract)
        if get is None:
            return False
        rows = list(map(get, entries))
        texts = list(chain.from_iterable(rows))
        if set(map(type, texts)) != {str} or "" in texts:
            return False
        w = self._w
        w.start(item.name, ns)
        self.value(entries[0], item)
        w.end()
        key = (id(contract), ns, tuple(w._ns), len(w._elements))
        entry = self._contracts.entries.get(key)
        if entry is None:
            entry = self._contracts.entries[key] = self.entry_pieces(entries[0], item, ns, len(contract.members))
        pieces, order = entry
        later = rows[1:] if order is None else list(map(order, rows[1:]))
        if not is_verbatim("".join(texts)):
            later = [tuple(escape_text(text, w._invalid) for text in row) for row in later]
        # p0 t p1 t ... t pk, once per entry: between two entries, pk and p0 are one piece.
        block: list[str | None] = []
        for piece in pieces[1:-1]:
            block += [None, piece]
        block += [None, pieces[-1] + pieces[0]]
        markup = [pieces[0], *(block * len(later))]
        markup[-1] = pieces[-1]
        markup[1::2] = chain.from_iterable(later)
        w.raw("".join(markup))  # type: ignore[arg-type]  # every None was replaced by a text
        return True

    def entry_pieces(
        self, sample: Any, item: Node, ns: str, count: int
    ) -> tuple[list[str], Callable[[tuple[Any, ...]], tuple[Any, ...]] | None]:
        """The markup one entry writes here, as the pieces between its texts, and how to take its
        texts in the order they are written from its member values (None: member order): a probe
        entry whose texts are markers is written and taken back out."""
        assert item.struct is not None
        probe = msgspec.structs.replace(
            sample, **{m.py_name: f"\ue000{i}\ue001" for i, m in enumerate(item.struct.members)}
        )
        w = self._w
        mark = len(w._out)
        w.start(item.name, ns)
        self.value(probe, item)
        w.end()
        parts = MARKER.split("".join(w._out[mark:]))
        del w._out[mark:]
        order = [int(index) for index in parts[1::2]]
        return parts[0::2], text_picker(order, count)

    def mapping(self, value: dict[Any, Any], node: Node) -> None:
        """Dictionary<K,V>: `<d2p1:KeyValueOfstringstring><d2p1:Key>…</d2p1:Key><d2p1:Value>…`."""
        w = self._w
        assert node.key is not None and node.item is not None
        item_name = self._contracts.kv_item_name(node)
        for key, entry in value.items():
            w.start(item_name, ARRAYS_NS)
            for local, part, part_node in (("Key", key, node.key), ("Value", entry, node.item)):
                w.start(local, ARRAYS_NS)
                if part_node.kind in (STRUCT, LIST, DICT) and part_node.ns != ARRAYS_NS:
                    w.declare_generated(part_node.ns)
                self.value(part, part_node)
                w.end()
            w.end()


def write_document(contracts: Contracts, obj: Any, node: Node, invalid: InvalidChars) -> str:
    writer = _XmlWriter(invalid)
    if node.kind == STRUCT:
        assert node.struct is not None
        name, ns = node.struct.name, node.struct.ns
    elif node.kind in (LIST, DICT):
        name, ns = node.name, node.ns
    else:
        # Primitive roots (`<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">`).
        name, ns = node.name, SERIALIZATION_NS
    writer.start(name, ns)
    writer.declare("i", XSI_NS)
    _Encoder(contracts, writer).value(obj, node)
    writer.end()
    return writer.getvalue()
