"""XML as ServiceStack writes it: .NET DataContractSerializer's names, namespaces and member order.

See docs/xml.md for the mapping, the namespace rules, the safety limits and the choices made where
DataContractSerializer could not be observed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, TypeVar, cast

from .._untyped import from_untyped, from_wire_names
from ..base import Capabilities
from ..errors import DecodeError
from ._contract import DEFAULT_CONTRACT_NAMESPACES, Contracts
from ._document import encode_document
from ._flat import bind_flat
from ._reader import Limits, bind, parse
from ._writer import InvalidChars

__all__ = ["XmlCodec"]

T = TypeVar("T")

#: ServiceStack's `XmlSerializer` sets `XmlReaderSettings.MaxCharactersInDocument = 1024 * 1024`.
DEFAULT_MAX_CHARS = 1024 * 1024


class XmlCodec:
    """The `xml` format.

    Parameters
    ----------
    default_namespace:
        CLR namespace for Structs without a `dotnet` ClassVar (`""` gives DataContractSerializer's
        namespace for a type outside any namespace, `http://schemas.datacontract.org/2004/07/`).
    contract_namespaces:
        CLR namespace → XML namespace overrides (`[assembly: ContractNamespace]`); ServiceStack's own
        `ServiceStack` → `http://schemas.servicestack.net/types` is always included.
    invalid_chars:
        What to write for characters XML 1.0 cannot carry (C0 controls, lone surrogates):
        `"replace"` (default, U+FFFD) or `"error"` (EncodeError, like .NET's XmlWriter).
    max_chars, max_depth, max_elements:
        Limits on a document to decode; beyond them decoding fails with DecodeError.
    """

    format: str = "xml"
    media_type: str = "application/xml"
    media_types: tuple[str, ...] = ("application/xml", "text/xml")
    # ServiceStack appends a charset to JSON only (HostConfig.AppendUtf8CharsetOnContentTypes).
    content_type: str = "application/xml"
    capabilities = Capabilities(typed_encode=True)

    def __init__(
        self,
        *,
        default_namespace: str = "",
        contract_namespaces: Mapping[str, str] | None = None,
        invalid_chars: InvalidChars = "replace",
        max_chars: int = DEFAULT_MAX_CHARS,
        max_depth: int = 64,
        max_elements: int = 65536,
    ) -> None:
        namespaces = {**DEFAULT_CONTRACT_NAMESPACES, **(contract_namespaces or {})}
        self._contracts = Contracts(default_namespace, namespaces)
        self._invalid_chars: InvalidChars = invalid_chars
        self._limits = Limits(max_chars, max_depth, max_elements)

    def encode(self, obj: Any, *, type: Any = None) -> bytes:
        """Serialize a DTO (or a list of DTOs).

        `type` is the declared type (`ListResponse[AISessionInfo]`); without it the type is taken
        from `obj`, generic parameters from the values it holds.
        """
        return encode_document(self._contracts, obj, type, self._invalid_chars)

    def member_elements(self, type: Any) -> list[tuple[str, str, str]]:
        """A Struct type's members in the order DataContractSerializer writes and reads them:
        (JSON member name, element name, element namespace) for each."""
        node = self._contracts.node_for(cast(Hashable, type))
        if node.struct is None:
            raise TypeError(f"{type!r} is not a data contract class")
        return [(m.encode_name, m.xml_name, m.ns) for m in node.struct.members]

    def decode(self, data: bytes, type: type[T]) -> T:
        flat = self._flat(data, type)
        if flat is not None:  # bound member by member as it was read: nothing left to match
            return from_wire_names(flat, type)
        return from_untyped(self._general(data, type), type)

    def decode_untyped(self, data: bytes, type: Any) -> Any:
        """The document as builtins keyed by the DTO's JSON member names, before conversion."""
        flat = self._flat(data, type)
        return flat if flat is not None else self._general(data, type)

    def _flat(self, data: bytes, type: Any) -> dict[str, Any] | None:
        try:
            return bind_flat(bytes(data), self._contracts.node_for(cast(Hashable, type)), self._limits)
        except TypeError:
            return None  # not a contract type: the general path says so, after parsing

    def _general(self, data: bytes, type: Any) -> Any:
        root = parse(data, self._limits)
        try:
            node = self._contracts.node_for(cast(Hashable, type))
        except TypeError as exc:
            raise DecodeError(f"cannot decode XML into {type!r}: {exc}") from None
        return bind(root, node, self._contracts)
