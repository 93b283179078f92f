"""Settings for one gateway instance, from the CLI or from code."""

from __future__ import annotations

from dataclasses import dataclass, field

from .http.compression import CompressionPolicy
from .http.cors import CorsPolicy
from .limits import RequestLimits
from .throttle import AuthLimits

__all__ = ["DEFAULT_DB_URL", "Settings"]

DEFAULT_DB_URL = "sqlite:///evo-gateway.db"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    #: Request bodies larger than this get 413 before they are read in full.
    max_body_bytes: int = 1024 * 1024
    #: How long a `POST /auth/credentials` login (the `ss-id` cookie) stays valid.
    login_ttl_seconds: int = 14 * 24 * 3600
    #: How long a verified API key or Basic credential is remembered in memory: also how long a
    #: revoked key or a removed user may still be honoured (`serve` allows at most 30 s).
    auth_cache_seconds: float = 30.0
    #: "servicestack" (lenient, never 406/415) or "strict" (RFC 9110 Accept, 406 and 415).
    negotiation: str = "servicestack"
    #: Prefix CSV cells that start like a spreadsheet formula (`=`, `+`, `-`, `@`) with `'`.
    csv_neutralize_formulas: bool = False
    #: This instance is the only server of its database file (`serve` sets it): it takes the
    #: file's serve lock, so a second server on the same file fails at start (docs/store.md).
    owns_database: bool = False
    #: The access log: "text" (one line per request), "json" (one object per line) or "off".
    access_log: str = "text"
    #: Log `/health` and `/ready` requests too (orchestrators call them every few seconds).
    access_log_probes: bool = False
    #: Serve `GET /metrics` and count requests (Prometheus text format).
    metrics: bool = True
    #: Sign-in throttling and the bound on concurrent password checks (docs/security.md).
    auth_limits: AuthLimits = field(default_factory=AuthLimits)
    #: Batch size, string length, answer size and the anonymous body limit (docs/security.md).
    request_limits: RequestLimits = field(default_factory=RequestLimits)
    #: CORS headers on every answer and OPTIONS answered, as ServiceStack's CorsFeature; None: off.
    cors: CorsPolicy | None = None
    #: Compress answers by Accept-Encoding (docs/http.md); None: never.
    compression: CompressionPolicy | None = None
