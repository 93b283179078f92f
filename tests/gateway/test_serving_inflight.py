"""The in-flight guard granian runs under: body deadlines, and the forced stop's 503."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.serving.inflight import InFlight

SCOPE: Scope = {"type": "http", "client": ("127.0.0.1", 5000), "headers": [(b"content-length", b"3")]}


async def _reader(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, then answers it back; leaves without answering if the client left."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _client(messages: list[Message]) -> Receive:
    """A receive that hands out `messages`, then waits for ever (a client that stalled)."""

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


async def _call(guard: InFlight, messages: list[Message]) -> list[Message]:
    receive = _client(messages)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        # As servers do (granian: "Response already started"): one answer to a request.
        if message["type"] == "http.response.start" and any(m["type"] == message["type"] for m in sent):
            raise RuntimeError("the response has already started")
        sent.append(message)

    await guard(dict(SCOPE), receive, send)
    return sent


def test_a_body_in_time_passes_through() -> None:
    guard = InFlight(_reader, body_timeout=60)
    parts: list[Message] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"c", "more_body": False},
    ]
    sent = asyncio.run(_call(guard, parts))
    assert [m.get("status") for m in sent] == [200, None]
    assert sent[1]["body"] == b"abc"
    assert guard.active == 0


def test_a_stalled_body_is_answered_408_and_the_connection_closed() -> None:
    guard = InFlight(_reader, body_timeout=0.05)
    sent = asyncio.run(_call(guard, [{"type": "http.request", "body": b"a", "more_body": True}]))
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["responseStatus"]["errorCode"] == "RequestTimeout"


def test_stop_answers_every_wait_for_a_body_503_and_later_ones_too() -> None:
    guard = InFlight(_reader, body_timeout=3600)

    async def run() -> tuple[list[Message], list[Message], int]:
        waiting = asyncio.create_task(_call(guard, []))
        await asyncio.sleep(0.01)
        active = guard.active
        guard.stop()
        first = await waiting
        later = await _call(guard, [])
        return first, later, active

    first, later, active = asyncio.run(run())
    assert active == 1
    for sent in (first, later):
        assert sent[0]["status"] == 503
        assert json.loads(sent[1]["body"])["responseStatus"]["errorCode"] == "ServiceUnavailable"
    assert guard.active == 0


def test_an_app_that_answered_before_the_deadline_is_not_answered_again() -> None:
    async def early(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        assert (await receive())["type"] == "http.disconnect"

    guard = InFlight(early, body_timeout=0.05)
    sent = asyncio.run(_call(guard, []))
    assert [m.get("status") for m in sent] == [413, None]


def test_other_scopes_pass_through_untouched() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        raise AssertionError("not called")

    asyncio.run(InFlight(app, body_timeout=0.01)({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan"]


def test_a_request_without_a_body_is_not_watched() -> None:
    # No framing headers on HTTP/1.1: nothing to wait for, so the app's receive is the server's.
    seen: list[Receive] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(receive)

    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        raise AssertionError("not called")

    guard = InFlight(app, body_timeout=0.01)
    asyncio.run(guard({**SCOPE, "http_version": "1.1", "headers": [(b"host", b"h")]}, receive, send))
    asyncio.run(guard({**SCOPE, "http_version": "1.1", "headers": [(b"content-length", b"3")]}, receive, send))
    assert seen[0] is receive
    assert seen[1] is not receive


def _busy_app() -> tuple[ASGIApp, asyncio.Event]:
    """An app that works for ever (not waiting for a body), and the event it sets once it has begun."""
    busy = asyncio.Event()

    async def working(scope: Scope, receive: Receive, send: Send) -> None:
        busy.set()
        await asyncio.Event().wait()

    return working, busy


def test_cancel_running_answers_each_running_request_503() -> None:
    # A request busy in the app when the stop is forced.
    working, busy = _busy_app()
    guard = InFlight(working, body_timeout=3600)

    async def run() -> tuple[list[Message], int]:
        call = asyncio.create_task(_call(guard, []))
        await busy.wait()
        active = guard.active
        guard.cancel_running()
        return await call, active

    sent, active = asyncio.run(run())
    assert active == 1
    assert sent[0]["status"] == 503
    assert guard.active == 0


async def _cancelled_from_outside(guard: InFlight, ready: Callable[[], Awaitable[object]]) -> bool:
    """Whether a request cancelled by its caller once `ready` returns ends with that cancellation."""
    call = asyncio.create_task(_call(guard, []))
    await ready()
    call.cancel()
    try:
        await call
    except asyncio.CancelledError:
        return True
    return False


def test_a_cancellation_it_did_not_ask_for_goes_through() -> None:
    working, busy = _busy_app()
    guard = InFlight(working, body_timeout=3600)
    assert asyncio.run(_cancelled_from_outside(guard, busy.wait))
    assert guard.active == 0


def test_after_a_made_up_disconnect_the_app_keeps_seeing_the_client_gone() -> None:
    seen: list[str] = []

    async def rereading(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((await receive())["type"])
        seen.append((await receive())["type"])  # the server's receive would block: the client stalled

    guard = InFlight(rereading, body_timeout=0.05)
    sent = asyncio.run(_call(guard, []))
    assert seen == ["http.disconnect", "http.disconnect"]
    assert sent[0]["status"] == 408


def test_many_waits_share_one_sweep_not_a_timer_each() -> None:
    guard = InFlight(_reader, body_timeout=0.05)

    async def run() -> tuple[list[list[Message]], int]:
        loop = asyncio.get_running_loop()
        armed = 0
        call_at = loop.call_at

        def counting(when: float, callback: Any, *args: Any, context: Any = None) -> asyncio.TimerHandle:
            nonlocal armed
            armed += 1
            return call_at(when, callback, *args, context=context)

        # Every timer passes here: call_later too, and asyncio.timeout's.
        loop.call_at = counting  # type: ignore[method-assign,assignment]
        stalled = [{"type": "http.request", "body": b"a", "more_body": True}]
        answers = await asyncio.gather(*(_call(guard, list(stalled)) for _ in range(50)))
        return answers, armed

    answers, armed = asyncio.run(run())
    assert all(sent[0]["status"] == 408 for sent in answers)
    assert armed <= 3  # the sweeps that ran while any wait was open; a timer per wait would be 50


def test_a_wait_for_a_body_cancelled_by_someone_else_is_not_a_timeout() -> None:
    guard = InFlight(_reader, body_timeout=3600)
    # After a moment the reader waits for its body.
    assert asyncio.run(_cancelled_from_outside(guard, lambda: asyncio.sleep(0.01)))
    assert guard.active == 0
