"""DataContract names, namespaces and member order for msgspec Structs.

This is the part of .NET's DataContractSerializer that decides *what* the XML looks like: the root
element's name (generic types get `ListResponseOfAISessionInfokPYUDTdt`-style names), the
namespace of every element, and the member order (base class first; within a class ordinal by
name, or declaration order for `[DataMember(Order=n)]` types). The writer and reader only follow
the plan built here.

A Struct says where it lives on the .NET side with a ClassVar `dotnet` (duck-typed; the codec never
imports the DTO module): `.namespace` (CLR namespace, e.g. `"Voice.Api.AI"`, or a full URI) and
`.base` (the Struct whose fields are the inherited .NET members). Optional extras: `.name` (the
.NET class name when it differs from the Python one), `.ordered` (members carry
`[DataMember(Order=n)]` in declaration order), `.member_names` (Python field -> .NET member name).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import operator
import typing
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import msgspec
from msgspec import inspect as mi

__all__ = [
    "ARRAYS_NS",
    "DATACONTRACT_BASE",
    "SERVICESTACK_NS",
    "XSD_NS",
    "XSI_NS",
    "ClassContract",
    "Contracts",
    "Member",
    "Node",
    "namespaces_digest",
]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SERIALIZATION_NS = "http://schemas.microsoft.com/2003/10/Serialization/"
ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
DATACONTRACT_BASE = "http://schemas.datacontract.org/2004/07/"
SERVICESTACK_NS = "http://schemas.servicestack.net/types"

#: `[assembly: ContractNamespace("http://schemas.servicestack.net/types", ClrNamespace="ServiceStack")]`
#: in ServiceStack.Interfaces: ServiceStack's own DTOs do not use the datacontract.org default.
DEFAULT_CONTRACT_NAMESPACES: Mapping[str, str] = {"ServiceStack": SERVICESTACK_NS}

#: ServiceStack's own [DataContract] types whose member names are not PascalCase.
_SERVICESTACK_MEMBER_NAMES: Mapping[str, Mapping[str, str]] = {"Authenticate": {"provider": "provider"}}

# Scalar kinds and the XSD type DataContractSerializer names them by (used inside generic names).
STR, INT, FLOAT, BOOL, ENUM, ANY, OTHER, LIST, DICT, STRUCT = (
    "str",
    "int",
    "float",
    "bool",
    "enum",
    "any",
    "other",
    "list",
    "dict",
    "struct",
)
_XSD_NAMES = {STR: "string", INT: "int", FLOAT: "double", BOOL: "boolean", ANY: "anyType", OTHER: "string"}
SCALARS = frozenset({STR, INT, FLOAT, BOOL, ENUM, ANY, OTHER})


@dataclass(eq=False)
class Node:
    """One value's shape: its kind, and for containers the shapes inside."""

    kind: str
    item: Node | None = None  # list item, dict value
    key: Node | None = None  # dict key
    struct: ClassContract | None = None
    enum_cls: type[enum.Enum] | None = None

    # The data contract name and namespace of this type (ArrayOfstring in the Arrays namespace...).
    name: str = ""
    ns: str = ""

    @property
    def is_builtin(self) -> bool:
        """A primitive contract: DataContractSerializer never declares a namespace for its members."""
        return self.kind in SCALARS and self.kind != ENUM


@dataclass(eq=False)
class Member:
    """A .NET data member: where the Python value lives and how its element is written."""

    py_name: str
    encode_name: str
    xml_name: str
    ns: str
    node: Node
    # The namespace DataContractSerializer declares (xmlns:dNpM) on the member element because the
    # member's type lives in another namespace (ClassDataContract.ChildElementNamespaces).
    child_ns: str | None = None


@dataclass(eq=False)
class ClassContract:
    cls: Any
    name: str
    ns: str
    members: list[Member] = field(default_factory=list)
    # (element name, namespace) → the indexes of the members it names, ascending.
    by_element: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # True when the generic arguments were not known (a bare `ListResponse`): the reader then
    # accepts any root named `ListResponseOf...`.
    open_generic: bool = False

    def next_member(self, name: str, ns: str, after: int) -> tuple[int, Member] | None:
        """The first member past index `after` that an element `name` in namespace `ns` carries,
        as DataContractSerializer's forward-only member search finds it (case-sensitive)."""
        for index in self.by_element.get((name, ns), ()):
            if index > after:
                return index, self.members[index]
        return None


