"""The listener takes every pending connection when its socket is readable, on either loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import uvloop

from gateway.serving import accept
from gateway.serving.accept import Listener

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.SelectorEventLoop,
    "uvloop": uvloop.new_event_loop,
}

#: Turns of the loop a test lets pass: an accepted socket becomes a served connection within three
#: (accept, hand over, connection_made); one accept per turn would have taken in at most this many.
TURNS = 8


class Counting(asyncio.Protocol):
    made: list[asyncio.BaseTransport]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(transport)


def protocol_factory(made: list[asyncio.BaseTransport]) -> Callable[[], asyncio.Protocol]:
    def make() -> asyncio.Protocol:
        protocol = Counting()
        protocol.made = made
        return protocol

    return make


@contextlib.contextmanager
def listening() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    try:
        yield sock
    finally:
        sock.close()


def connect_clients(sock: socket.socket, count: int) -> list[socket.socket]:
    # The kernel completes each handshake into the listen queue; nothing has accepted yet.
    return [socket.create_connection(sock.getsockname()[:2]) for _ in range(count)]


def close_connections(made: list[asyncio.BaseTransport], clients: list[socket.socket]) -> None:
    for transport in made:
        transport.close()
    for client in clients:
        client.close()


async def close_all(listener: Listener, made: list[asyncio.BaseTransport], clients: list[socket.socket]) -> None:
    listener.close()
    await listener.wait_closed()
    close_connections(made, clients)


async def turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def run(loop_name: str, scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    loop = LOOPS[loop_name]()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_a_burst_of_connections_is_served_within_a_few_turns(loop_name: str) -> None:
    made: list[asyncio.BaseTransport] = []

    async def scenario() -> None:
        with listening() as sock:
            clients = connect_clients(sock, 3 * TURNS)
            listener = Listener(asyncio.get_running_loop(), sock, protocol_factory(made), per_wakeup=128)
            try:
                await turns(TURNS)
                assert len(made) == len(clients)
            finally:
                await close_all(listener, made, clients)

    run(loop_name, scenario)


def test_uvloops_own_server_takes_one_connection_a_turn() -> None:
    """Why the listener exists: libuv accepts one connection per turn of the loop, so on a busy
    server (long turns) a burst of new clients waits a turn each. Should a uvloop release stop
    doing that, this fails, and the listener could go."""
    made: list[asyncio.BaseTransport] = []

    async def scenario() -> None:
        with listening() as sock:
            clients = connect_clients(sock, 3 * TURNS)
            server = await asyncio.get_running_loop().create_server(protocol_factory(made), sock=sock)
            try:
                await turns(TURNS)
                assert len(made) <= TURNS < len(clients)
            finally:
                server.close()
                close_connections(made, clients)

    run("uvloop", scenario)


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_out_of_descriptors_it_pauses_then_accepts_again(
    loop_name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(accept, "ACCEPT_RETRY_SECONDS", 0.05)
    made: list[asyncio.BaseTransport] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    async def scenario() -> None:
        with listening() as sock:
            clients = connect_clients(sock, 4)
            listener = Listener(asyncio.get_running_loop(), sock, protocol_factory(made), per_wakeup=128)
            # No descriptor left for an accepted socket: the next one numbered is the limit.
            probe = socket.socket()
            limit = probe.fileno()
            probe.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
            try:
                with caplog.at_level(logging.WARNING, logger="gateway.serving"):
                    await turns(TURNS)
                assert made == []
                assert "cannot accept (Too many open files); trying again in 0.05 s" in caplog.text
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for _ in range(200):  # the retry is a timer: wait for it, by turns, at most 2 s
                if len(made) == len(clients):
                    break
                await asyncio.sleep(0.01)
            assert len(made) == len(clients)
            await close_all(listener, made, clients)

    try:
        run(loop_name, scenario)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_closing_stops_accepting_and_closes_the_socket(loop_name: str) -> None:
    made: list[asyncio.BaseTransport] = []

    async def scenario() -> None:
        with listening() as sock:
            listener = Listener(asyncio.get_running_loop(), sock, protocol_factory(made), per_wakeup=128)
            listener.close()
            listener.close()  # twice is harmless
            await listener.wait_closed()
            assert sock.fileno() == -1
            assert made == []

    run(loop_name, scenario)


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_a_listener_sharing_its_socket_takes_a_few_per_wakeup(loop_name: str) -> None:
    made: list[asyncio.BaseTransport] = []
    per_wakeup = 2

    async def scenario() -> None:
        with listening() as sock:
            clients = connect_clients(sock, 3 * TURNS)
            listener = Listener(asyncio.get_running_loop(), sock, protocol_factory(made), per_wakeup=per_wakeup)
            try:
                await turns(3)
                # At most `per_wakeup` a turn: the rest wait for the next wake-up (another worker's).
                assert len(made) <= 3 * per_wakeup < len(clients)
                await turns(3 * TURNS * 2)
                assert len(made) == len(clients)  # still readable, so still taken, a few at a time
            finally:
                await close_all(listener, made, clients)

    run(loop_name, scenario)
