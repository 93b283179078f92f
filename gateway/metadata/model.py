"""The operation table and its DTOs seen as .NET types, the way ServiceStack's NativeTypes sees them.

Every page, generator and the OpenAPI document reads this one model, so they agree on names
(`SessionId` on the metadata page, `sessionId` on the wire, `session_id` in Python), on which
members a class declares itself (the DTOs are declared flat; `DotNet.base` says which trailing
members are inherited) and on the order types must be emitted in.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec

from ..dtos import SERVICESTACK_NAMESPACE, Dto
from ..operations import OPERATIONS, Operation

__all__ = [
    "Member",
    "MetaType",
    "TypeModel",
    "TypeRef",
    "build_model",
    "default_model",
    "page_model",
    "param_kind",
]


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A .NET type reference: `String`, `Int32`, `List<String>`, `ListResponse<AISessionInfo>`, `T`."""

    name: str
    args: tuple[TypeRef, ...] = ()
    #: `Nullable<T>` around a value type (`bool | None`).
    nullable: bool = False

    @property
    def dotnet(self) -> str:
        """ServiceStack's display form (`List<String>`, `Nullable<Boolean>`, `Dictionary<String,String>`)."""
        inner = self.name if not self.args else f"{self.name}<{','.join(a.dotnet for a in self.args)}>"
        return f"Nullable<{inner}>" if self.nullable else inner


#: .NET value types: never null on the wire, and every generator gives them a zero default.
VALUE_TYPES = frozenset({"Int32", "Int64", "Boolean", "Double", "Decimal"})
PRIMITIVES = VALUE_TYPES | {"String"}
COLLECTIONS = frozenset({"List", "Dictionary"})


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    wire_name: str
    py_name: str
    type: TypeRef
    description: str | None
    #: A non-nullable .NET value type (or enum): written even when zero.
    value_type: bool


@dataclass(slots=True)
class MetaType:
    name: str
    namespace: str
    py_type: Any
    #: Generic parameters of the .NET definition (`ListResponse<T>` → ("T",)).
    generic_params: tuple[str, ...] = ()
    base: TypeRef | None = None
    #: Members the class declares itself, in wire order.
    members: tuple[Member, ...] = ()
    #: Every member, inherited ones last (the wire order).
    all_members: tuple[Member, ...] = ()
    description: str | None = None
    #: (member name, wire value) pairs for enums.
    enum_values: tuple[tuple[str, str], ...] | None = None
    operation: Operation | None = None
    #: Names of the model types this one refers to (base, members, generic args), in first-use order.
    refs: tuple[str, ...] = ()

    @property
    def is_enum(self) -> bool:
        return self.enum_values is not None

    @property
    def display(self) -> str:
        return f"{self.name}<{','.join(self.generic_params)}>" if self.generic_params else self.name


