"""The `serve` options: each a flag and an `EVO_GATEWAY_<OPTION>` environment variable.

A flag beats the environment, the environment beats the default. Flags are parsed by argparse with
no default of their own (SUPPRESS), so afterwards an absent attribute means "not on the command
line", and `apply_environment` fills it from the variable or the default, with the same parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .http.compression import DEFAULT_MIN_BYTES
from .http.cors import DEFAULT_HEADERS, check_origin
from .limits import RequestLimits
from .negotiation import NEGOTIATION_MODES
from .serving.accesslog import ACCESS_LOG_MODES
from .serving.server import EVENT_LOOPS, SERVERS, default_loop
from .throttle import AuthLimits

__all__ = ["ENV_PREFIX", "SERVE_OPTIONS", "EnvError", "ServeOption", "apply_environment", "bounded_int", "seconds"]

ENV_PREFIX = "EVO_GATEWAY_"


class EnvError(Exception):
    """An environment variable holds a value its option refuses."""


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


def seconds(high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not 0 <= value <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} is outside 0..{high:g} seconds")
        return value

    return parse


def _origin(text: str) -> str:
    try:
        return check_origin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _header_names(text: str) -> str:
    names = [name.strip() for name in text.split(",")]
    if not all(name and name.isascii() and name.isprintable() and " " not in name for name in names):
        raise argparse.ArgumentTypeError(f"not a comma-separated list of header names: {text!r}")
    return ", ".join(names)


def _host(text: str) -> str:
    if not text or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _boolean(text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"not a boolean (use 1/0, true/false, yes/no, on/off): {text!r}")


@dataclass(frozen=True)
class ServeOption:
    flag: str
    default: Any
    help: str
    #: Parses a flag's or a variable's text; None for a switch (`--x` / `--no-x`).
    parse: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    #: The flag may be given again, each value parsed; its variable holds them comma-separated.
    repeatable: bool = False

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        shown = ("on" if self.default else "off") if self.parse is None else self.default
        if self.repeatable:
            shown = ", ".join(self.default) or "none"
        text = f"{self.help} (default: {shown}; env {self.env})".replace("%", "%%")
        if self.parse is None:
            parser.add_argument(self.flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text)
        elif self.repeatable:
            parser.add_argument(
                self.flag, type=self.parse, action="append", default=argparse.SUPPRESS, metavar=self.metavar, help=text
            )
        else:
            parser.add_argument(
                self.flag,
                type=self.parse,
                choices=self.choices,
                default=argparse.SUPPRESS,
                metavar=self.metavar or (None if self.choices else self.dest.upper()),
                help=text,
            )

    def from_env(self, raw: str) -> Any:
        try:
            if self.repeatable and self.parse is not None:
                return [self.parse(item.strip()) for item in raw.split(",") if item.strip()]
            value = _boolean(raw) if self.parse is None else self.parse(raw)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise EnvError(f"{self.env}={raw!r}: {exc}") from None
        if self.choices is not None and value not in self.choices:
            raise EnvError(f"{self.env}={raw!r}: choose from {', '.join(self.choices)}")
        return value


SERVE_OPTIONS: tuple[ServeOption, ...] = (
    ServeOption("--host", "127.0.0.1", "address or host name to listen on", _host),
    ServeOption("--port", 8000, "TCP port to listen on (0: any free port)", bounded_int(0, 65535)),
    ServeOption("--workers", 1, "worker processes sharing the port", bounded_int(1, 64), metavar="N"),
    ServeOption(
        "--max-body-bytes", Settings.max_body_bytes, "larger request bodies get 413", bounded_int(1, 2**31 - 1)
    ),
    ServeOption(
        "--negotiation",
        Settings.negotiation,
        "servicestack (lenient) or strict (RFC 9110: 406, 415)",
        str,
        choices=NEGOTIATION_MODES,
    ),
    ServeOption(
        "--csv-neutralize-formulas",
        False,
        "prefix CSV cells starting with = + - @ with ' (spreadsheets then show, not run, them)",
    ),
    ServeOption(
        "--shutdown-timeout",
        30.0,
        "on SIGTERM/SIGINT, how long in-flight requests may take to finish",
        seconds(3600),
        metavar="SECONDS",
    ),
    ServeOption(
        "--log-level", "info", "the server log's level", str, choices=("critical", "error", "warning", "info", "debug")
    ),
    ServeOption("--access-log", "text", "one line per request, as text or JSON, or off", str, choices=ACCESS_LOG_MODES),
    ServeOption("--access-log-probes", False, "also log GET /health and /ready"),
    ServeOption("--metrics", True, "serve GET /metrics (Prometheus text format)"),
    ServeOption(
        "--forwarded-allow-ips",
        "127.0.0.1",
        "comma-separated proxy addresses (or *) whose X-Forwarded-For/-Proto headers are trusted",
        _host,
        metavar="IPS",
    ),
    ServeOption(
        "--timeout-keep-alive",
        5,
        "close a keep-alive connection idle this many seconds",
        bounded_int(1, 3600),
        metavar="SECONDS",
    ),
    ServeOption(
        "--header-timeout",
        5.0,
        "close a connection whose request headers are not complete within this many seconds",
        seconds(3600),
        metavar="SECONDS",
    ),
    ServeOption(
        "--body-timeout",
        30.0,
        "close a connection whose request body is not complete within this many seconds",
        seconds(3600),
        metavar="SECONDS",
    ),
    ServeOption(
        "--auth-hash-concurrency",
        AuthLimits.hash_concurrency,
        "password checks (scrypt, 32 MiB each) running at once; the rest wait",
        bounded_int(1, 64),
        metavar="N",
    ),
    ServeOption(
        "--auth-user-failures",
        AuthLimits.user_failures,
        "sign-in attempts per user name per window before 429",
        bounded_int(1, 1_000_000),
        metavar="N",
    ),
    ServeOption(
        "--auth-address-failures",
        AuthLimits.address_failures,
        "sign-in attempts per client address per window before 429",
        bounded_int(1, 1_000_000),
        metavar="N",
    ),
    ServeOption(
        "--auth-window-seconds",
        AuthLimits.window_seconds,
        "the sign-in counting window (and the longest Retry-After); 0: no throttling",
        seconds(86_400),
        metavar="SECONDS",
    ),
    ServeOption(
        "--auth-cache-seconds",
        Settings.auth_cache_seconds,
        "how long a verified API key or Basic credential is remembered: the longest a revoked key still works",
        seconds(30),
        metavar="SECONDS",
    ),
    ServeOption(
        "--max-batch-requests",
        RequestLimits.max_batch_requests,
        "requests in one auto-batch; more get 400 BatchTooLarge before any runs",
        bounded_int(1, 1_000_000),
        metavar="N",
    ),
    ServeOption(
        "--max-string-length",
        RequestLimits.max_string_length,
        "characters in one string member of a request; longer get 400 MaximumLength",
        bounded_int(1, 2**31 - 1),
        metavar="N",
    ),
    ServeOption(
        "--max-response-bytes",
        RequestLimits.max_response_bytes,
        "the string characters of one answer; more get 400 ResponseTooLarge",
        bounded_int(1, 2**40),
        metavar="BYTES",
    ),
    ServeOption(
        "--max-anonymous-body-bytes",
        RequestLimits.max_anonymous_body_bytes,
        "request bodies without valid credentials (sign-ins) larger than this get 413",
        bounded_int(1, 2**31 - 1),
        metavar="BYTES",
    ),
    ServeOption(
        "--loop",
        default_loop(),
        "the event loop: uvloop (less CPU per request) or asyncio's own (docs/operations.md)",
        str,
        choices=EVENT_LOOPS,
    ),
    ServeOption(
        "--server",
        "uvicorn",
        "the HTTP server: uvicorn (httptools) or granian (HTTP in Rust, beside the event loop; docs/operations.md)",
        str,
        choices=SERVERS,
    ),
    ServeOption(
        "--limit-concurrency",
        1000,
        "open connections (or requests) beyond which new requests get 503 (granian: connections wait); 0: no limit",
        bounded_int(0, 1_000_000),
        metavar="N",
    ),
    ServeOption(
        "--cors-origin",
        (),
        "answer cross-origin requests from this origin (scheme://host[:port], repeatable) or any (*), as"
        " ServiceStack's CorsFeature; none: no CORS headers",
        _origin,
        metavar="ORIGIN",
        repeatable=True,
    ),
    ServeOption(
        "--cors-credentials",
        False,
        "with --cors-origin: Access-Control-Allow-Credentials: true (not with *)",
    ),
    ServeOption(
        "--cors-allow-headers",
        DEFAULT_HEADERS,
        "with --cors-origin: the request headers a cross-origin request may send (comma-separated)",
        _header_names,
        metavar="NAMES",
    ),
    ServeOption("--compress", False, "compress answers by Accept-Encoding: br, deflate or gzip (q-values count)"),
    ServeOption(
        "--compress-min-bytes",
        DEFAULT_MIN_BYTES,
        "with --compress: shorter bodies are sent as they are",
        bounded_int(0, 2**31 - 1),
        metavar="BYTES",
    ),
)


def apply_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill every option not given as a flag from its variable, else its default."""
    for option in SERVE_OPTIONS:
        if hasattr(args, option.dest):
            continue
        raw = environ.get(option.env)
        setattr(args, option.dest, option.default if raw is None else option.from_env(raw))
