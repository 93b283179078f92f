"""The memo of read answers: an equal flat record is encoded once per codec, anything else every time,
and a GET after a change answers the change in every format."""

from __future__ import annotations

import enum
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient
from wirecodecs import Codec, default_registry, encode_declared

from gateway.answer_memo import AnswerMemo
from gateway.dtos import AISessionInfo

from .conftest import World

FORMATS = ["json", "jsv", "xml", "csv"]
_REGISTRY = default_registry()


class Purpose(enum.StrEnum):
    SALES = "sales"


class Tagged(msgspec.Struct):
    purpose: Any = None
    tags: Any = None


class Other(msgspec.Struct):
    purpose: Any = None
    tags: Any = None


@pytest.fixture
def encodings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The encodings the memo asks of its codecs, by the record's type name."""
    import gateway.answer_memo as answer_memo

    calls: list[str] = []

    def counting(codec: Codec, obj: Any, declared: Any) -> bytes:
        calls.append(type(obj).__name__)
        return encode_declared(codec, obj, declared)

    monkeypatch.setattr(answer_memo, "encode_declared", counting)
    return calls


def _info(purpose: str | None = "support") -> AISessionInfo:
    return AISessionInfo(id="s1", account_id="a1", account_name="Acme Voice", purpose=purpose, date_created="d")


def _codec(fmt: str) -> Codec:
    codec = _REGISTRY.by_format(fmt)
    assert codec is not None
    return codec


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_equal_record_is_encoded_once_and_answered_alike(encodings: list[str], fmt: str) -> None:
    memo, codec = AnswerMemo(), _codec(fmt)
    first = memo.encode(codec, _info(), AISessionInfo)
    again = memo.encode(codec, _info(), AISessionInfo)  # another object, equal members
    assert again == first == encode_declared(codec, _info(), AISessionInfo)
    assert encodings == ["AISessionInfo"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_record_that_differs_in_a_member_is_encoded_afresh(encodings: list[str], fmt: str) -> None:
    memo, codec = AnswerMemo(), _codec(fmt)
    before = memo.encode(codec, _info("support"), AISessionInfo)
    after = memo.encode(codec, _info("sales"), AISessionInfo)
    unset = memo.encode(codec, _info(None), AISessionInfo)
    assert len(encodings) == 3
    assert len({before, after, unset}) == 3
    assert after == encode_declared(codec, _info("sales"), AISessionInfo)


@pytest.mark.parametrize(
    "record",
    [
        Tagged("p", ["a"]),  # a list member
        Tagged("p", 1.0),  # a float equals the int 1
        Tagged("p", True),  # True equals the int 1
        Tagged(Purpose.SALES),  # a str enum equals its value, and JSV writes its name
        Tagged("p", Tagged("q")),  # a nested record
    ],
)
def test_a_record_with_any_other_member_value_is_encoded_every_time(encodings: list[str], record: Tagged) -> None:
    memo, codec = AnswerMemo(), _codec("jsv")
    assert memo.encode(codec, record, Tagged) == memo.encode(codec, record, Tagged)
    assert len(encodings) == 2
    assert len(memo) == 0


def test_values_that_are_equal_but_written_differently_do_not_share_an_entry() -> None:
    memo, codec = AnswerMemo(), _codec("jsv")
    assert memo.encode(codec, Tagged("sales", 1), Tagged) == b"{purpose:sales,tags:1}"
    assert memo.encode(codec, Tagged(Purpose.SALES, True), Tagged) == encode_declared(
        codec, Tagged(Purpose.SALES, True), Tagged
    )


def test_two_types_with_equal_members_are_each_encoded(encodings: list[str]) -> None:
    memo, codec = AnswerMemo(), _codec("xml")
    # Undeclared, so that XML names each document after its record's own type.
    tagged = memo.encode(codec, Tagged("p", "t"), None)
    other = memo.encode(codec, Other("p", "t"), None)
    assert len(encodings) == 2
    assert b"<Tagged" in tagged and b"<Other" in other


def test_the_memo_is_bounded() -> None:
    memo, codec = AnswerMemo(max_entries=3), _codec("json")
    for n in range(10):
        memo.encode(codec, _info(f"p{n}"), AISessionInfo)
        assert len(memo) <= 3


def test_anything_but_a_record_is_encoded_every_time(encodings: list[str]) -> None:
    memo, codec = AnswerMemo(), _codec("json")
    assert memo.encode(codec, [_info()], list[AISessionInfo]) == memo.encode(codec, [_info()], list[AISessionInfo])
    assert len(encodings) == 2


# --- over HTTP ---


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    r = client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": "first"}, headers=world.admin)
    assert r.status_code == 200
    return str(r.json()["id"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_get_of_an_unchanged_session_is_not_encoded_again(
    client: TestClient, world: World, session_id: str, encodings: list[str], fmt: str
) -> None:
    first = client.get(f"/ai/sessions/{session_id}.{fmt}", headers=world.admin)
    again = client.get(f"/ai/sessions/{session_id}.{fmt}", headers=world.admin)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert encodings == ["AISessionInfo"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_get_after_a_patch_answers_the_patch(client: TestClient, world: World, session_id: str, fmt: str) -> None:
    before = client.get(f"/ai/sessions/{session_id}.{fmt}", headers=world.admin)
    assert b"first" in before.content
    r = client.patch(f"/ai/sessions/{session_id}", json={"purpose": "second"}, headers=world.admin)
    assert r.status_code == 200
    after = client.get(f"/ai/sessions/{session_id}.{fmt}", headers=world.admin)
    assert after.status_code == 200
    assert b"second" in after.content and b"first" not in after.content
    assert after.headers["ETag"] != before.headers["ETag"]


def test_writes_and_jsconfig_answers_are_not_remembered(
    client: TestClient, world: World, session_id: str, encodings: list[str]
) -> None:
    for _ in range(2):
        r = client.patch(f"/ai/sessions/{session_id}.jsv", json={"purpose": "same"}, headers=world.admin)
        assert r.status_code == 200
        r = client.get(f"/ai/sessions/{session_id}?jsconfig=tc:sc", headers=world.admin)
        assert r.status_code == 200 and "account_id" in r.json()
    assert encodings == []
