"""Timestamps as AISessionInfo carries them: ISO 8601 UTC strings of fixed width, so that
sorting them as text sorts them in time."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now_iso"]


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
