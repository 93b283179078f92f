"""What every "Add ServiceStack Reference" generator takes, and the header block it prints."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import __version__

__all__ = ["TypesOptions", "header_lines", "split_list"]


@dataclass(frozen=True)
class TypesOptions:
    base_url: str = ""
    include_types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    #: `IReturn<Response>` on requests (/types does; the metadata page's DTO view does not, as on the seed).
    add_return_marker: bool = True
    #: The header comment block of options (left out on metadata pages: `WithoutOptions`).
    with_options: bool = True
    #: Query-string options the caller set: their header line loses its comment prefix.
    given: frozenset[str] = frozenset()
    date: datetime.datetime | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], base_url: str) -> TypesOptions:
        lowered = {k.lower(): v for k, v in query.items()}
        given = frozenset(k for k, v in query.items() if v)
        return cls(
            base_url=base_url,
            include_types=split_list(lowered.get("includetypes", "")),
            exclude_types=split_list(lowered.get("excludetypes", "")),
            with_options="withoutoptions" not in lowered,
            given=frozenset(g.lower() for g in given),
        )


def split_list(value: str) -> tuple[str, ...]:
    """A comma-separated query value as ServiceStack binds it to a `List<string>`: JSV reads a
    `{...}` element whole, so the tag group `{A,B}` stays one item (commas inside it do not split)."""
    parts: list[str] = []
    start = depth = 0
    for i, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == "," and not depth:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return tuple(part.strip() for part in parts if part.strip())


_UNSAFE = re.compile(r"[^\x20-\x7e]|[\"'`\\]")


def _inert(value: str) -> str:
    """A request-supplied value made safe to print inside the header comment of generated source:
    no line breaks or quotes (which could end a Python docstring and start code) and no `*/`
    (which would end the TypeScript and C# comment). Type names and URLs never need them."""
    return _UNSAFE.sub("", value).replace("*/", "* /")


def header_lines(options: TypesOptions, prefix: str, entries: Sequence[tuple[str, str]]) -> list[str]:
    """ServiceStack's options block body: Date, Version, Tip, BaseUrl, a blank line, then one line per
    option, commented out with `prefix` unless the request set it."""
    date = options.date or datetime.datetime.now()
    lines = [
        f"Date: {date.strftime('%Y-%m-%d %H:%M:%S')}",
        f"Version: {__version__}",
        f'Tip: To override a DTO option, remove "{prefix}" prefix before updating',
        f"BaseUrl: {_inert(options.base_url)}",
        "",
    ]
    for name, value in entries:
        mark = "" if name.lower() in options.given else prefix
        lines.append(f"{mark}{name}: {_inert(value)}")
    return lines