@dataclass(slots=True)
class TypeModel:
    operations: tuple[Operation, ...]
    types: dict[str, MetaType] = field(default_factory=dict)

    def response_ref(self, op: Operation) -> TypeRef | None:
        return None if op.response_type is None else _ref(op.response_type)

    def ordered(self, names: Iterable[str] | None = None) -> list[MetaType]:
        """Types in an order every language can compile: what a type refers to comes before it
        (bases, member types, and a request's response type, which `IReturn<T>` names)."""
        wanted = set(self.types) if names is None else set(names)
        out: list[MetaType] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in self.types:
                return
            seen.add(name)
            meta = self.types[name]
            for ref in meta.refs:
                visit(ref)
            if name in wanted:
                out.append(meta)

        for op in self.operations:
            visit(op.request_type.__name__)
        for name in self.types:
            visit(name)
        return out

    def closure(self, name: str) -> list[str]:
        """`Name.*`: the type and every type it refers to, transitively (a request's response too)."""
        found: list[str] = []

        def visit(n: str) -> None:
            if n in found or n not in self.types:
                return
            found.append(n)
            for ref in self.types[n].refs:
                visit(ref)

        visit(name)
        return found

    def select(self, include: Sequence[str] | None) -> list[MetaType]:
        """ServiceStack's `IncludeTypes` (`NativeTypesMetadata.GetIncludeList`). Nothing given means
        everything. Each item is one of:

        - `Name.*`: the type and everything it refers to, transitively (a request's response too);
        - `Namespace/*`: every type whose namespace starts with `Namespace`;
        - `{A,B}` (optionally followed by `.*`): ServiceStack's tag group, whose operations it
          expands like `Name.*`. The operation table declares no tags, so a name in braces is read
          as that type, expanded (`{PatchAISession}` is `PatchAISession.*`);
        - `Prefix*`: names starting with `Prefix` (a gateway extension; ServiceStack has no prefix form);
        - `Name`: that type. For a request, ServiceStack adds its return type ("Operation Return
          Types should always be included"); the gateway adds what that return type refers to as
          well, so `IReturn[AISessionInfo]` names a class that is there and whose base is too.
        """
        if not include:
            return self.ordered()
        names: list[str] = []
        for raw in include:
            item = raw.strip()
            if item.startswith("{"):
                group = item.removesuffix(".*")
                if group.endswith("}"):
                    for name in group[1:-1].split(","):
                        names.extend(self.closure(name.strip()))
            elif item.endswith("/*"):
                namespace = item[:-2]
                names.extend(n for n, t in self.types.items() if t.namespace.startswith(namespace))
            elif item.endswith(".*"):
                names.extend(self.closure(item[:-2]))
            elif item.endswith("*"):
                names.extend(n for n in self.types if n.startswith(item[:-1]))
            elif item in self.types:
                names.append(item)
                op = self.types[item].operation
                response = None if op is None else self.response_ref(op)
                if response is not None:
                    for ref in _model_refs(response):
                        names.extend(self.closure(ref))
        return self.ordered(names)


def param_kind(member: Member, meta: MetaType, op: Operation) -> str:
    """The "Parameter" column of a metadata page, by ServiceStack's rule (`GetParamType`): `path` for
    a route variable; on the request type `query` unless a route takes POST or PUT (then `body`);
    `body` on every other type. So PatchAISession's Purpose reads "query", as on Evo Voice's page."""
    if any(member.name.lower() == v.lower() for spec in op.routes for v in _route_variables(spec.path)):
        return "path"
    if meta.py_type is op.request_type and not any("POST" in spec.verbs or "PUT" in spec.verbs for spec in op.routes):
        return "query"
    return "body"


