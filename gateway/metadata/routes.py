"""The Starlette routes of the metadata feature. None of them needs authentication, as ServiceStack's
metadata pages and `/types` need none; they read only the operation table and the codec registry."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from wirecodecs import CodecRegistry

from ..operations import find_operation
from .languages import LANGUAGES
from .metadata_json import metadata_types
from .model import default_model, page_model
from .openapi import openapi_document
from .options import TypesOptions
from .pages import PAGE_FORMATS, SERVICE_NAME, index_page, operation_page

__all__ = ["metadata_routes"]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _not_found(message: str) -> HTMLResponse:
    body = f"<!DOCTYPE html><title>{escape(SERVICE_NAME)}</title><p>{escape(message)}</p>"
    return HTMLResponse(body, status_code=404)


def metadata_routes(registry: CodecRegistry) -> list[BaseRoute]:
    """`/metadata`, `/{format}/metadata`, `/types`, `/types/{lang}`, `/types/metadata`, `/openapi.json`."""
    formats = [fmt for fmt in PAGE_FORMATS if fmt in registry]

    async def index(request: Request) -> Response:
        return HTMLResponse(index_page(page_model().operations, formats))

    async def format_page(request: Request) -> Response:
        fmt = request.url.path.strip("/").split("/", 1)[0].lower()
        codec = registry.by_format(fmt)
        if codec is None:
            return _not_found(f"No metadata pages for format '{fmt}'")
        name = request.query_params.get("op")
        if not name:
            return await index(request)
        op = find_operation(name)
        if op is None:
            return _not_found(f"Could not find operation: {name}")
        lang = request.query_params.get("lang") or None
        if lang is not None and lang not in LANGUAGES:
            return _not_found(f"Unknown language: {lang}")
        host = request.headers.get("host", request.url.netloc)
        return HTMLResponse(operation_page(page_model(), op, fmt, codec, host=host, lang=lang))

    async def types_index(request: Request) -> Response:
        base = _base_url(request)
        links = {"Metadata": f"{base}/types/metadata"}
        links.update({lang.label: f"{base}/types/{name}" for name, lang in LANGUAGES.items()})
        return JSONResponse(links)

    async def types_metadata(request: Request) -> Response:
        return JSONResponse(metadata_types(default_model(), _base_url(request)))

    async def types_source(request: Request) -> Response:
        language = LANGUAGES[request.url.path.rsplit("/", 1)[1]]
        options = TypesOptions.from_query(request.query_params, _base_url(request))
        return PlainTextResponse(language.generate(default_model(), options))

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(default_model(), formats=list(registry), base_url=_base_url(request)))

    # Literal paths only (one per format and language), so nothing here can shadow an operation's
    # route: whatever is not a metadata page falls through to the gateway's catch-all.
    methods = ["GET", "HEAD"]
    return [
        Route("/metadata", index, methods=methods),
        Route("/openapi.json", openapi, methods=methods),
        Route("/types", types_index, methods=methods),
        Route("/types/metadata", types_metadata, methods=methods),
        *(Route(f"/types/{name}", types_source, methods=methods) for name in LANGUAGES),
        *(Route(f"/{fmt}/metadata", format_page, methods=methods) for fmt in formats),
    ]
