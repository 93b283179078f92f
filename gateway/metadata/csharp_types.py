"""`/types/csharp`: the DTOs for ServiceStack's C# clients, as ServiceStack's CSharpGenerator writes
them (`NativeTypes/CSharp/CSharpGenerator.cs`): one `namespace` block per CLR namespace, `[Route]`
and `[Api]`/`[ApiMember]` attributes, `IReturn<T>` and verb markers."""

from __future__ import annotations

from itertools import groupby

from .model import MetaType, TypeModel, TypeRef
from .options import TypesOptions, header_lines
from .python_types import _quoted

__all__ = ["cs_type", "generate_csharp"]

_ALIASES = {"String": "string", "Int32": "int", "Int64": "long", "Double": "double", "Boolean": "bool"}
_VERB_MARKERS = {"GET": "IGet", "POST": "IPost", "PUT": "IPut", "PATCH": "IPatch", "DELETE": "IDelete"}
_USINGS = (
    "System",
    "System.IO",
    "System.Collections",
    "System.Collections.Generic",
    "System.Runtime.Serialization",
    "ServiceStack",
    "ServiceStack.DataAnnotations",
)


def cs_type(ref: TypeRef) -> str:
    inner = f"{ref.name}<{', '.join(cs_type(a) for a in ref.args)}>" if ref.args else _ALIASES.get(ref.name, ref.name)
    return f"{inner}?" if ref.nullable else inner


def _summary(text: str) -> list[str]:
    return ["///<summary>", f"///{text}", "///</summary>"]


def _class(meta: MetaType, model: TypeModel, options: TypesOptions) -> list[str]:
    if meta.is_enum:
        assert meta.enum_values is not None
        return [f"public enum {meta.name}", "{", *(f"    {value}," for _, value in meta.enum_values), "}"]
    lines: list[str] = []
    op = meta.operation
    if op is not None:
        if meta.description is not None:
            lines += _summary(meta.description)
        for spec in op.routes:
            lines.append(f"[Route({_quoted(spec.path)}, {_quoted(', '.join(spec.verbs))})]")
        if meta.description is not None:
            lines.append(f"[Api(Description={_quoted(meta.description)})]")
    lines.append(f"public partial class {meta.display}")
    inherits: list[str] = []
    if meta.base is not None:
        inherits.append(cs_type(meta.base))
    if op is not None:
        response = model.response_ref(op)
        if response is None:
            inherits.append("IReturnVoid")
        elif options.add_return_marker:
            inherits.append(f"IReturn<{cs_type(response)}>")
        if op.verb in _VERB_MARKERS:
            inherits.append(_VERB_MARKERS[op.verb])
    if inherits:
        lines.append(f"    : {', '.join(inherits)}")
    lines.append("{")
    body: list[str] = []
    for i, m in enumerate(meta.members):
        if i:
            body.append("")
        if m.description is not None:
            body += _summary(m.description)
            body.append(f"[ApiMember(Description={_quoted(m.description)})]")
        body.append(f"public virtual {cs_type(m.type)} {m.name} {{ get; set; }}")
    lines += [f"    {line}" if line else "" for line in body]
    return [*lines, "}"]


def generate_csharp(model: TypeModel, options: TypesOptions) -> str:
    lines: list[str] = []
    if options.with_options:
        lines.append("/* Options:")
        lines += header_lines(
            options,
            "//",
            [
                ("GlobalNamespace", ""),
                ("MakePartial", "True"),
                ("MakeVirtual", "True"),
                ("MakeInternal", "False"),
                ("MakeDataContractsExtensible", "False"),
                ("AddNullableAnnotations", "False"),
                ("AddReturnMarker", str(options.add_return_marker)),
                ("AddDescriptionAsComments", "True"),
                ("AddDataContractAttributes", "False"),
                ("AddIndexesToDataMembers", "False"),
                ("AddGeneratedCodeAttributes", "False"),
                ("AddResponseStatus", "False"),
                ("AddImplicitVersion", ""),
                ("InitializeCollections", "False"),
                ("ExportValueTypes", "False"),
                ("IncludeTypes", ",".join(options.include_types)),
                ("ExcludeTypes", ",".join(options.exclude_types)),
                ("AddNamespaces", ""),
                ("AddDefaultXmlNamespace", "http://schemas.servicestack.net/types"),
            ],
        )
        lines += ["*/", ""]
    excluded = set(options.exclude_types)
    types = [t for t in model.select(options.include_types) if t.name not in excluded]
    namespaces = sorted({t.namespace for t in types})
    lines += [f"using {u};" for u in (*_USINGS, *namespaces)]
    lines.append("")
    for namespace, group in groupby(
        sorted(types, key=lambda t: namespaces.index(t.namespace)), key=lambda t: t.namespace
    ):
        lines += ["", f"namespace {namespace}", "{"]
        for i, meta in enumerate(group):
            if i:
                lines.append("")
            lines += [f"    {line}" if line else "" for line in _class(meta, model, options)]
        lines += ["}", ""]
    return "\n".join(lines) + "\n"
