"""JsvFormatter.Format: the pretty form ServiceStack's `Dump()` and metadata pages show.

Tabs for indentation; a newline after `{`, `[` and every `,` outside quotes, and before `}`/`]`;
one space after the first `:` of each entry; `{}`/`[]` right after a `:` stay on one line. The
result is for display: its added whitespace is not canonical JSV.
"""

from __future__ import annotations

__all__ = ["format_jsv"]

_NEWLINE = "\n"


def format_jsv(text: str) -> str:
    out: list[str] = []
    depth = 0
    first_colon = True
    in_string = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        previous = text[i - 1] if i > 0 else ""
        following = text[i + 1] if i + 1 < n else ""
        if ch in "{[":
            if previous == ":":
                if following in "}]" and following:
                    out.append(ch + following)
                    i += 2
                    continue
                out.append(_NEWLINE + "\t" * depth)
            depth += 1
            out.append(ch + _NEWLINE + "\t" * depth)
            first_colon = True
        elif ch in "}]":
            depth -= 1
            out.append(_NEWLINE + "\t" * max(depth, 0) + ch)
            first_colon = True
        elif ch == '"':
            out.append(ch)
            in_string = not in_string
        elif ch == "," and not in_string:
            out.append("," + _NEWLINE + "\t" * max(depth, 0))
            first_colon = True
        else:
            out.append(ch)
            if ch == ":" and first_colon:
                out.append(" ")
                first_colon = False
        i += 1
    return "".join(out)
