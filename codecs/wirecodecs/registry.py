"""Format name ↔ media types ↔ codec, plus the `evo_gateway.codecs` entry-point group.

A plain mapping, as httpx keeps its decoders and ServiceStack its ContentTypes: registering a codec
is all it takes to make it reachable by suffix, `?format=`, `/{format}/reply/`, Accept and
Content-Type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from .base import Codec, media_type_essence

__all__ = ["ENTRY_POINT_GROUP", "CodecRegistry"]

ENTRY_POINT_GROUP = "evo_gateway.codecs"


class CodecRegistry:
    """Codecs in registration order (which is also the server's preference order)."""

    def __init__(self, codecs: Iterable[Codec] = ()) -> None:
        self._by_format: dict[str, Codec] = {}
        self._by_media_type: dict[str, Codec] = {}
        for codec in codecs:
            self.register(codec)

    def register(self, codec: Codec) -> None:
        name = codec.format.lower()
        if name in self._by_format:
            raise ValueError(f"a codec for format {name!r} is already registered")
        self._by_format[name] = codec
        for media_type in codec.media_types:
            self._by_media_type.setdefault(media_type_essence(media_type), codec)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every codec advertised in `group`; returns the formats added.

        An entry point names either a codec object or a zero-argument factory (a class) for one.
        """
        added: list[str] = []
        for ep in entry_points(group=group):
            target = ep.load()
            codec = target() if isinstance(target, type) or not isinstance(target, Codec) else target
            if not isinstance(codec, Codec):
                raise TypeError(f"entry point {ep.name!r} did not give a codec: {codec!r}")
            if codec.format.lower() not in self._by_format:
                self.register(codec)
                added.append(codec.format.lower())
        return added

    def by_format(self, name: str) -> Codec | None:
        return self._by_format.get(name.lower())

    def by_media_type(self, media_type: str) -> Codec | None:
        """The codec for a Content-Type or Accept value (parameters ignored, aliases applied)."""
        return self._by_media_type.get(media_type_essence(media_type))

    def formats(self) -> list[str]:
        return list(self._by_format)

    def __iter__(self) -> Iterator[Codec]:
        return iter(self._by_format.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_format
