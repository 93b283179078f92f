from __future__ import annotations

import pytest
from wirecodecs import CodecRegistry, JsonCodec, default_registry


def test_lookup_by_format_and_media_type_with_aliases_and_parameters() -> None:
    registry = CodecRegistry([JsonCodec()])
    json = registry.by_format("JSON")
    assert json is not None
    assert registry.by_media_type("text/json") is json
    assert registry.by_media_type("Application/JSON; charset=utf-8") is json
    assert registry.by_media_type("application/xml") is None
    assert "json" in registry and "xml" not in registry


def test_registering_a_format_twice_is_refused() -> None:
    registry = CodecRegistry([JsonCodec()])
    with pytest.raises(ValueError, match="already registered"):
        registry.register(JsonCodec())


def test_default_registry_starts_with_json() -> None:
    assert default_registry().formats()[0] == "json"
