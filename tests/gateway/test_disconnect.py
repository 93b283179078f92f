"""gateway.disconnect: the watched block is cancelled when the client leaves, and only then."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive

from gateway.disconnect import Unwatched, watch_disconnect


def _receive(leave: asyncio.Event) -> tuple[list[str], Receive]:
    seen: list[str] = []
    messages: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if messages:  # the (empty) body a GET never read comes first
            seen.append("http.request")
            return messages.pop()
        await leave.wait()
        seen.append("http.disconnect")
        return {"type": "http.disconnect"}

    return seen, receive


def test_a_disconnect_cancels_the_block_and_raises_client_disconnect() -> None:
    async def run() -> tuple[list[str], list[str]]:
        leave = asyncio.Event()
        seen, receive = _receive(leave)
        steps: list[str] = []
        asyncio.get_running_loop().call_later(0.01, leave.set)
        with pytest.raises(ClientDisconnect):
            async with watch_disconnect(receive) as watch:
                steps.append("started")
                await asyncio.sleep(30)
                steps.append("finished")  # never: the sleep is cancelled
        assert watch.left
        return seen, steps

    seen, steps = asyncio.run(run())
    assert seen == ["http.request", "http.disconnect"]
    assert steps == ["started"]


def test_without_a_disconnect_the_block_runs_and_its_errors_pass_through_as_themselves() -> None:
    async def run() -> None:
        _, receive = _receive(asyncio.Event())
        async with watch_disconnect(receive) as watch:
            await asyncio.sleep(0)
        assert not watch.left
        with pytest.raises(ValueError, match="boom"):
            async with watch_disconnect(receive):
                raise ValueError("boom")
        async with Unwatched() as unwatched:
            unwatched.check()

    asyncio.run(run())