def namespaces_digest(namespaces: str) -> str:
    """DataContract.GetNamespacesDigest: base64 of the first 6 bytes of an MD5, `/`→`_S`, `+`→`_P`.

    .NET ships "an incomplete implementation of MD5" for this; its first six bytes equal MD5's
    (WCF's well-known `ArrayOfKeyValueOfstringArrayOfstringty7Ep6D1` pins it in the tests).
    """
    digest = hashlib.md5(namespaces.encode("utf-8"), usedforsecurity=False).digest()[:6]
    text = base64.b64encode(digest).decode("ascii")
    return text.replace("=", "").replace("/", "_S").replace("+", "_P")


def generic_name(base_name: str, args: list[Node]) -> str:
    """`ListResponse` + [AISessionInfo] → `ListResponseOfAISessionInfokPYUDTdt` (DataContract.cs).

    The digest is appended unless every argument's namespace is a built-in one (XSD or the
    Serialization namespace): `KeyValueOfstringstring` has none.
    """
    name = base_name + "Of" + "".join(a.name for a in args)
    if all(a.ns in (XSD_NS, SERIALIZATION_NS) for a in args):
        return name
    namespaces = "".join(" " + a.ns for a in args)
    # Non-nested generic: nestedParamCounts == [len(args)], inserted as " <count>" at the front.
    return name + namespaces_digest(f" {len(args)}{namespaces}")


def collection_namespace(item: Node) -> str:
    """DataContract.GetCollectionNamespace: built-in items live in the Arrays namespace."""
    return ARRAYS_NS if item.ns in (XSD_NS, SERIALIZATION_NS) else item.ns


def pascal(encode_name: str) -> str:
    return encode_name[:1].upper() + encode_name[1:]


