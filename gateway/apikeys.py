"""API keys: random bearer tokens, stored only as their SHA-256 digest.

A key carries 256 bits of randomness, so a fast unsalted digest is enough: there is nothing to
brute-force, and a lookup by digest stays a single indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["API_KEY_PREFIX", "generate_api_key", "hash_api_key"]

#: Makes keys recognisable in logs and secret scanners.
API_KEY_PREFIX = "ak_"


def generate_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
