"""Running the gateway under uvicorn: one process, or a supervisor with N worker processes.

The listening socket is bound before any server starts (`listen.py`), so a bad address is one line.
Workers inherit it; the kernel spreads connections over their accept calls.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import importlib.util
import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import uvicorn
import uvicorn.config

from ..config import Settings
from .accept import Listener
from .metrics import MULTIPROC_ENV
from .protocol import DeadlineHttpToolsProtocol, deadlines

__all__ = [
    "EVENT_LOOPS",
    "SERVERS",
    "GatewayServer",
    "ServeOptions",
    "default_loop",
    "log_config",
    "run_single",
    "run_workers",
]

log = logging.getLogger("gateway.serving")

#: A worker's exit status when it could not start serving (the supervisor then gives up).
STARTUP_FAILURE = 3

#: Connections a worker accepts per wake-up of a socket it shares (accept.py): few enough that a
#: burst spreads over the workers, enough that a busy worker still takes one in a few turns.
SHARED_ACCEPTS_PER_WAKEUP = 8

#: `serve --loop`. uvloop costs less CPU per request than asyncio's own loop; the p99 of long
#: requests was longer on it (docs/performance.md, the event loop).
EVENT_LOOPS = ("uvloop", "asyncio")

#: `serve --server`: uvicorn's httptools protocol (every option), or granian (granian_server.py).
SERVERS = ("uvicorn", "granian")


def default_loop() -> str:
    """uvloop where it is installed (the dependency leaves out Windows and PyPy), else asyncio."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


