"""The one surface every wire format implements, and what a codec may declare beyond it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from .jsconfig import JsConfig

__all__ = [
    "Capabilities",
    "Codec",
    "Page",
    "PrettyPrinting",
    "TypedEncoding",
    "capabilities_of",
    "encode_declared",
    "media_type_essence",
]

T = TypeVar("T")


def media_type_essence(media_type: str | None) -> str:
    """`type/subtype` in lower case, parameters dropped: `Text/CSV; charset=x` → `text/csv`."""
    return (media_type or "").split(";", 1)[0].strip().lower()


@runtime_checkable
class Codec(Protocol):
    """A wire format. Codecs know nothing of HTTP; the gateway picks one by name or media type.

    - `format`: the short name used in `?format=`, `.ext` suffixes and `/{format}/reply/` (`"jsv"`).
    - `media_type`: the canonical media type (`"application/jsv"`).
    - `media_types`: every media type that selects this codec, canonical first (aliases included).
    - `content_type`: the exact `Content-Type` header value written on responses.

    A codec may also carry a `capabilities` attribute (a `Capabilities`); one without it has none.
    """

    format: str
    media_type: str
    media_types: tuple[str, ...]
    content_type: str

    def encode(self, obj: Any) -> bytes:
        """Serialize a DTO (or a list of DTOs) to bytes."""
        ...

    def decode(self, data: bytes, type: type[T]) -> T:
        """Parse bytes into `type`; raise `wirecodecs.DecodeError` (or its `ValidationError`)."""
        ...


class TypedEncoding(Codec, Protocol):
    """A codec whose output depends on the declared type, not only the value (XML names the root of
    an empty `ListResponse<AISessionInfo>` after its type argument). Declared by `typed_encode`."""

    def encode(self, obj: Any, *, type: Any = None) -> bytes: ...


class PrettyPrinting(Codec, Protocol):
    """A codec with a human-readable layout of its own output (`?debug=1`). Declared by `pretty`."""

    def pretty(self, data: bytes) -> str: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a codec can do beyond encode/decode. The gateway asks these, never a format's name."""

    #: Responses are offered as a file download named after the operation (ServiceStack's CSV).
    download: bool = False
    #: `?callback=name` may wrap a response as a JSONP script.
    jsonp: bool = False
    #: `encode` takes the declared type as `type=` (see `TypedEncoding`).
    typed_encode: bool = False
    #: The codec has `pretty(data) -> str` (see `PrettyPrinting`).
    pretty: bool = False
    #: `encode` takes the request's serializer settings as `jsconfig=` (a `JsConfig`, `?jsconfig=`).
    jsconfig: bool = False
    #: `encode` takes `page=` (a `Page`: the operation and links to the same request in other
    #: formats): a document for people (HTML).
    page: bool = False
    #: The codec writes responses only; it reads no request bodies (HTML).
    response_only: bool = False


_NONE = Capabilities()


def capabilities_of(codec: Codec) -> Capabilities:
    """The capabilities a codec declares; a plugin that declares none has none."""
    declared = getattr(codec, "capabilities", _NONE)
    return declared if isinstance(declared, Capabilities) else _NONE


@dataclass(frozen=True, slots=True)
class Page:
    """What a document for people says beyond the DTO: which operation answered, with which
    status, and the same request in every other format (`(format, href)` pairs, hrefs unescaped)."""

    title: str
    status_code: int = 200
    alternates: tuple[tuple[str, str], ...] = ()


def encode_declared(
    codec: Codec, obj: Any, type: Any, *, jsconfig: JsConfig | None = None, page: Page | None = None
) -> bytes:
    """`codec.encode(obj)`, telling the codec the declared type, the `?jsconfig=` settings and the
    page context when it declares it takes them (`typed_encode`, `jsconfig`, `page`)."""
    capabilities = capabilities_of(codec)
    if jsconfig is None and page is None:  # the common case, without building keyword arguments
        if type is not None and capabilities.typed_encode:
            return cast(TypedEncoding, codec).encode(obj, type=type)
        return codec.encode(obj)
    extra: dict[str, Any] = {}
    if type is not None and capabilities.typed_encode:
        extra["type"] = type
    if jsconfig is not None and not jsconfig.is_default and capabilities.jsconfig:
        extra["jsconfig"] = jsconfig
    if page is not None and capabilities.page:
        extra["page"] = page
    if extra:
        return cast(Any, codec).encode(obj, **extra)  # type: ignore[no-any-return]
    return codec.encode(obj)
