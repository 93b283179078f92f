"""`/types/python`: dataclasses for the `servicestack` PyPI client, as ServiceStack's PythonGenerator
writes them (`NativeTypes/Python/PythonGenerator.cs`): the same imports, decorators, defaults,
`# @Api`/`# @ApiMember` comments and docstrings, byte for byte on the seed's three types."""

from __future__ import annotations

from .model import MetaType, TypeModel, TypeRef
from .options import TypesOptions, header_lines

__all__ = ["DEFAULT_IMPORTS", "generate_python"]

DEFAULT_IMPORTS = (
    "datetime",
    "decimal",
    "marshmallow.fields:*",
    "servicestack:*",
    "typing:*",
    "dataclasses:dataclass/field",
    "dataclasses_json:dataclass_json/LetterCase/Undefined/config",
    "enum:Enum/IntEnum",
)
DATACLASS_JSON = "@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)"
DATACLASS = "@dataclass"

_ALIASES = {"String": "str", "Int32": "int", "Int64": "int", "Boolean": "bool", "Double": "float", "Decimal": "Decimal"}
_DEFAULTS = {"Int32": "0", "Int64": "0", "Boolean": "False", "Double": "0.0", "Decimal": "decimal.Decimal(0)"}
_VERB_MARKERS = {"GET": "IGet", "POST": "IPost", "PUT": "IPut", "PATCH": "IPatch", "DELETE": "IDelete"}


def py_type(ref: TypeRef) -> str:
    if ref.name == "List":
        inner = f"List[{py_type(ref.args[0])}]"
    elif ref.name == "Dictionary":
        inner = f"Dict[{py_type(ref.args[0])}, {py_type(ref.args[1])}]"
    elif ref.args:
        inner = f"{ref.name}[{', '.join(py_type(a) for a in ref.args)}]"
    else:
        inner = _ALIASES.get(ref.name, ref.name)
    return f"Optional[{inner}]" if ref.nullable else inner


def _quoted(text: str) -> str:
    """A C# string literal, as ServiceStack prints attribute arguments."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _docs(text: str) -> list[str]:
    return ['"""', text.replace('"""', "'''"), '"""']


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" if line else "" for line in lines]


def _members(meta: MetaType) -> list[str]:
    out: list[str] = []
    was_added = False
    last = len(meta.members) - 1
    for i, m in enumerate(meta.members):
        if was_added:
            out.append("")
        was_added = False
        if m.description is not None:
            out.append(f"# @ApiMember(Description={_quoted(m.description)})")
            was_added = True
        if m.value_type and m.type.name in _DEFAULTS:
            decl = f"{py_type(m.type)} = {_DEFAULTS[m.type.name]}"
        else:
            typ = py_type(m.type)
            decl = f"{typ if typ.startswith('Optional[') else f'Optional[{typ}]'} = None"
        out.append(f"{m.py_name}: {decl}")
        if m.description is not None:
            out.extend(_docs(m.description))
            if i != last:
                out.append("")
    return out


def _bases(meta: MetaType, model: TypeModel, options: TypesOptions) -> list[str]:
    bases: list[str] = []
    if meta.base is not None:
        bases.append(py_type(meta.base))
    op = meta.operation
    if op is not None:
        response = model.response_ref(op)
        if response is None:
            bases.append("IReturnVoid")
        elif options.add_return_marker:
            bases.append(f"IReturn[{py_type(response)}]")
        marker = _VERB_MARKERS.get(op.verb)
        if marker:
            bases.append(marker)
    if meta.generic_params:
        bases.insert(0, f"Generic[{', '.join(meta.generic_params)}]")
    return bases


def python_type(meta: MetaType, model: TypeModel, options: TypesOptions) -> list[str]:
    lines = ["", ""]
    if meta.is_enum:
        assert meta.enum_values is not None
        lines.append(f"class {meta.name}(str, Enum):")
        lines.extend(_indent([f"{name} = '{value}'" for name, value in meta.enum_values]))
        return lines
    if meta.description is not None and meta.operation is not None:
        lines.append(f"# @Api(Description={_quoted(meta.description)})")
    if meta.generic_params:
        lines.extend(f"{p} = TypeVar('{p}')" for p in meta.generic_params)
        lines.extend(["", ""])
    lines.extend([DATACLASS_JSON, DATACLASS])
    bases = _bases(meta, model, options)
    lines.append(f"class {meta.name}({', '.join(bases)}):" if bases else f"class {meta.name}:")
    body: list[str] = []
    if meta.description is not None:
        body.extend([*_docs(meta.description), ""])
    body.extend(_members(meta))
    if not meta.members:
        body.append("pass")
    lines.extend(_indent(body))
    return lines


def generate_python(model: TypeModel, options: TypesOptions) -> str:
    lines: list[str] = []
    if options.with_options:
        lines.append('""" Options:')
        lines.extend(
            header_lines(
                options,
                "#",
                [
                    ("GlobalNamespace", ""),
                    ("AddServiceStackTypes", "True"),
                    ("AddResponseStatus", "False"),
                    ("AddImplicitVersion", ""),
                    ("AddDescriptionAsComments", "True"),
                    ("IncludeTypes", ",".join(options.include_types)),
                    ("ExcludeTypes", ",".join(options.exclude_types)),
                    ("DefaultImports", ",".join(DEFAULT_IMPORTS)),
                    ("DataClass", ""),
                    ("DataClassJson", ""),
                ],
            )
        )
        lines.extend(['"""', ""])
    for item in DEFAULT_IMPORTS:
        module, _, names = item.partition(":")
        lines.append(f"import {module}" if not names else f"from {module} import {names.replace('/', ', ')}")
    excluded = set(options.exclude_types)
    for meta in model.select(options.include_types):
        if meta.name not in excluded:
            lines.extend(python_type(meta, model, options))
    return "\n".join(lines) + "\n\n"
