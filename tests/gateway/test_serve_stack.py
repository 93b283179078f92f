"""`serve` runs httptools, on uvloop unless `--loop asyncio` (both are dependencies here)."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import socket
from pathlib import Path

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway import cli
from gateway.config import Settings
from gateway.serving import server


@pytest.mark.parametrize(
    ("flags", "uvloop"), [([], True), (["--loop", "uvloop"], True), (["--loop", "asyncio"], False)]
)
def test_serve_picks_httptools_and_the_loop_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], uvloop: bool
) -> None:
    seen: list[uvicorn.Config] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        seen.append(self.config)
        for sock in sockets or ():  # serve bound it; nothing will accept on it
            sock.close()
        self.started = True

    monkeypatch.setattr(uvicorn.Server, "run", run)
    try:
        assert cli.main(["--db", f"sqlite:///{tmp_path / 'serve.db'}", "serve", "--port", "0", *flags]) == 0
    finally:
        gc.unfreeze()  # serve freezes the heap for the server's lifetime; this process goes on
    (config,) = seen
    # The gateway's deadline protocol is httptools' (h11 costs about twice the CPU per request).
    assert issubclass(config.http_protocol_class, HttpToolsProtocol)
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop") is uvloop
        assert isinstance(loop, asyncio.SelectorEventLoop) is not uvloop
    finally:
        loop.close()


def test_without_uvloop_the_default_is_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvloop's dependency marker leaves it out on Windows and PyPy; serve must still start there.
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "uvloop" else real(name))
    assert server.default_loop() == "asyncio"
    assert server.ServeOptions(settings=Settings()).loop == "asyncio"