def _route_variables(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _pascal(wire_name: str) -> str:
    return wire_name[:1].upper() + wire_name[1:]


def _unwrap(tp: Any) -> tuple[Any, str | None]:
    """Strip `Annotated[...]`, returning the type and its `Meta(description=...)`."""
    description = None
    if typing.get_origin(tp) is typing.Annotated:
        base, *extras = typing.get_args(tp)
        for extra in extras:
            if isinstance(extra, msgspec.Meta) and extra.description:
                description = extra.description
        return base, description
    return tp, None


def _ref(tp: Any) -> TypeRef:
    tp, _ = _unwrap(tp)
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        ref = _ref(inner[0])
        return TypeRef(ref.name, ref.args, nullable=ref.name in VALUE_TYPES or ref.nullable)
    if isinstance(tp, typing.TypeVar):
        return TypeRef(tp.__name__)
    if origin is list:
        return TypeRef("List", (_ref(args[0]),))
    if origin is dict:
        return TypeRef("Dictionary", (_ref(args[0]), _ref(args[1])))
    if origin is not None:
        return TypeRef(origin.__name__, tuple(_ref(a) for a in args))
    simple = {str: "String", int: "Int32", bool: "Boolean", float: "Double"}
    if tp in simple:
        return TypeRef(simple[tp])
    return TypeRef(tp.__name__)


def _model_refs(ref: TypeRef) -> list[str]:
    names = [] if ref.name in PRIMITIVES or ref.name in COLLECTIONS or len(ref.name) == 1 else [ref.name]
    for arg in ref.args:
        names.extend(_model_refs(arg))
    return names


def _members(cls: type[Dto]) -> list[Member]:
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for py_name, wire_name in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
        hint = hints[py_name]
        bare, description = _unwrap(hint)
        ref = _ref(bare)
        value_type = not ref.nullable and (ref.name in VALUE_TYPES or _is_enum(bare))
        out.append(Member(_pascal(wire_name), wire_name, py_name, ref, description, value_type))
    return out


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def build_model(operations: Sequence[Operation], *, servicestack_types: bool = False) -> TypeModel:
    """The model of every type the operations reach. ServiceStack's own types (`ResponseStatus`,
    `Authenticate`...) are left out unless asked for: every client library ships them."""
    model = TypeModel(tuple(operations))
    generic_bases: dict[str, int] = {}
    pending: list[Any] = []
    for op in operations:
        pending.append(op.request_type)
        if op.response_type is not None:
            pending.append(op.response_type)
    while pending:
        tp = pending.pop(0)
        tp, _ = _unwrap(tp)
        origin = typing.get_origin(tp)
        cls = origin if origin is not None and isinstance(origin, type) else tp
        if not isinstance(cls, type) or cls.__name__ in model.types:
            continue
        if _is_enum(cls):
            model.types[cls.__name__] = MetaType(
                name=cls.__name__,
                namespace=_namespace(cls),
                py_type=cls,
                enum_values=tuple((m.name, str(m.value)) for m in typing.cast(type[enum.Enum], cls)),
            )
            continue
        if not issubclass(cls, Dto) or (cls.dotnet.namespace == SERVICESTACK_NAMESPACE and not servicestack_types):
            continue
        meta = _struct_type(cls, operations)
        if meta.base is not None and meta.base.args:
            generic_bases[meta.base.name] = len(meta.base.args)
        model.types[meta.name] = meta
        for member in meta.all_members:
            pending.extend(_struct_classes(cls, member.py_name))
        if cls.dotnet.base is not None:
            pending.append(cls.dotnet.base)
        if meta.operation is not None and meta.operation.response_type is not None:
            pending.append(meta.operation.response_type)
    # A base referenced with a generic argument (`ListRequest<AISessionInfo>`) is generic in .NET,
    # even though its Python class has no type parameter (its members do not use it).
    for name, arity in generic_bases.items():
        base_meta = model.types.get(name)
        if base_meta is not None and not base_meta.generic_params:
            base_meta.generic_params = ("T", "T2", "T3")[:arity]
    return model


def _namespace(cls: type) -> str:
    dotnet = getattr(cls, "dotnet", None)
    return dotnet.namespace if dotnet is not None else "Voice.Api"


def _struct_classes(cls: type[Dto], py_name: str) -> list[Any]:
    """The classes (DTOs, enums) a member's type mentions."""
    hint, _ = _unwrap(typing.get_type_hints(cls, include_extras=True)[py_name])
    found: list[Any] = []

    def walk(tp: Any) -> None:
        tp, _ = _unwrap(tp)
        if isinstance(tp, type) and (issubclass(tp, Dto) or _is_enum(tp)):
            found.append(tp)
        for arg in typing.get_args(tp):
            walk(arg)

    walk(hint)
    return found


def _struct_type(cls: type[Dto], operations: Sequence[Operation]) -> MetaType:
    members = _members(cls)
    dotnet = cls.dotnet
    base_ref = None
    own = members
    if dotnet.base is not None:
        inherited = set(dotnet.base.__struct_fields__)
        own = [m for m in members if m.py_name not in inherited]
        args = (TypeRef(dotnet.base_generic_arg),) if dotnet.base_generic_arg else ()
        base_ref = TypeRef(dotnet.base.__name__, args)
    op = next((o for o in operations if o.request_type is cls), None)
    params = tuple(p.__name__ for p in getattr(cls, "__parameters__", ()))
    refs: list[str] = []
    if base_ref is not None:
        refs.extend(_model_refs(base_ref))
    for m in own:
        refs.extend(_model_refs(m.type))
    if op is not None and op.response_type is not None:
        refs.extend(_model_refs(_ref(op.response_type)))
    return MetaType(
        name=cls.__name__,
        namespace=dotnet.namespace,
        py_type=cls,
        generic_params=params,
        base=base_ref,
        members=tuple(own),
        all_members=tuple(members),
        description=op.description if op is not None else None,
        operation=op,
        refs=tuple(dict.fromkeys(refs)),
    )


@cache
def default_model() -> TypeModel:
    """The model of the Evo Voice operations (ServiceStack's built-in ones, like Authenticate, left out)."""
    return build_model([op for op in OPERATIONS if not op.builtin])


@cache
def page_model() -> TypeModel:
    """Every operation, ServiceStack's built-in ones too, as the metadata pages list them."""
    return build_model(OPERATIONS, servicestack_types=True)
