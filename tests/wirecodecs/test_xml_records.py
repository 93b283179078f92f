"""The XML writer's templates, for text records and lists of them, write exactly what the general
writer does."""

from __future__ import annotations

import contextlib
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from wirecodecs import XmlCodec
from wirecodecs.xml import _document, _writer

from gateway.dtos import AISessionInfo, ListResponse

CHARS = st.sampled_from(list("ab &<>\r\n\t\x01é%\ue000\ud800\uffff"))
# Mostly plain non-empty text, the template's case; sometimes null, empty or hostile text.
TEXT = st.text(alphabet="abc", min_size=1, max_size=4) | st.none() | st.text(alphabet=CHARS, max_size=5)
INFOS = st.lists(
    st.builds(AISessionInfo, **dict.fromkeys(AISessionInfo.__struct_fields__, TEXT)), max_size=5
) | st.lists(
    st.builds(
        AISessionInfo, **dict.fromkeys(AISessionInfo.__struct_fields__, st.text(alphabet=CHARS, min_size=1, max_size=3))
    ),
    min_size=2,
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(INFOS, st.sampled_from(["replace", "error"]))
def test_records_written_from_the_template_are_those_of_the_general_writer(
    items: list[AISessionInfo], invalid: str
) -> None:
    codec = XmlCodec(invalid_chars=invalid)  # type: ignore[arg-type]
    response = ListResponse(items=items, total_count=len(items))

    def encode() -> object:
        try:
            return codec.encode(response, type=ListResponse[AISessionInfo])
        except Exception as exc:  # an invalid character with invalid="error"
            return type(exc).__name__

    fast = encode()
    with general_writer():
        assert encode() == fast


def general_writer() -> contextlib.ExitStack:
    """Every template off: the writer writes element by element."""
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(_writer._Encoder, "records", lambda self, entries, item, ns: False))
    stack.enter_context(mock.patch.object(_writer._Encoder, "filled", lambda self, obj, contract: False))
    stack.enter_context(mock.patch.object(_document, "_fill", lambda *args: None))
    return stack


RECORD = st.builds(AISessionInfo, **dict.fromkeys(AISessionInfo.__struct_fields__, TEXT))


@settings(max_examples=400, deadline=None)
@given(RECORD, RECORD, st.sampled_from(["replace", "error"]))
def test_a_record_written_from_its_template_is_that_of_the_general_writer(
    first: AISessionInfo, second: AISessionInfo, invalid: str
) -> None:
    # The first record makes the template of its shape; the second reuses it when its shape is the same.
    codec = XmlCodec(invalid_chars=invalid)  # type: ignore[arg-type]

    def encode(record: AISessionInfo) -> object:
        try:
            return codec.encode(record, type=AISessionInfo)
        except Exception as exc:  # an invalid character with invalid="error"
            return type(exc).__name__

    encode(first)
    fast = encode(second)
    with general_writer():
        assert encode(second) == fast


def test_a_record_of_the_same_shape_reuses_its_template() -> None:
    codec = XmlCodec()
    texts = {name: "x" for name in AISessionInfo.__struct_fields__}
    codec.encode(AISessionInfo(**texts))
    with mock.patch.object(_writer, "_XmlWriter", side_effect=AssertionError("written element by element")):
        body = codec.encode(AISessionInfo(**{**texts, "purpose": "a & b"}))
    assert b"<Purpose>a &amp; b</Purpose>" in body


def test_a_record_inside_another_reuses_its_members_template() -> None:
    # Not a root: the member template (`filled`), not the document's, writes it.
    codec = XmlCodec()
    texts = {name: "x" for name in AISessionInfo.__struct_fields__}

    def page(purpose: str) -> ListResponse[AISessionInfo]:
        return ListResponse(items=[AISessionInfo(**{**texts, "purpose": purpose})], total_count=1)

    codec.encode(page("x"), type=ListResponse[AISessionInfo])
    general = _writer._Encoder.members

    def members(self: _writer._Encoder, obj: object, contract: object) -> None:
        assert not isinstance(obj, AISessionInfo), "the record was written member by member"
        general(self, obj, contract)  # type: ignore[arg-type]

    with mock.patch.object(_writer._Encoder, "members", members):
        body = codec.encode(page("a < b"), type=ListResponse[AISessionInfo])
    assert b">a &lt; b</d2p1:Purpose>" in body
