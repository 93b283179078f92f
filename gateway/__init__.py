"""evo-gateway: the Evo Voice AI-session API, wire-compatible with ServiceStack."""

__version__ = "0.1.0"
