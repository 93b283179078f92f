"""XML bytes → builtins shaped for a DTO, parsed safely.

Parsing uses the standard library's expat with every DTD feature refused: a `<!DOCTYPE` stops the
parse (so no entity declarations, no external DTD or entity fetches, no billion laughs), parameter
entities are never parsed, and an undeclared entity is a well-formedness error. The document is
capped in size, element count and nesting depth before and while it is parsed. Whatever goes wrong
surfaces as `wirecodecs.DecodeError`.

Binding reads the document the way DataContractSerializer does (see docs/xml.md): the root must
carry the contract's name and namespace; members are matched by name *and* namespace, case-sensitively,
in DataMember order, so an element in another namespace, or one arriving after a member that should
follow it, is skipped like an unknown one and its member keeps its default; collection items must
carry the item contract's name and namespace too. `i:nil="true"` is null, an empty element is the
empty string.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from ..errors import DecodeError
from ._contract import ANY, BOOL, DICT, ENUM, FLOAT, INT, LIST, STRUCT, XSI_NS, ClassContract, Contracts, Node

__all__ = ["Limits", "bind", "parse"]

_NIL = f"{XSI_NS} nil"
_XML_WHITESPACE = " \t\r\n"


class Limits:
    __slots__ = ("max_chars", "max_depth", "max_elements")

    def __init__(self, max_chars: int, max_depth: int, max_elements: int) -> None:
        self.max_chars = max_chars
        self.max_depth = max_depth
        self.max_elements = max_elements


class Element:
    __slots__ = ("children", "column", "line", "name", "nil", "ns", "text")

    def __init__(self, name: str, ns: str, nil: bool, line: int, column: int) -> None:
        self.name = name
        self.ns = ns
        self.nil = nil
        # Where the element's name starts (1-based), as .NET's XmlReader reports it in errors.
        self.line = line
        self.column = column
        self.children: list[Element] = []
        self.text: list[str] = []


class _Refused(Exception):
    """Raised from inside expat callbacks; becomes a DecodeError."""


def _to_text(data: bytes) -> str:
    # ServiceStack reads the body as text before parsing, so the encoding pseudo-attribute of the
    # declaration is not what decides; UTF-8 (BOM optional) or BOM-marked UTF-16 are accepted.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def parse(data: bytes | bytearray | memoryview, limits: Limits) -> Element:
    raw = bytes(data)
    if len(raw) > 4 * limits.max_chars:
        raise DecodeError(f"XML document is larger than {limits.max_chars} characters")
    try:
        text = _to_text(raw)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"XML document is not valid UTF-8/UTF-16: {exc.reason}") from None
    if len(text) > limits.max_chars:
        raise DecodeError(f"XML document is larger than {limits.max_chars} characters")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    roots: list[Element] = []
    count = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > limits.max_elements:
            raise _Refused(f"XML document has more than {limits.max_elements} elements")
        if len(stack) >= limits.max_depth:
            raise _Refused(f"XML document is nested deeper than {limits.max_depth} levels")
        nil = attrs.get(_NIL, "").strip(_XML_WHITESPACE) in ("true", "1")
        ns, _, local = name.rpartition(" ")
        # expat reports the column of `<` (0-based); .NET's LinePosition is the name's, 1-based.
        element = Element(local, ns, nil, parser.CurrentLineNumber, parser.CurrentColumnNumber + 2)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()

    def characters(chunk: str) -> None:
        if stack:
            stack[-1].text.append(chunk)

    def refuse_dtd(*args: Any) -> None:
        raise _Refused("DTDs are not allowed in XML requests")

    def refuse_entity(*args: Any) -> int:
        raise _Refused("entities are not allowed in XML requests")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.NotationDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity
    parser.SkippedEntityHandler = refuse_entity
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        raise DecodeError(str(exc)) from None
    except expat.ExpatError as exc:
        raise DecodeError(f"malformed XML: {exc}") from None
    except (RecursionError, MemoryError, ValueError, UnicodeError) as exc:
        raise DecodeError(f"malformed XML: {exc}") from None
    if not roots:
        raise DecodeError("XML document has no root element")
    return roots[0]


def expected_root(root: Element, node: Node) -> tuple[str, str] | None:
    """The (name, namespace) the root should have when it does not carry them, else None."""
    if node.kind == STRUCT:
        assert node.struct is not None
        name, ns = node.struct.name, node.struct.ns
        named = root.name.startswith(name) if node.struct.open_generic else root.name == name
        return None if named and root.ns == ns else (name, ns)
    if node.kind in (LIST, DICT) and node.item is not None and node.item.kind != ANY:
        return None if (root.name, root.ns) == (node.name, node.ns) else (node.name, node.ns)
    return None


def bind(root: Element, node: Node, contracts: Contracts) -> Any:
    expected = expected_root(root, node)
    if expected is not None:
        # DataContractSerializer.ReadObject's SerializationException, word for word.
        name, ns = expected
        raise DecodeError(
            f"Error in line {root.line} position {root.column}. Expecting element '{name}' from namespace "
            f"'{ns}'.. Encountered 'Element'  with name '{root.name}', namespace '{root.ns}'."
        )
    return _Binder(contracts).value(root, node)


class _Binder:
    def __init__(self, contracts: Contracts) -> None:
        self._contracts = contracts

    def value(self, element: Element, node: Node) -> Any:
        if element.nil:
            return None
        kind = node.kind
        if kind == STRUCT:
            assert node.struct is not None
            return self.struct(element, node.struct)
        if kind == LIST:
            assert node.item is not None
            return [self.value(child, node.item) for child in self.items(element, node, node.item.name)]
        if kind == DICT:
            return self.mapping(element, node)
        if kind == ANY and element.children:
            out: dict[str, Any] = {}
            for child in element.children:
                out.setdefault(child.name, self.value(child, node))
            return out
        if element.children:
            # A scalar holds text only: DataContractSerializer's ReadElementContentAsString throws
            # on child elements, so `<Purpose><b>x</b></Purpose>` is an error, not "".
            raise DecodeError(f"element '{element.name}' holds elements where a value was expected")
        text = "".join(element.text)
        if kind in (INT, FLOAT, BOOL, ENUM):
            # XML Schema collapses whitespace for non-string types (XmlConvert trims it too).
            text = text.strip(_XML_WHITESPACE)
        return text

    @staticmethod
    def items(element: Element, node: Node, item_name: str) -> list[Element]:
        """The collection's items: children named by the item contract in the collection's
        namespace. Any other element is skipped, as DataContractSerializer skips it."""
        if node.item is None or node.item.kind == ANY:
            return element.children
        return [c for c in element.children if c.name == item_name and c.ns == node.ns]

    def struct(self, element: Element, contract: ClassContract) -> dict[str, Any]:
        out: dict[str, Any] = {}
        last = -1
        for child in element.children:
            # DataContractSerializer only looks forward: the first member after the last one read
            # with this name and namespace. Anything else (unknown, wrong namespace or case, out of
            # order, repeated) is skipped and its member keeps its default.
            member = contract.next_member(child.name, child.ns, last)
            if member is None:
                continue
            last, found = member
            out[found.encode_name] = self.value(child, found.node)
        return out

    def mapping(self, element: Element, node: Node) -> dict[Any, Any]:
        assert node.key is not None and node.item is not None
        out: dict[Any, Any] = {}
        for entry in self.items(element, node, self._contracts.kv_item_name(node)):
            key = value = None
            for part in entry.children:
                if part.ns != node.ns:
                    continue
                if part.name == "Key" and key is None:
                    key = part
                elif part.name == "Value" and value is None and key is not None:
                    value = part  # KeyValue members are ordered: a Value before the Key is skipped
            if key is None:
                continue  # a KeyValue without its Key carries nothing to bind
            out[self.value(key, node.key)] = None if value is None else self.value(value, node.item)
        return out
