"""The application factory: settings in, a Starlette app out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wirecodecs import CodecRegistry, default_registry

from .auth import AuthService
from .config import Settings
from .endpoint import Endpoint
from .http.compression import Compress, CompressionPolicy
from .http.cors import Cors, CorsPolicy
from .metadata.routes import metadata_routes
from .negotiation import make_negotiator
from .operations import OPERATIONS, Services
from .routing import Router
from .service import SessionService
from .serving.accesslog import AccessLog
from .serving.metrics import CONTENT_TYPE, Metrics, enable_metrics
from .serving.observe import Observer
from .serving.probes import Probes
from .serving.timed_store import TimedStore
from .store import Store, open_store

__all__ = ["GatewayApp", "create_app"]


class GatewayApp:
    """The ASGI application: operation requests straight to the endpoint, the rest to Starlette.

    The metadata pages are a handful of literal paths, so one set lookup tells them apart. Sending
    every other request past Starlette's router (which would try each page's pattern first) and its
    middleware stack is a measured third of the gateway's own time on a GET; the endpoint already
    turns every failure into a response in the caller's format.
    """

    METRICS_PATH = "/metrics"

    def __init__(
        self,
        pages: Starlette,
        endpoint: Endpoint,
        page_paths: frozenset[str],
        store: Store,
        *,
        access_log: AccessLog | None = None,
        metrics: Metrics | None = None,
        log_probes: bool = False,
        cors: CorsPolicy | None = None,
        compression: CompressionPolicy | None = None,
    ) -> None:
        self.pages = pages
        self.endpoint = endpoint
        #: Each page path by its lower-case form: ASP.NET matches paths case-insensitively, so
        #: `/JSON/metadata` is the JSON page too. Operation paths never name a page in any case.
        self.page_paths = {path.lower(): path for path in page_paths}
        self.store = store
        self.probes = Probes(store)
        self.metrics = metrics
        app: ASGIApp = self._dispatch
        if compression is not None:
            app = Compress(app, compression)
        if cors is not None:
            app = Cors(app, cors)
        #: Every HTTP request passes the observer (request id, access log, metrics) first.
        self._observed = Observer(
            app, access_log=access_log or AccessLog("off"), metrics=metrics, log_probes=log_probes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await self.pages(scope, receive, send)
            return
        await self._observed(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        # Exact, case-sensitive paths: none is an operation route or a metadata page.
        if path in Probes.PATHS:
            await self.probes(scope, receive, send)
            return
        if path == self.METRICS_PATH and self.metrics is not None:
            await _metrics_page(self.metrics, send)
            return
        page = self.page_paths.get(path.lower())
        if page is None:
            await self.endpoint(scope, receive, send)
        else:
            await self.pages({**scope, "path": page}, receive, _vary_accept(send))


async def _metrics_page(metrics: Metrics, send: Send) -> None:
    body = metrics.render()
    headers = [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _vary_accept(send: Send) -> Send:
    """Pages carry `Vary: Accept` like every other answer (HostConfig's global response headers)."""

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"vary" for name, _ in headers):
                headers.append((b"vary", b"Accept"))
            message = {**message, "headers": headers}
        await send(message)

    return sender


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    registry: CodecRegistry | None = None,
) -> GatewayApp:
    """Build the gateway. It opens the store named by `settings.db_url` unless one is given, and
    closes the store it opened when the app shuts down."""
    settings = settings or Settings()
    owns_store = store is None
    opened = store if store is not None else open_store(settings.db_url, owner=settings.owns_database)
    metrics = enable_metrics() if settings.metrics else None
    # With metrics on, every store call below is timed (evo_gateway_store_call_duration_seconds).
    active_store: Store = (
        opened if metrics is None else TimedStore(opened, lambda method: metrics.store_call_tally(method).observe)
    )
    codecs = (
        registry if registry is not None else default_registry(csv_neutralize_formulas=settings.csv_neutralize_formulas)
    )
    auth = AuthService(
        active_store,
        login_ttl_seconds=settings.login_ttl_seconds,
        cache_seconds=settings.auth_cache_seconds,
        limits=settings.auth_limits,
    )
    endpoint = Endpoint(
        router=Router(OPERATIONS, codecs.formats()),
        registry=codecs,
        negotiator=make_negotiator(settings.negotiation, codecs),
        auth=auth,
        services=Services(sessions=SessionService(active_store), auth=auth),
        max_body_bytes=settings.max_body_bytes,
        limits=settings.request_limits,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The counts reach prometheus_client's values (and, under --workers, the files another
        # worker's scrape reads) once a second and at shutdown.
        flushing = asyncio.create_task(metrics.flush_periodically()) if metrics is not None else None
        try:
            yield
        finally:
            if flushing is not None:
                flushing.cancel()
                with suppress(asyncio.CancelledError):
                    await flushing
            if owns_store:
                active_store.close()

    pages = metadata_routes(codecs)
    page_paths = frozenset(route.path for route in pages if isinstance(route, Route))
    assert all("{" not in path for path in page_paths), "metadata pages are literal paths"
    # Every path that is not a page goes to the endpoint, which answers unknown ones with
    # ServiceStack's 404 ErrorResponse (whatever the path holds, newlines included).
    return GatewayApp(
        Starlette(routes=pages, lifespan=lifespan),
        endpoint,
        page_paths,
        active_store,
        access_log=AccessLog(settings.access_log),
        metrics=metrics,
        log_probes=settings.access_log_probes,
        cors=settings.cors,
        compression=settings.compression,
    )
