"""ServiceStack.Text's per-request serializer settings (`?jsconfig=`), and the DTO view they shape.

`JsConfig.CreateScope` reads a comma-separated list of `key` or `key:value` items, keys and values
case-insensitive and not trimmed, a bare key meaning true and any value but `false`/`0` meaning
true; unknown keys and values are ignored. The settings that change what the gateway's codecs write are parsed here:

- `IncludeNullValues` / `inv`: null members are written (JSON only: JSV never writes null);
- `ExcludeDefaultValues` / `edv`: members holding their type's default (null, 0, false) are not;
- `TextCase` / `tc`: `camelcase`/`cc`, `pascalcase`/`pc`, `snakecase`/`sc`, `default`/`d` (the
  declared .NET names, PascalCase); `EmitCamelCaseNames`/`eccn`, `EmitPascalCaseNames`/`epcn` and
  `EmitLowercaseUnderscoreNames`/`elun` set camel, Pascal and snake case when true and, as in
  ServiceStack, change nothing when false;
- `Indent` / `pp` / `i`: JSON is pretty-printed by ServiceStack's `IndentJson`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import msgspec

__all__ = ["JsConfig", "TextCase", "indent_json", "member_name", "parse_jsconfig", "wire_view"]

TextCase = Literal["camel", "pascal", "snake"]

_TEXT_CASES: dict[str, TextCase] = {
    "d": "pascal",
    "default": "pascal",
    "pc": "pascal",
    "pascalcase": "pascal",
    "cc": "camel",
    "camelcase": "camel",
    "sc": "snake",
    "snakecase": "snake",
}
_CASE_FLAGS: dict[str, TextCase] = {
    "eccn": "camel",
    "emitcamelcasenames": "camel",
    "epcn": "pascal",
    "emitpascalcasenames": "pascal",
    "elun": "snake",
    "emitlowercaseunderscorenames": "snake",
}


@dataclass(frozen=True, slots=True)
class JsConfig:
    """The settings of one response. The defaults are the gateway's normal output."""

    include_null_values: bool = False
    exclude_default_values: bool = False
    #: None: the codec's own names (camelCase, a .NET Core host's default).
    text_case: TextCase | None = None
    indent: bool = False

    @property
    def is_default(self) -> bool:
        return self == _DEFAULT


_DEFAULT = JsConfig()


@lru_cache(maxsize=256)
def parse_jsconfig(text: str) -> JsConfig:
    """`?jsconfig=` as `JsConfig.CreateScope` reads it; what it does not know it ignores."""
    include_nulls = exclude_defaults = indent = False
    text_case: TextCase | None = None
    for item in text.split(","):
        key, sep, raw = item.partition(":")
        # Not trimmed, as in CreateScope: ` inv` is an unknown key and `inv: false` is true.
        key = key.lower()
        value = raw.lower() if sep else None
        on = value is None or value not in ("false", "0")
        if key in ("inv", "includenullvalues"):
            include_nulls = on
        elif key in ("edv", "excludedefaultvalues"):
            exclude_defaults = on
        elif key in ("i", "pp", "indent"):
            indent = on
        elif key in _CASE_FLAGS:
            text_case = _CASE_FLAGS[key] if on else text_case
        elif key in ("tc", "textcase"):
            text_case = _TEXT_CASES.get(value or "", text_case)
    return JsConfig(include_nulls, exclude_defaults, text_case, indent)


@lru_cache(maxsize=1024)
def member_name(camel: str, text_case: TextCase | None) -> str:
    """A member's name in `text_case`, from its camelCase wire name (the .NET name, first letter lowered)."""
    if text_case is None or text_case == "camel":
        return camel
    if text_case == "pascal":
        return camel[:1].upper() + camel[1:]
    # ServiceStack's ToLowercaseUnderscore: every character that is not a lower-case letter, a digit
    # or `_` becomes `_` and its lower case.
    return "".join(ch if ch.isdigit() or ch.islower() or ch == "_" else "_" + ch.lower() for ch in camel)


def _is_default(value: Any) -> bool:
    # .NET's default of a value type (0, false) or a reference (null). Enums are written regardless
    # (ServiceStack's IncludeDefaultEnums is on by default), and "" or [] are values, not null.
    if value is None or value is msgspec.UNSET:
        return True
    if isinstance(value, enum.Enum):
        return False
    return (type(value) is bool and not value) or (type(value) in (int, float) and value == 0)


def wire_view(obj: Any, config: JsConfig, *, nulls: bool | None = None) -> Any:
    """`obj` as plain dicts and lists, members named and kept as `config` says.

    `nulls` overrides `config.include_null_values` (JSV never writes null). Dictionary keys are data,
    not member names: they keep their case.
    """
    include_nulls = config.include_null_values if nulls is None else nulls
    return _view(obj, config, include_nulls and not config.exclude_default_values)


def _view(obj: Any, config: JsConfig, include_nulls: bool) -> Any:
    if isinstance(obj, msgspec.Struct):
        out: dict[str, Any] = {}
        names = obj.__struct_encode_fields__
        for attr, wire in zip(obj.__struct_fields__, names, strict=True):
            value = getattr(obj, attr)
            if value is None or value is msgspec.UNSET:
                if include_nulls:
                    out[member_name(wire, config.text_case)] = None
                continue
            if config.exclude_default_values and _is_default(value):
                continue
            out[member_name(wire, config.text_case)] = _view(value, config, include_nulls)
        return out
    if isinstance(obj, list | tuple):
        return [_view(item, config, include_nulls) for item in obj]
    if isinstance(obj, dict):
        return {key: _view(value, config, include_nulls) for key, value in obj.items()}
    return obj


_INDENT = "    "


def indent_json(json: str) -> str:
    """ServiceStack.Text's `IndentJson`: a newline after `{`, `[` and `,` and before `}` and `]`,
    four spaces a level, a space after `:`, nothing changed inside strings. (So `[]` spans three
    lines, as it does in ServiceStack.)"""
    out: list[str] = []
    level = 0
    quoted = False
    i = 0
    n = len(json)
    while i < n:
        ch = json[i]
        if ch == '"':
            out.append(ch)
            backslashes = 0
            j = i - 1
            while j >= 0 and json[j] == "\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                quoted = not quoted
        elif quoted:
            out.append(ch)
        elif ch in "{[":
            level += 1
            out.append(ch + "\n" + _INDENT * level)
        elif ch in "}]":
            level -= 1
            out.append("\n" + _INDENT * level + ch)
        elif ch == ",":
            out.append(",\n" + _INDENT * level)
        elif ch == ":":
            out.append(": ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)
