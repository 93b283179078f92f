"""Hostile and broken documents: every one is a DecodeError, found before any expansion or fetch."""

from __future__ import annotations

import pytest
from wirecodecs import DecodeError, XmlCodec

from gateway.dtos import ListAISessions, PatchAISession

codec = XmlCodec()
AI_NS = "http://schemas.datacontract.org/2004/07/Voice.Api.AI"
#: An open PatchAISession root in its contract's namespace (a root without it is refused).
OPEN = f'<PatchAISession xmlns="{AI_NS}">'

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PatchAISession [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PatchAISession><Purpose>&xxe;</Purpose></PatchAISession>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PatchAISession><Purpose>&lol9;</Purpose></PatchAISession>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE PatchAISession SYSTEM "http://127.0.0.1:9/evil.dtd">
<PatchAISession><Purpose>p</Purpose></PatchAISession>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE PatchAISession [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<PatchAISession />"""

EMPTY_DOCTYPE = b"<!DOCTYPE PatchAISession><PatchAISession />"

HOSTILE = {
    "xxe": XXE,
    "billion-laughs": BILLION_LAUGHS,
    "external-dtd": EXTERNAL_DTD,
    "parameter-entity": PARAMETER_ENTITY,
    "empty-doctype": EMPTY_DOCTYPE,
    "undeclared-entity": b"<PatchAISession><Purpose>&nope;</Purpose></PatchAISession>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_dtds_and_entities_are_refused(name: str) -> None:
    # Refused at the DOCTYPE itself: nothing is declared, expanded or fetched.
    with pytest.raises(
        DecodeError, match="undefined entity" if name == "undeclared-entity" else "DTDs are not allowed"
    ):
        codec.decode(HOSTILE[name], PatchAISession)


MALFORMED = {
    "empty": b"",
    "whitespace": b"  \n ",
    "not-xml": b"sessionId=1&purpose=2",
    "json": b'{"purpose":"p"}',
    "truncated": b'<?xml version="1.0" encoding="utf-8"?><PatchAISession><Purpose>p</Purp',
    "unclosed": b"<PatchAISession><Purpose>p</Purpose>",
    "mismatched": b"<PatchAISession><Purpose>p</SessionId></PatchAISession>",
    "two-roots": b"<PatchAISession /><PatchAISession />",
    "unbound-prefix": b"<x:PatchAISession />",
    "bad-utf8": b"<PatchAISession><Purpose>\xff\xfe\xfa</Purpose></PatchAISession>",
    "nul-char-ref": b"<PatchAISession><Purpose>&#0;</Purpose></PatchAISession>",
    "control-char": b"<PatchAISession><Purpose>\x01</Purpose></PatchAISession>",
    "bad-attribute": b"<PatchAISession a=1 />",
    "lone-surrogate-ref": b"<PatchAISession><Purpose>&#xD800;</Purpose></PatchAISession>",
    "declaration-late": b'<PatchAISession /><?xml version="1.0"?>',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_documents_are_decode_errors(name: str) -> None:
    with pytest.raises(DecodeError):
        codec.decode(MALFORMED[name], PatchAISession)


def test_huge_document_is_refused_by_size() -> None:
    body = b"<PatchAISession><Purpose>" + b"a" * (1024 * 1024) + b"</Purpose></PatchAISession>"
    with pytest.raises(DecodeError, match="larger than"):
        codec.decode(body, PatchAISession)
    with pytest.raises(DecodeError, match="larger than"):
        codec.decode(b"x" * (5 * 1024 * 1024), PatchAISession)


def test_size_limit_counts_characters_and_is_configurable() -> None:
    small = XmlCodec(max_chars=128)
    ok = f"{OPEN}<Purpose>ü</Purpose></PatchAISession>".encode()
    assert small.decode(ok, PatchAISession).purpose == "ü"
    with pytest.raises(DecodeError):
        small.decode(ok.replace(b"\xc3\xbc", b"\xc3\xbc" * 80), PatchAISession)


def test_deep_nesting_is_refused() -> None:
    depth = 100_000
    body = b"<PatchAISession>" + b"<a>" * depth + b"</a>" * depth + b"</PatchAISession>"
    with pytest.raises(DecodeError, match="nested deeper"):
        codec.decode(body, PatchAISession)


def test_element_flood_is_refused() -> None:
    body = b"<PatchAISession>" + b"<a/>" * 70_000 + b"</PatchAISession>"
    with pytest.raises(DecodeError, match="more than"):
        codec.decode(body, PatchAISession)


def test_deep_but_allowed_nesting_of_unknown_elements_is_ignored() -> None:
    body = OPEN.encode() + b"<a>" * 50 + b"</a>" * 50 + b"<Purpose>p</Purpose></PatchAISession>"
    assert codec.decode(body, PatchAISession).purpose == "p"


def test_utf16_with_bom_and_utf8_with_bom_are_read() -> None:
    doc = f'<?xml version="1.0" encoding="utf-16"?>{OPEN}<Purpose>é</Purpose></PatchAISession>'
    assert codec.decode(doc.encode("utf-16"), PatchAISession).purpose == "é"
    assert codec.decode(b"\xef\xbb\xbf" + doc.encode(), PatchAISession).purpose == "é"


def test_predefined_and_character_references_are_fine() -> None:
    body = OPEN.encode() + b"<Purpose>&lt;&amp;&gt;&quot;&apos;&#65;&#x42;</Purpose></PatchAISession>"
    assert codec.decode(body, PatchAISession).purpose == "<&>\"'AB"


def test_cdata_is_text() -> None:
    # SortField is declared by the base class ListRequest, in the Voice.Api namespace.
    body = (
        f'<ListAISessions xmlns="{AI_NS}"><SortField xmlns="http://schemas.datacontract.org/2004/07/Voice.Api">'
        "<![CDATA[<x>&]]></SortField></ListAISessions>"
    ).encode()
    assert codec.decode(body, ListAISessions).sort_field == "<x>&"
