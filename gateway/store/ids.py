"""Identifiers and secret digests every store shares, so two stores mint and hash alike."""

from __future__ import annotations

import hashlib
import uuid
from typing import NamedTuple

from ..apikeys import API_KEY_PREFIX, hash_api_key

__all__ = ["KeyLookup", "api_key_lookup", "login_hash", "new_id"]


def new_id() -> str:
    # ServiceStack's default Guid text is 32 hex digits (format "N").
    return uuid.uuid4().hex


def login_hash(login_id: str) -> str:
    # Login tokens are bearer secrets like API keys: keep only their digest at rest.
    return hashlib.sha256(login_id.encode("utf-8")).hexdigest()


class KeyLookup(NamedTuple):
    """Where to find an API key: the `api_keys` column and value, and how to name it in an error
    (never by the key itself, which is a secret)."""

    column: str
    value: str
    described: str


def api_key_lookup(key_id_or_key: str) -> KeyLookup:
    """Find a key by its id or by the key itself: an id is 32 hex digits and a key starts `ak_`,
    so the two never collide."""
    if key_id_or_key.startswith(API_KEY_PREFIX):
        return KeyLookup("key_hash", hash_api_key(key_id_or_key), "no API key is the one given")
    return KeyLookup("id", key_id_or_key, f"no API key has id {key_id_or_key!r}")
