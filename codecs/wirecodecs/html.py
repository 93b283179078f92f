"""HTML: a response as a page a person can read, as ServiceStack's HtmlFormat and DRF's browsable API
give a browser.

The DTO is drawn as tables (a record: a row per member; a list of records: a row per item, a
column per member), under the operation's name and status and links to the same request in every
other format. The page is static: no script, no external resource, and every value and name is
escaped as text (`html.escape`, quotes included), so a DTO holding markup, quotes or a
`javascript:` URL shows it and runs nothing. Member names are the .NET property names (PascalCase),
as the CSV headers are; null members are left out, as the JSON leaves them out.

ServiceStack's page renders the JSON client-side with its own script; this one is rendered on the
server instead, so it needs none. It writes responses only: a request body cannot be HTML.
"""

from __future__ import annotations

import datetime as dt
import enum
from html import escape
from http import HTTPStatus
from typing import Any, TypeVar

import msgspec

from .base import Capabilities, Page
from .errors import DecodeError

__all__ = ["HtmlCodec"]

T = TypeVar("T")

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header{background:#24292f;color:#fff;padding:12px 24px}
header h1{margin:0;font-size:22px}
header .status{margin:2px 0 0;font-size:13px;opacity:.85}
header.error{background:#a40e26}
nav{padding:10px 24px;border-bottom:1px solid #d0d7de;font-size:14px}
nav a{margin-right:12px;color:#0969da}
main{padding:16px 24px}
table{border-collapse:collapse;margin:4px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.empty{color:#656d76;font-style:italic}
ul{margin:0;padding-left:18px}
"""


def _name(camel: str) -> str:
    return camel[:1].upper() + camel[1:]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return escape(str(value.name))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return escape(value.isoformat())
    if isinstance(value, bytes | bytearray | memoryview):
        return f'<span class="empty">{len(value)} bytes</span>'
    return escape(str(value), quote=True)


def _members(obj: msgspec.Struct) -> list[tuple[str, Any]]:
    return [
        (_name(wire), getattr(obj, attr))
        for attr, wire in zip(obj.__struct_fields__, obj.__struct_encode_fields__, strict=True)
        if getattr(obj, attr) is not None and getattr(obj, attr) is not msgspec.UNSET
    ]


_EMPTY = '<span class="empty">(empty)</span>'


def _row(name: str, value: Any) -> str:
    return f'<tr><th scope="row">{escape(name, quote=True)}</th><td>{_render(value)}</td></tr>'


def _render(value: Any) -> str:
    if isinstance(value, msgspec.Struct):
        rows = "".join(_row(name, v) for name, v in _members(value))
        return f'<table class="record"><tbody>{rows}</tbody></table>' if rows else _EMPTY
    if isinstance(value, dict):
        rows = "".join(_row(str(k), v) for k, v in value.items())
        return f'<table class="map"><tbody>{rows}</tbody></table>' if rows else _EMPTY
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return _EMPTY
        if all(isinstance(item, msgspec.Struct) for item in items) and len({type(i) for i in items}) == 1:
            return _grid(items)
        return "<ul>" + "".join(f"<li>{_render(item)}</li>" for item in items) + "</ul>"
    if value is None:
        return '<span class="empty">null</span>'
    return _scalar(value)


def _grid(items: list[msgspec.Struct]) -> str:
    """Records of one type: a column per member any of them has, in declaration order."""
    cls = type(items[0])
    present = [
        (attr, wire)
        for attr, wire in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True)
        if any(getattr(item, attr) is not None for item in items)
    ]
    head = "".join(f'<th scope="col">{escape(_name(wire))}</th>' for _, wire in present)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{'' if getattr(item, attr) is None else _render(getattr(item, attr))}</td>" for attr, _ in present
        )
        + "</tr>"
        for item in items
    )
    return f'<table class="list"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class HtmlCodec:
    format: str = "html"
    media_type: str = "text/html"
    media_types: tuple[str, ...] = ("text/html",)
    # The charset is stated, not left to sniffing, as one more guard for a page showing untrusted text.
    content_type: str = "text/html; charset=utf-8"
    capabilities = Capabilities(page=True, response_only=True)

    def encode(self, obj: Any, *, page: Page | None = None) -> bytes:
        page = page or Page(title=type(obj).__name__ if obj is not None else "Response")
        title = escape(page.title, quote=True)
        try:
            reason = HTTPStatus(page.status_code).phrase
        except ValueError:
            reason = ""
        header_class = ' class="error"' if page.status_code >= 400 else ""
        links = "".join(
            f'<a href="{escape(href, quote=True)}" rel="alternate">{escape(fmt)}</a>' for fmt, href in page.alternates
        )
        nav = f'<nav aria-label="Other formats">Other formats: {links}</nav>' if links else ""
        document = (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_STYLE}</style></head>"
            f"<body><header{header_class}><h1>{title}</h1>"
            f'<p class="status">{page.status_code} {escape(reason)}</p></header>'
            f"{nav}<main>{_render(obj)}</main></body></html>\n"
        )
        return document.encode("utf-8")

    def decode(self, data: bytes, type: type[T]) -> T:
        raise DecodeError("the html format writes responses only; it reads no documents")