class Contracts:
    """Builds (and caches) the XML plan for types. One per codec: it holds the namespace config."""

    _ANY: ClassVar[Node] = Node(ANY, name="anyType", ns=XSD_NS)

    def __init__(self, default_namespace: str, contract_namespaces: Mapping[str, str]) -> None:
        self._default_namespace = default_namespace
        self._contract_namespaces = dict(contract_namespaces)
        self._structs: dict[Any, ClassContract] = {}
        self._text_members: dict[int, Callable[[Any], tuple[Any, ...]] | None] = {}
        #: The writer's markup templates for records and list entries (`_writer._Encoder.filled`
        #: and `records`), by contract, shape and writer state; None: that shape has no template.
        self.templates: dict[tuple[Any, ...], str | None] = {}
        #: Documents whose root is a text record (`_document`), by declared type, value type and
        #: invalid-character rule; None: such documents are written element by element.
        self.documents: dict[tuple[Any, ...], Any] = {}
        #: The pieces of markup between a list entry's texts (`_writer._Encoder.records`), and the
        #: order of its texts in them, by contract and writer state.
        self.entries: dict[tuple[Any, ...], Any] = {}
        self.node_for: Callable[[Hashable], Node] = lru_cache(maxsize=512)(self._node_for)

    # --- namespaces ---

    def namespace_uri(self, clr_namespace: str) -> str:
        """CLR namespace → XML namespace (ContractNamespace mapping, else the datacontract.org URI)."""
        if "://" in clr_namespace or clr_namespace.startswith("urn:"):
            return clr_namespace
        mapped = self._contract_namespaces.get(clr_namespace)
        return mapped if mapped is not None else DATACONTRACT_BASE + clr_namespace

    def _clr_namespace(self, cls: Any) -> str:
        dotnet = getattr(cls, "dotnet", None)
        ns = getattr(dotnet, "namespace", None)
        return ns if isinstance(ns, str) else self._default_namespace

    # --- nodes ---

    def _node_for(self, tp: Hashable) -> Node:
        return self._node(mi.type_info(tp))

    def _node(self, info: mi.Type) -> Node:
        while isinstance(info, mi.Metadata):
            info = info.type
        if isinstance(info, mi.UnionType):
            rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
            return self._node(rest[0]) if len(rest) == 1 else self._ANY
        if isinstance(info, mi.StrType):
            return Node(STR, name="string", ns=XSD_NS)
        if isinstance(info, mi.BoolType):
            return Node(BOOL, name="boolean", ns=XSD_NS)
        if isinstance(info, mi.IntType):
            return Node(INT, name="int", ns=XSD_NS)
        if isinstance(info, mi.FloatType):
            return Node(FLOAT, name="double", ns=XSD_NS)
        if isinstance(info, mi.EnumType):
            cls = info.cls
            dotnet_name = getattr(getattr(cls, "dotnet", None), "name", None)
            ns = self.namespace_uri(self._clr_namespace(cls))
            return Node(ENUM, enum_cls=cls, name=dotnet_name or cls.__name__, ns=ns)
        if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            item = self._node(info.item_type)
            return Node(LIST, item=item, name="ArrayOf" + item.name, ns=collection_namespace(item))
        if isinstance(info, mi.DictType):
            key, value = self._node(info.key_type), self._node(info.value_type)
            # Dictionary<K,V> items are KeyValue<K,V>, declared in the Arrays namespace.
            kv = generic_name("KeyValue", [key, value])
            return Node(DICT, key=key, item=value, name="ArrayOf" + kv, ns=ARRAYS_NS)
        if isinstance(info, mi.StructType):
            contract = self.struct_contract(info)
            return Node(STRUCT, struct=contract, name=contract.name, ns=contract.ns)
        if isinstance(info, mi.AnyType):
            return self._ANY
        return Node(OTHER, name="string", ns=XSD_NS)

    def text_members(self, contract: ClassContract) -> Callable[[Any], tuple[Any, ...]] | None:
        """For a record whose members are all text written in place (no namespace of their own):
        a getter of its member values in member order; else None."""
        key = id(contract)
        if key not in self._text_members:
            plain = contract.members and all(m.node.kind == STR and m.child_ns is None for m in contract.members)
            names = [m.py_name for m in contract.members]
            self._text_members[key] = (
                (operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),))
                if plain
                else None
            )
        return self._text_members[key]

    def kv_item_name(self, node: Node) -> str:
        assert node.key is not None and node.item is not None
        return generic_name("KeyValue", [node.key, node.item])

    # --- classes ---

    def struct_contract(self, info: mi.StructType) -> ClassContract:
        cached = self._structs.get(info.cls)
        if cached is not None:
            return cached
        origin = getattr(info.cls, "__origin__", info.cls)
        args = typing.get_args(info.cls)
        params = getattr(origin, "__parameters__", ())
        dotnet = getattr(origin, "dotnet", None)
        base_name = getattr(dotnet, "name", None) or origin.__name__
        ns = self.namespace_uri(self._clr_namespace(origin))
        contract = ClassContract(cls=info.cls, name=base_name, ns=ns)
        self._structs[info.cls] = contract  # before members: a Struct may refer to itself
        if args:
            contract.name = generic_name(base_name, [self.node_for(a) for a in args])
        elif params:
            contract.name, contract.open_generic = base_name + "Of", True
        self._fill_members(contract, origin, info)
        return contract

    def _fill_members(self, contract: ClassContract, origin: Any, info: mi.StructType) -> None:
        fields = {f.name: f for f in info.fields}
        for clr_ns, names, ordered, renames in self._levels(origin):
            level: list[Member] = []
            ns = self.namespace_uri(clr_ns)
            for py_name in names:
                f = fields.get(py_name)
                if f is None:
                    continue
                node = self._node(f.type)
                xml_name = renames.get(py_name) or pascal(f.encode_name)
                child_ns = None
                if not node.is_builtin and node.kind != ENUM and node.ns and node.ns != ns:
                    child_ns = node.ns
                level.append(Member(py_name, f.encode_name, xml_name, ns, node, child_ns))
            if not ordered:
                level.sort(key=lambda m: m.xml_name)  # ordinal: Python compares code points
            contract.members.extend(level)
        for index, member in enumerate(contract.members):
            contract.by_element.setdefault((member.xml_name, member.ns), []).append(index)

    def _levels(self, cls: Any) -> list[tuple[str, list[str], bool, Mapping[str, str]]]:
        """The class hierarchy as .NET sees it, base first: (CLR ns, own field names, ordered, renames)."""
        dotnet = getattr(cls, "dotnet", None)
        base = getattr(dotnet, "base", None)
        levels = self._levels(base) if isinstance(base, type) and issubclass(base, msgspec.Struct) else []
        inherited = {name for level in levels for name in level[1]}
        clr_ns = self._clr_namespace(cls)
        own = [f.name for f in msgspec.structs.fields(cls) if f.name not in inherited]
        ordered = getattr(dotnet, "ordered", None)
        if not isinstance(ordered, bool):
            # ServiceStack's own DTOs are [DataContract] with [DataMember(Order = n)] in declaration order.
            ordered = self.namespace_uri(clr_ns) == SERVICESTACK_NS
        renames: dict[str, str] = {}
        if self.namespace_uri(clr_ns) == SERVICESTACK_NS:
            renames.update(_SERVICESTACK_MEMBER_NAMES.get(cls.__name__, {}))
        extra = getattr(dotnet, "member_names", None)
        if isinstance(extra, Mapping):
            renames.update(extra)
        return [*levels, (clr_ns, own, ordered, renames)]
