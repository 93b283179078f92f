"""The application factory: settings in, a Starlette app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import request_response
from wirecodecs import CodecRegistry, default_registry

from .auth import AuthService
from .config import Settings
from .endpoint import Endpoint
from .metadata.routes import metadata_routes
from .negotiation import make_negotiator
from .operations import OPERATIONS, Handlers
from .routing import Router
from .service import SessionService
from .store import SqliteStore, open_store

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    store: SqliteStore | None = None,
    registry: CodecRegistry | None = None,
) -> Starlette:
    """Build the gateway. It opens the store named by `settings.db_url` unless one is given, and
    closes the store it opened when the app shuts down."""
    settings = settings or Settings()
    owns_store = store is None
    active_store = store if store is not None else open_store(settings.db_url)
    codecs = (
        registry if registry is not None else default_registry(csv_neutralize_formulas=settings.csv_neutralize_formulas)
    )
    auth = AuthService(
        active_store,
        login_ttl_seconds=settings.login_ttl_seconds,
        cache_seconds=settings.auth_cache_seconds,
    )
    endpoint = Endpoint(
        router=Router(OPERATIONS, codecs.formats()),
        registry=codecs,
        negotiator=make_negotiator(settings.negotiation, codecs),
        auth=auth,
        handlers=Handlers(sessions=SessionService(active_store), auth=auth),
        max_body_bytes=settings.max_body_bytes,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_store:
                active_store.close()

    app = Starlette(routes=metadata_routes(codecs), lifespan=lifespan)
    # Everything that is not a metadata page goes to the endpoint, which answers unknown paths with
    # ServiceStack's 404 ErrorResponse. As the router's default (not a `{path:path}` route, whose
    # pattern stops at a newline) it sees every path, and without slash redirects, every verb.
    app.router.default = request_response(endpoint.handle)
    app.router.redirect_slashes = False
    app.state.store = active_store
    app.state.settings = settings
    return app
