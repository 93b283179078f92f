"""The metadata pages: `/metadata` (the index) and `/{format}/metadata?op=Name` (one operation in one
format), laid out as ServiceStack's `BaseMetadataHandler` and `OperationControl` lay them out.

Plain server-rendered HTML with a small stylesheet: readable without JavaScript, and every value
that reaches the page goes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote

from wirecodecs import Codec

from ..operations import Operation
from .languages import LANGUAGES
from .model import MetaType, TypeModel, param_kind
from .options import TypesOptions
from .samples import encode_sample, sample

__all__ = ["PAGE_FORMATS", "SERVICE_NAME", "index_page", "operation_page", "sample_content_type"]

SERVICE_NAME = "Evo Voice"
#: The formats ServiceStack has metadata pages for, in its order; a page exists when a codec is registered.
PAGE_FORMATS = ("json", "xml", "jsv", "csv", "jsonl")

#: `Format.ToContentType()`: the JSV page says text/jsv (as on the seed), not the response header's application/jsv.
_SAMPLE_CONTENT_TYPES = {"jsv": "text/jsv", "json": "application/json", "xml": "application/xml", "csv": "text/csv"}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2937; }
header { background: #0f172a; color: #fff; padding: .75rem 1.5rem; }
header a { color: #fff; text-decoration: none; }
header h1 { font-size: 1.25rem; margin: 0; }
main { padding: 1rem 1.5rem 3rem; max-width: 72rem; }
a { color: #1d4ed8; }
h2 { margin: .75rem 0 .25rem; }
h3#desc { font-weight: normal; margin: .25rem 0 1rem; }
table { border-collapse: collapse; margin: .75rem 0; }
caption { text-align: left; padding: .25rem 0; }
th, td { border: 1px solid #e5e7eb; padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f3f4f6; }
table.routes caption { white-space: nowrap; }
table.routes th { font-family: ui-monospace, Menlo, Consolas, monospace; border: none; }
table.authentication td { border: none; padding-left: 0; }
pre { background: #f8fafc; border: 1px solid #e5e7eb; padding: .75rem 1rem; overflow-x: auto; tab-size: 4; }
nav.types-nav a { color: #6b7280; padding: .4rem .7rem; border-radius: .375rem; text-decoration: none; }
nav.types-nav a.active { background: #f3f4f6; color: #374151; }
table.operations td a { margin-right: .5rem; }
""".strip()


