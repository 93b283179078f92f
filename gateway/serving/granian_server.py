"""Serving with granian (`serve --server granian`): HTTP/1.1 read and written by Rust (hyper) on a
thread of its own, the app on this process's event loop.

uvicorn's protocol runs in Python on the event loop, between the app's own steps; granian's runs
beside them, outside the GIL, so on a machine with a core to spare a request costs the loop only
the app's work (README, Performance). granian runs here embedded: on the socket `listen` bound,
inside this process (one worker of `serve --workers N` each), with the app object already built.

What maps onto granian, and what does not (docs/operations.md):
- `--header-timeout` is hyper's header read timeout. It also bounds an idle keep-alive connection,
  so `--timeout-keep-alive` has no effect of its own here.
- `--body-timeout` is kept in the ASGI layer (`inflight.py`).
- `--forwarded-allow-ips` is uvicorn's proxy-headers middleware, as under uvicorn.
- `--shutdown-timeout` bounds the wait for in-flight requests on SIGTERM (0: none); past it, or at
  a second signal, they are ended with 503s (`inflight.py`).
- `--limit-concurrency` is granian's backpressure, which counts connections: those beyond it wait
  to be read, where uvicorn answers their requests 503.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.errors import FatalError
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.embed import Server
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .inflight import InFlight
from .listen import BACKLOG

if TYPE_CHECKING:  # server.py imports this module
    from .server import ServeOptions

__all__ = ["FORCED_STOP_GRACE", "serve_granian"]

log = logging.getLogger("gateway.serving")

#: Seconds each step of a forced stop waits for requests (then the worker) to end by themselves.
FORCED_STOP_GRACE = 2.0

#: `--limit-concurrency 0` (no limit): granian's own default would be its backlog per worker.
UNBOUNDED_CONNECTIONS = 1_000_000


async def _until(done: Callable[[], bool], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not done() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)


class _EmbeddedServer(Server):
    """granian's embedded server on a socket bound beforehand (it would otherwise bind its own)."""

    def __init__(self, app: Any, sock: socket.socket, **options: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(app, address=host, port=port, **options)
        self._bound = sock

    def _init_shared_socket(self) -> None:
        # granian's stubs know neither these attributes' types nor SocketHolder's constructor.
        holder: Any = SocketHolder
        shared: Any = self
        shared._ssp = None
        shared._shd = holder(self._bound.fileno(), False, BACKLOG)  # the fd, not a Unix socket
        shared._sfd = shared._shd.get_fd()


def serve_granian(app: Any, *, sock: socket.socket, options: ServeOptions, log_config: dict[str, Any]) -> bool:
    """Serve `app` on `sock` until SIGTERM/SIGINT; False if it could not start."""
    inflight = InFlight(app, options.body_timeout)
    # uvicorn types its middleware's app with its own ASGI types, Starlette's are looser.
    wrapped = ProxyHeadersMiddleware(cast(Any, inflight), trusted_hosts=options.forwarded_allow_ips)
    log_config = {
        **log_config,
        "loggers": {**log_config["loggers"], "_granian": {"handlers": ["default"], "propagate": False}},
    }
    server: Any = _EmbeddedServer(  # Any: granian's server methods are untyped
        wrapped,
        sock,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        websockets=False,
        backlog=BACKLOG,
        # granian counts connections against it (idle keep-alive ones too); None: no bound of ours.
        backpressure=options.limit_concurrency or UNBOUNDED_CONNECTIONS,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(options.header_timeout * 1000))),
        log_enabled=True,
        log_level=LogLevels(options.log_level),
        log_dictconfig=log_config,
    )
    failed = False
    forced = False

    async def force_stop() -> None:
        # granian waits for in-flight requests without a bound (its own bound raises out of its
        # shutdown). Past ours: requests waiting for their bodies are answered 503, then those
        # still running a moment later are cancelled and answered 503; granian's own stop then
        # ends, and with it the app's lifespan (the store is closed). Its worker is cancelled
        # only if it still has not ended after that.
        nonlocal forced
        if forced:
            return
        forced = True
        log.warning(
            "shutdown timeout (%g s) exceeded: ending %d request(s) still in flight",
            options.shutdown_timeout,
            inflight.active,
        )
        inflight.stop()
        await _until(lambda: not inflight.active, FORCED_STOP_GRACE)
        inflight.cancel_running()
        await _until(lambda: not any(worker.is_alive() for worker in server.wrks), FORCED_STOP_GRACE)
        for worker in server.wrks:
            if worker.is_alive():
                worker.kill()

    async def main() -> None:
        nonlocal failed
        loop = asyncio.get_running_loop()
        timers: list[asyncio.TimerHandle] = []
        forcing: list[asyncio.Task[None]] = []

        def start_forcing() -> None:
            forcing.append(loop.create_task(force_stop()))

        def stop() -> None:
            if server.interrupt_signal:  # a second signal: stop now
                start_forcing()
                return
            timers.append(loop.call_later(options.shutdown_timeout, start_forcing))
            server.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await server.serve()
            # Its worker ended without being asked to: not a clean stop.
            failed = bool(server.interrupt_children) and not server.interrupt_signal
        except FatalError:  # the app's lifespan startup failed (granian logged why)
            failed = True
        except asyncio.CancelledError:  # force_stop's last resort: the shutdown's wait for the worker ends so
            pass
        finally:
            for timer in timers:
                timer.cancel()

    if options.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())
    return not failed
