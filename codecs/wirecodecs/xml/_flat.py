"""A request of text members read without expat, when it is written the way clients write one.

`<PatchAISession xmlns="…" xmlns:i="…"><Purpose>x</Purpose><SessionId>…</SessionId></PatchAISession>`
is most of what XML clients send: one element per member, each holding plain text, `i:nil="true"`,
or nothing. Building expat's parser and calling back into Python for every element costs more
than the rest of such a request. This module recognises exactly that shape with regular
expressions and binds it as `_reader.bind` does (the same forward-only member search, nil is null,
an empty element the empty string). Whatever else a document holds (a DTD, entities, CDATA,
comments, prefixes, other attributes, whitespace between elements, a carriage return, a character
XML forbids, a root the contract does not name, a member that is not text) gives None, and the
general reader reads the document from its start, so every error keeps its words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._contract import STR, STRUCT, XSI_NS, Node
from ._reader import Limits

__all__ = ["bind_flat"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# An attribute value a parser would not normalise or refuse (no whitespace but spaces).
_ATTRIBUTE = '[^"<&\t\n\r\x00-\x1f]*'
_DOCUMENT = re.compile(
    rf'(?:<\?xml version="1\.0"(?: encoding="utf-8")?\?>)?<({_NAME})((?: xmlns(?::i)?="{_ATTRIBUTE}")*)>(.*)</\1>',
    re.DOTALL,
)
_DECLARATION = re.compile(f' xmlns(:i)?="({_ATTRIBUTE})"')
# Text XML carries verbatim: no markup, no entity, no CR (a parser turns CRLF into LF), no
# character XML 1.0 forbids.
_TEXT = "[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*"
_MEMBER = rf'<({_NAME})(?:>({_TEXT})</\1>|( i:nil="true")? ?/>)'
_MEMBERS = re.compile(f"(?:{_MEMBER})*")
_MEMBER_RE = re.compile(_MEMBER)


_NIL = ' i:nil="true"'


@lru_cache(maxsize=64)
def _root_scope(declarations: str) -> tuple[str, bool] | None:
    """The root's default namespace and whether it binds `i`, from its `xmlns` attributes (the
    few distinct strings clients send, so each is read once); None for a repeated attribute or an
    `i` bound to something other than the schema instance namespace."""
    namespaces: dict[str, str] = {}
    for prefix, uri in _DECLARATION.findall(declarations):
        if prefix in namespaces:
            return None  # a repeated attribute: malformed
        namespaces[prefix] = uri
    if namespaces.get(":i", XSI_NS) != XSI_NS:
        return None  # `i` bound elsewhere: its nil is not the schema instance's
    return namespaces.get("", ""), ":i" in namespaces


def bind_flat(data: bytes, node: Node, limits: Limits) -> dict[str, Any] | None:
    """The document bound as builtins keyed by wire names, or None for the general reader."""
    contract = node.struct
    if node.kind != STRUCT or contract is None or contract.open_generic or data[:1] != b"<" or limits.max_depth < 2:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) > limits.max_chars or "]]>" in text:
        return None
    document = _DOCUMENT.fullmatch(text)
    if document is None:
        return None
    name, declarations, body = document.groups()
    scope = _root_scope(declarations)
    if scope is None:
        return None
    ns, binds_i = scope
    if (name, ns) != (contract.name, contract.ns) or _MEMBERS.fullmatch(body) is None:
        return None
    members = _MEMBER_RE.findall(body)
    # Without `xmlns:i`, an `i:nil` is an unbound prefix (the text test may also match a member's
    # text: the general reader then reads it as well).
    if len(members) + 1 > limits.max_elements or (not binds_i and _NIL in body):
        return None  # too many elements, or an unbound prefix: the general reader says which
    out: dict[str, Any] = {}
    last = -1
    for element, content, nil in members:
        found = contract.next_member(element, ns, last)
        if found is None:
            continue  # skipped, as DataContractSerializer skips it
        if found[1].node.kind != STR:
            return None
        last = found[0]
        out[found[1].encode_name] = None if nil else content
    return out