def _document(title: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>\n{_STYLE}\n</style>",
            "</head>",
            "<body>",
            f'<header><h1><a href="/metadata">{escape(SERVICE_NAME)}</a></h1></header>',
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def sample_content_type(fmt: str, codec: Codec) -> str:
    return _SAMPLE_CONTENT_TYPES.get(fmt, codec.media_type)


def index_page(operations: Sequence[Operation], formats: Sequence[str]) -> str:
    """Every operation, linked to its page in every registered format."""
    body = [
        "<p>The following operations are supported.</p>",
        '<table class="operations">',
        "<thead><tr><th>Operation</th><th>Formats</th><th>Description</th></tr></thead>",
        "<tbody>",
    ]
    for op in operations:
        links = " ".join(
            f'<a href="/{escape(fmt)}/metadata?op={quote(op.name)}">{escape(fmt.upper())}</a>' for fmt in formats
        )
        body.append(f"<tr><th>{escape(op.name)}</th><td>{links}</td><td>{escape(op.description)}</td></tr>")
    body += [
        "</tbody>",
        "</table>",
        "<h3>Add ServiceStack Reference</h3>",
        "<ul>",
        '<li><a href="/types">/types</a>: generated client DTOs '
        + ", ".join(f'<a href="/types/{escape(name)}">{escape(lang.label)}</a>' for name, lang in LANGUAGES.items())
        + "</li>",
        '<li><a href="/types/metadata">/types/metadata</a>: the operations and types as JSON</li>',
        '<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>',
        "</ul>",
    ]
    return _document(f"{SERVICE_NAME} metadata", body)


def _auth_table(op: Operation) -> list[str]:
    if not op.requires_auth:
        return []
    rows = ""
    if op.required_role:
        rows = f"<tr><td>Requires the role:</td><td>{escape(op.required_role)}</td></tr>"
    return [f'<table class="authentication"><caption><b>Requires Authentication</b></caption>{rows}</table>']


def _routes_table(op: Operation) -> list[str]:
    if not op.routes:
        return []
    rows = "".join(
        f"<tr><th>{escape(', '.join(spec.verbs))}</th><th>{escape(spec.path)}</th></tr>" for spec in op.routes
    )
    return [
        '<table class="routes"><caption>The following routes are available for this service:</caption>'
        f"<tbody>{rows}</tbody></table>"
    ]


def _type_table(meta: MetaType, op: Operation) -> list[str]:
    if meta.enum_values is not None:
        rows = "".join(f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>" for name, value in meta.enum_values)
        return [
            f'<table class="enum"><caption><b>{escape(meta.display)}</b> Enum:</caption>'
            f"<thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>"
        ]
    if not meta.members:
        return []
    out = [
        f'<table class="params"><caption><b>{escape(meta.display)}</b> Parameters:</caption>',
        "<thead><tr><th>Name</th><th>Parameter</th><th>Data Type</th><th>Required</th>"
        "<th>Description</th></tr></thead>",
        "<tbody>",
    ]
    for m in meta.members:
        # "Required" is ServiceStack's `IsRequired`: declared metadata only. Evo Voice declares
        # none, though its services refuse some ids when empty (see `Operation.required`).
        out.append(
            f"<tr><td>{escape(m.name)}</td><td>{param_kind(m, meta, op)}</td><td>{escape(m.type.dotnet)}</td>"
            f"<td>No</td><td>{escape(m.description or '')}</td></tr>"
        )
    return [*out, "</tbody>", "</table>"]


def _operation_types(model: TypeModel, op: Operation) -> list[MetaType]:
    """The request type, its response type, then every other type they refer to."""
    request = op.request_type.__name__
    response = model.response_ref(op)
    first = [request] + ([response.name] if response is not None and response.name in model.types else [])
    rest = [t for t in model.ordered(model.closure(request)) if t.name not in first]
    return [model.types[name] for name in first] + rest


def _nav(op: Operation, lang: str | None) -> list[str]:
    base = f"?op={quote(op.name)}"
    active = ' class="active"' if lang is None else ""
    links = [f'<a{active} href="{escape(base)}">Metadata</a>']
    for name, language in LANGUAGES.items():
        active = ' class="active"' if lang == name else ""
        links.append(f'<a{active} href="{escape(f"{base}&lang={name}")}">{escape(language.label)}</a>')
    return ['<nav class="types-nav">', *links, "</nav>"]


def _request_uri(op: Operation) -> str:
    if not op.routes:
        return f"/json/reply/{op.name}"
    post = next((spec for spec in op.routes if "POST" in spec.verbs), None)
    return (post or op.routes[0]).path


def _http_samples(model: TypeModel, op: Operation, fmt: str, codec: Codec, host: str) -> list[str]:
    content_type = sample_content_type(fmt, codec)
    verbs = {v for spec in op.routes for v in spec.verbs} or {"POST"}
    method = next((v for v in ("POST", "PUT", "PATCH") if v in verbs), None)
    request_lines = [f"{method or next(v for v in ('GET', 'DELETE') if v in verbs)} {_request_uri(op)} HTTP/1.1 "]
    request_lines += [f"Host: {host} ", f"Accept: {content_type}"]
    if method is not None:
        body = encode_sample(codec, sample(model, op.request_type))
        request_lines += [f"Content-Type: {content_type}", "Content-Length: length", "", body]
    out = [
        f"<h3>HTTP + {escape(fmt.upper())}</h3>",
        "<p>The following are sample HTTP requests and responses. "
        "The placeholders shown need to be replaced with actual values.</p>",
        f'<div class="request"><pre>{escape(chr(10).join(request_lines))}</pre></div>',
    ]
    if op.response_type is not None:
        body = encode_sample(codec, sample(model, op.response_type))
        response = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}", "Content-Length: length", "", body]
        out.append(f'<div class="response"><pre>{escape(chr(10).join(response))}</pre></div>')
    return out


def operation_page(
    model: TypeModel, op: Operation, fmt: str, codec: Codec, *, host: str, lang: str | None = None
) -> str:
    """The page of the seed: one operation in one format, with its DTOs as tables or as `lang` source."""
    body = [
        '<p class="back"><a href="/metadata">&lt;back to all web services</a></p>',
        f'<h2 id="op">{escape(op.name)}</h2>',
    ]
    if op.description:
        body.append(f'<h3 id="desc">{escape(op.description)}</h3>')
    body += _auth_table(op) + _routes_table(op) + _nav(op, lang)
    if lang is None:
        for meta in _operation_types(model, op):
            body += _type_table(meta, op)
    else:
        language = LANGUAGES[lang]
        options = TypesOptions(include_types=(f"{op.name}.*",), add_return_marker=False, with_options=False)
        src = language.generate(model, options)
        href = f"/types/{lang}?IncludeTypes={op.name}.*"
        body += [
            f'<pre><code class="language-{escape(lang)}">{escape(src.strip(chr(10)))}</code></pre>',
            f'<p><a href="{escape(href)}">{escape(language.label)} {escape(op.name)} DTOs</a></p>',
        ]
    body.append(
        '<div class="call-info"><p>To override the Content-type in your clients, use the HTTP <b>Accept</b> Header, '
        f"append the <b>.{escape(fmt)}</b> suffix or <b>?format={escape(fmt)}</b></p>"
    )
    if fmt == "json":
        body.append("<p>To embed the response in a <b>jsonp</b> callback, append <b>?callback=myCallback</b></p>")
    body.append("</div>")
    body += _http_samples(model, op, fmt, codec, host)
    return _document(f"{op.name} | {SERVICE_NAME}", body)
