"""The XML writer's template for lists of text records writes exactly what the general writer does."""

from __future__ import annotations

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from wirecodecs import XmlCodec
from wirecodecs.xml import _writer

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
    with mock.patch.object(_writer._Encoder, "records", lambda self, entries, item, ns: False):
        assert encode() == fast
