"""`/types/typescript`: classes for `@servicestack/client`, in the shape of ServiceStack's
TypeScriptGenerator (`NativeTypes/TypeScript/TypeScriptGenerator.cs`): `IReturn<T>` markers,
`getTypeName()`/`getMethod()`/`createResponse()` on requests, and a `Partial<T>` constructor."""

from __future__ import annotations

from .model import MetaType, TypeModel, TypeRef
from .options import TypesOptions, header_lines
from .python_types import _quoted

__all__ = ["generate_typescript", "ts_type"]

_ALIASES = {"String": "string", "Int32": "number", "Int64": "number", "Double": "number", "Boolean": "boolean"}
_VERB_MARKERS = {"GET": "IGet", "POST": "IPost", "PUT": "IPut", "PATCH": "IPatch", "DELETE": "IDelete"}


def ts_type(ref: TypeRef) -> str:
    if ref.name == "List":
        return f"{ts_type(ref.args[0])}[]"
    if ref.name == "Dictionary":
        return f"{{ [index:string]: {ts_type(ref.args[1])}; }}"
    if ref.args:
        return f"{ref.name}<{', '.join(ts_type(a) for a in ref.args)}>"
    return _ALIASES.get(ref.name, ref.name)


def _comment(text: str) -> str:
    return f"/** @description {text.replace('*/', '* /')} */"


def _class(meta: MetaType, model: TypeModel, options: TypesOptions) -> list[str]:
    lines: list[str] = [""]
    op = meta.operation
    if meta.is_enum:
        assert meta.enum_values is not None
        lines += [f"export enum {meta.name}", "{"]
        lines += [f"    {value} = '{value}'," for _, value in meta.enum_values]
        return [*lines, "}"]
    if op is not None:
        if meta.description is not None:
            lines.append(_comment(meta.description))
        for spec in op.routes:
            lines.append(f"// @Route({_quoted(spec.path)}, {_quoted(', '.join(spec.verbs))})")
        if meta.description is not None:
            lines.append(f"// @Api(Description={_quoted(meta.description)})")
    name = meta.display.replace(",", ", ")
    extend = f" extends {ts_type(meta.base)}" if meta.base is not None else ""
    interfaces: list[str] = []
    response = model.response_ref(op) if op is not None else None
    if op is not None:
        if response is None:
            interfaces.append("IReturnVoid")
        elif options.add_return_marker:
            interfaces.append(f"IReturn<{ts_type(response)}>")
        if op.verb in _VERB_MARKERS:
            interfaces.append(_VERB_MARKERS[op.verb])
    implements = f" implements {', '.join(interfaces)}" if interfaces else ""
    lines += [f"export class {name}{extend}{implements}", "{"]
    body: list[str] = []
    was_added = False
    for m in meta.members:
        if was_added:
            body.append("")
        was_added = False
        if m.description is not None:
            body.append(_comment(m.description))
            body.append(f"// @ApiMember(Description={_quoted(m.description)})")
            was_added = True
        body.append(f"public {m.wire_name}?: {ts_type(m.type)};")
    body.append("")
    call_super = "super(init); " if meta.base is not None else ""
    body.append(f"public constructor(init?: Partial<{name}>) {{ {call_super}(Object as any).assign(this, init); }}")
    if op is not None:
        body.append(f"public getTypeName() {{ return '{meta.name}'; }}")
        body.append(f"public getMethod() {{ return '{op.verb}'; }}")
        if response is None:
            body.append("public createResponse() {}")
        else:
            body.append(f"public createResponse() {{ return new {ts_type(response)}(); }}")
    lines += [f"    {line}" if line else "" for line in body]
    return [*lines, "}"]


def _interfaces(types: list[MetaType], model: TypeModel, options: TypesOptions) -> list[str]:
    ops = [t.operation for t in types if t.operation is not None]
    out: list[str] = []
    if options.add_return_marker and any(op.response_type is not None for op in ops):
        out += ["", "export interface IReturn<T>", "{", "    createResponse(): T;", "}"]
    if any(op.response_type is None for op in ops):
        out += ["", "export interface IReturnVoid", "{", "    createResponse(): void;", "}"]
    for verb in dict.fromkeys(op.verb for op in ops):
        if verb in _VERB_MARKERS:
            out += ["", f"export interface {_VERB_MARKERS[verb]}", "{", "}"]
    return out


def generate_typescript(model: TypeModel, options: TypesOptions) -> str:
    lines: list[str] = []
    if options.with_options:
        lines.append("/* Options:")
        lines += header_lines(
            options,
            "//",
            [
                ("GlobalNamespace", ""),
                ("MakePropertiesOptional", "True"),
                ("AddServiceStackTypes", "True"),
                ("AddResponseStatus", "False"),
                ("AddImplicitVersion", ""),
                ("AddDescriptionAsComments", "True"),
                ("IncludeTypes", ",".join(options.include_types)),
                ("ExcludeTypes", ",".join(options.exclude_types)),
                ("DefaultImports", ""),
            ],
        )
        lines += ["*/", ""]
    excluded = set(options.exclude_types)
    types = [t for t in model.select(options.include_types) if t.name not in excluded]
    lines += _interfaces(types, model, options)
    for meta in types:
        lines += _class(meta, model, options)
    return "\n".join(lines) + "\n\n"
