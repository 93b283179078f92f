"""The flat reader of text-member requests binds exactly what expat and the binder bind."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from wirecodecs import DecodeError, XmlCodec
from wirecodecs.xml import _flat

from gateway.dtos import AISessionInfo, ListAISessions, NewAISession, PatchAISession

AI_NS = "http://schemas.datacontract.org/2004/07/Voice.Api.AI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&;\r\n\t\x01]\"'/=é\ufffe")), max_size=6) | st.sampled_from(
    ["1", " 2 ", "true", "-3"]
)
_NAMES = st.sampled_from(
    ["Purpose", "SessionId", "Purpose", "SessionId", "AccountId", "purpose", "AccountIds", "Page", "i:nil"]
)
_MEMBER = st.one_of(
    st.tuples(_NAMES, _TEXT).map(lambda m: f"<{m[0]}>{m[1]}</{m[0]}>"),
    _NAMES.map(lambda n: f'<{n} i:nil="true" />'),
    _NAMES.map(lambda n: f"<{n} />"),
    _NAMES.map(lambda n: f"<{n}/>"),
    _TEXT,
)
_ROOT_ATTRS = st.sampled_from(
    [f' xmlns="{AI_NS}"', f' xmlns="{AI_NS}" xmlns:i="{XSI}"', f' xmlns:i="{XSI}" xmlns="{AI_NS}"', "",
     f' xmlns="{AI_NS}" xmlns:i="urn:other"', f' xmlns="{AI_NS}" xmlns="{AI_NS}"', f" xmlns='{AI_NS}'",
     f' xmlns="{AI_NS}\t"', f' xmlns:d="{AI_NS}"']
)  # fmt: skip
_ROOTS = st.sampled_from(["PatchAISession", "NewAISession", "AISessionInfo", "ListAISessions", "Other"])
_DECLARATIONS = st.sampled_from(
    ["", '<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0"?>', '<?xml version="1.1"?>', " "]
)
DOCUMENTS = st.builds(
    lambda decl, root, attrs, members, tail: f"{decl}<{root}{attrs}>{''.join(members)}</{root}>{tail}",
    _DECLARATIONS,
    _ROOTS,
    _ROOT_ATTRS,
    st.lists(_MEMBER, max_size=5),
    st.sampled_from(["", " ", "<x/>", "\n"]),
)
#: Mostly what the flat reader takes: a PatchAISession root in its namespace, members it knows.
CLIENT_LIKE = st.builds(
    lambda root, attrs, members: f"<{root}{attrs}>{''.join(members)}</{root}>",
    st.sampled_from(["PatchAISession", "ListAISessions"]),
    st.sampled_from([f' xmlns="{AI_NS}"', f' xmlns:i="{XSI}" xmlns="{AI_NS}"', f' xmlns="{AI_NS}" xmlns:i="urn:x"']),
    st.lists(_MEMBER, max_size=4),
).flatmap(lambda doc: st.tuples(st.just(doc), st.sampled_from([PatchAISession, ListAISessions])))
TYPES = st.sampled_from([PatchAISession, NewAISession, AISessionInfo, ListAISessions])


def _decode(codec: XmlCodec, data: bytes, tp: Any) -> Any:
    try:
        return codec.decode(data, tp)
    except DecodeError as exc:
        return ("DecodeError", str(exc))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.tuples(DOCUMENTS, TYPES), CLIENT_LIKE))
def test_the_flat_reader_binds_what_the_general_reader_binds(case: tuple[str, Any]) -> None:
    document, tp = case
    codec = XmlCodec(max_elements=4)
    data = document.encode("utf-8", "surrogatepass")
    fast = _decode(codec, data, tp)
    with (
        mock.patch.object(_flat, "bind_flat", lambda *args: None),
        mock.patch("wirecodecs.xml.bind_flat", lambda *args: None),
    ):
        assert _decode(codec, data, tp) == fast


def test_a_client_request_takes_the_flat_reader() -> None:
    codec = XmlCodec()
    data = (
        f'<?xml version="1.0" encoding="utf-8"?><PatchAISession xmlns:i="{XSI}" xmlns="{AI_NS}">'
        '<Purpose>a > b</Purpose><SessionId i:nil="true" /></PatchAISession>'
    ).encode()
    with mock.patch("wirecodecs.xml.parse", side_effect=AssertionError("parsed with expat")):
        assert codec.decode(data, PatchAISession) == PatchAISession(purpose="a > b", session_id=None)


def test_a_text_that_looks_like_a_nil_is_still_text() -> None:
    # Without `xmlns:i` the flat reader hands any body holding ` i:nil="true"` to the general reader.
    codec = XmlCodec()
    data = f'<PatchAISession xmlns="{AI_NS}"><Purpose>x i:nil="true" y</Purpose></PatchAISession>'.encode()
    assert codec.decode(data, PatchAISession) == PatchAISession(purpose='x i:nil="true" y')