@dataclass(frozen=True)
class ServeOptions:
    settings: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    shutdown_timeout: float = 30.0
    log_level: str = "info"
    forwarded_allow_ips: str = "127.0.0.1"
    timeout_keep_alive: int = 5
    header_timeout: float = 5.0
    body_timeout: float = 30.0
    limit_concurrency: int | None = None
    loop: str = field(default_factory=default_loop)
    server: str = "uvicorn"


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, all on stderr (stdout stays clean), plus the gateway's loggers; the
    access log's lines are written bare, so `--access-log json` gives pure JSON lines."""
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    config["formatters"]["bare"] = {"format": "%(message)s"}
    config["handlers"]["bare"] = {"class": "logging.StreamHandler", "formatter": "bare", "stream": "ext://sys.stderr"}
    config["loggers"]["gateway"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    config["loggers"]["gateway.access"] = {"handlers": ["bare"], "level": level.upper(), "propagate": False}
    return config


class GatewayServer(uvicorn.Server):
    """uvicorn's server, accepting connections with `accept.Listener` (every pending one per
    wake-up, on either loop), with a forced stop that hangs up on stalled clients instead of
    cancelling their requests (which logs a traceback per request and answers a plain-text 500)."""

    def __init__(self, config: uvicorn.Config, *, shared_socket: bool = False) -> None:
        """`shared_socket`: other worker processes accept on the same socket."""
        super().__init__(config)
        self.listeners: list[Listener] = []
        self._per_wakeup = SHARED_ACCEPTS_PER_WAKEUP if shared_socket else config.backlog

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn.Server.startup for sockets bound beforehand (what `serve` always passes), with
        # a Listener per socket instead of `loop.create_server`.
        if sockets is None:
            await super().startup(sockets)
            return
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            # The protocol `_config` names (uvicorn types the class as a bare asyncio.Protocol).
            return DeadlineHttpToolsProtocol(
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        loop = asyncio.get_running_loop()
        self.servers = []  # uvicorn's own: none
        self.listeners = [Listener(loop, sock, create_protocol, per_wakeup=self._per_wakeup) for sock in sockets]
        self.started = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn.Server.shutdown, but for the timeout branch.
        logging.getLogger("uvicorn.error").info("Shutting down")
        for listener in self.listeners:
            listener.close()
        for server in self.servers:
            server.close()
        # Connections accepted a moment ago are served (and so shut down below) like the others.
        await asyncio.gather(*(listener.wait_closed() for listener in self.listeners))
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0.1)
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                await self._wait_tasks_to_complete()
        except TimeoutError:
            connections = list(self.server_state.connections)
            log.warning(
                "shutdown timeout (%g s) exceeded: closing %d connection(s) still open",
                self.config.timeout_graceful_shutdown,
                len(connections),
            )
            for connection in connections:
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()  # the request sees its client leave, and ends
            tasks = set(self.server_state.tasks)
            if tasks:
                _, stuck = await asyncio.wait(tasks, timeout=2.0)
                for task in stuck:  # work that ignores its client's departure
                    task.cancel(msg="the server is stopping")
        if not self.force_exit:
            await self.lifespan.shutdown()


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the stop signal after a clean shutdown against the handlers it found:
    installed first, this turns that into a no-op, so a requested stop exits 0."""


def _config(app: Any, options: ServeOptions) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=log_config(options.log_level),
        log_level=options.log_level,
        access_log=False,  # the gateway writes its own (gateway.serving.accesslog)
        http=DeadlineHttpToolsProtocol,
        lifespan="on",
        # Without a bound, one client that stalls mid-body keeps the process alive for ever.
        timeout_graceful_shutdown=int(options.shutdown_timeout + 0.999) if options.shutdown_timeout else 0,
        timeout_keep_alive=options.timeout_keep_alive,
        limit_concurrency=options.limit_concurrency,
        proxy_headers=True,
        forwarded_allow_ips=options.forwarded_allow_ips,
        loop=options.loop,
    )


def _serve(app: Any, options: ServeOptions, sock: socket.socket) -> bool:
    """Serve on `sock` until SIGTERM/SIGINT; False if the server could not start."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _ignore_signal)
    if options.server == "granian":
        from .granian_server import serve_granian  # imported now, so the freeze below covers it

        logging.config.dictConfig(log_config(options.log_level))  # uvicorn's Config does it otherwise
        config = None
    else:
        deadlines(header_timeout=options.header_timeout, body_timeout=options.body_timeout)
        config = _config(app, options)
        config.load()  # imports the protocol and loop modules now, so the freeze below covers them
    # Everything alive now lives as long as the server. Frozen, the cyclic collector stops
    # re-scanning it on every full collection: those scans were the PATCH p99 under load
    # (bench/load.py: 14 ms -> 8 ms), since one lands mid-burst every few thousand requests.
    gc.collect()
    gc.freeze()
    _log_listening(sock, options)
    if config is None:
        started = serve_granian(app, sock=sock, options=options, log_config=log_config(options.log_level))
    else:
        server = GatewayServer(config, shared_socket=options.workers > 1)
        server.run(sockets=[sock])
        started = server.started
    if started:
        log.info("process %d stopped serving", os.getpid())
    return started


def _log_listening(sock: socket.socket, options: ServeOptions) -> None:
    host, port = sock.getsockname()[:2]
    log.info(
        "process %d listening on http://%s:%d (%s, %s loop)",
        os.getpid(),
        f"[{host}]" if ":" in host else host,
        port,
        options.server,
        options.loop,
    )


def run_single(app: Any, options: ServeOptions, sock: socket.socket) -> bool:
    """One process: serve `app` (built by the caller, who opened its store) on `sock`."""
    return _serve(app, options, sock)


def _worker(options: ServeOptions, sock: socket.socket) -> None:
    """A worker process's main (spawned: a fresh interpreter, not a fork of the supervisor)."""
    logging.config.dictConfig(log_config(options.log_level))
    from ..app import create_app
    from ..store import StoreError

    try:
        app = create_app(options.settings)
    except StoreError as exc:
        log.error("worker %d: %s", os.getpid(), exc)
        sys.exit(STARTUP_FAILURE)
    if not _serve(app, options, sock):
        sys.exit(STARTUP_FAILURE)


def run_workers(options: ServeOptions, sock: socket.socket) -> bool:
    """Supervise `options.workers` worker processes on `sock` until SIGTERM/SIGINT; restart one
    that dies. False if a worker could not start (then all are stopped)."""
    logging.config.dictConfig(log_config(options.log_level))
    metrics_dir = tempfile.mkdtemp(prefix="evo-gateway-metrics-")
    # Set before any worker starts: prometheus_client picks its storage when it is imported.
    os.environ[MULTIPROC_ENV] = metrics_dir
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    context = multiprocessing.get_context("spawn")

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(options, sock), name="evo-gateway-worker")
        process.start()
        return process

    failed = False
    workers = [start() for _ in range(options.workers)]
    log.info("supervisor %d: started %d workers; metrics in %s", os.getpid(), len(workers), metrics_dir)
    try:
        while not stop.wait(0.5):
            for index, process in enumerate(workers):
                if process.is_alive():
                    continue
                _mark_dead(process.pid)
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping", process.pid)
                    failed = True
                    stop.set()
                    break
                log.warning("worker %s exited with status %s; starting another", process.pid, process.exitcode)
                workers[index] = start()
    finally:
        for process in workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker's own graceful shutdown
        for process in workers:
            process.join(options.shutdown_timeout + 10)
            if process.is_alive():
                process.kill()
                process.join()
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.environ.pop(MULTIPROC_ENV, None)
    return not failed


def _mark_dead(pid: int | None) -> None:
    # A dead worker's in-flight gauge must stop counting (prometheus_client's "livesum").
    if pid is not None and os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
