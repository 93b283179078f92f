"""A document whose root is a text record comes from the pieces of its shape, made once."""

from __future__ import annotations

from unittest import mock

from wirecodecs import XmlCodec
from wirecodecs.xml import _document, _writer

from gateway.dtos import AISessionInfo

TEXTS = {name: "x" for name in AISessionInfo.__struct_fields__}


def test_the_pieces_of_a_shape_are_made_once() -> None:
    codec = XmlCodec()
    with mock.patch(f"{_document.__name__}.write_document", wraps=_writer.write_document) as write:
        first = codec.encode(AISessionInfo(**TEXTS), type=AISessionInfo)
        second = codec.encode(AISessionInfo(**{**TEXTS, "purpose": "a < b"}), type=AISessionInfo)
        assert write.call_count == 1
        codec.encode(AISessionInfo(**{**TEXTS, "purpose": None}), type=AISessionInfo)
        codec.encode(AISessionInfo(**{**TEXTS, "purpose": ""}), type=AISessionInfo)
        assert write.call_count == 3  # absent and empty are shapes of their own
    assert first.replace(b"<Purpose>x</Purpose>", b"<Purpose>a &lt; b</Purpose>") == second


def test_texts_go_where_the_contract_writes_them_not_in_field_order() -> None:
    # DataContractSerializer writes the base class's members first, each class's alphabetically
    # (CreatedBy, ..., Id, then AccountId): not the order the struct declares them in.
    record = AISessionInfo(**{name: name for name in AISessionInfo.__struct_fields__})
    body = XmlCodec().encode(record, type=AISessionInfo)
    written = [body.index(f">{name}</".encode()) for name in ("created_by", "id", "account_id", "purpose")]
    assert written == sorted(written)
    assert b'<DateLastModified xmlns="http://schemas.datacontract.org/2004/07/Voice.Api">date_last_modified<' in body


def test_a_member_holding_other_than_text_is_written_element_by_element() -> None:
    codec = XmlCodec()
    odd = AISessionInfo(**{**TEXTS, "purpose": 7})  # type: ignore[arg-type]  # Structs do not check on construction
    with mock.patch.object(_document, "_fill", lambda *args: None):
        general = codec.encode(odd, type=AISessionInfo)
    assert codec.encode(odd, type=AISessionInfo) == general
    assert b"<Purpose>7</Purpose>" in general
