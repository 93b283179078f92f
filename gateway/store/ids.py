"""Identifiers and secret digests every store shares, so two stores mint and hash alike."""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["login_hash", "new_id"]


def new_id() -> str:
    # ServiceStack's default Guid text is 32 hex digits (format "N").
    return uuid.uuid4().hex


def login_hash(login_id: str) -> str:
    # Login tokens are bearer secrets like API keys: keep only their digest at rest.
    return hashlib.sha256(login_id.encode("utf-8")).hexdigest()
