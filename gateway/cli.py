"""The `evo-gateway` command: seed accounts, users and API keys, convert documents, and serve.

Every command prints only its result on stdout (an id, a key, a document) so scripts can capture it;
errors are one line on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import copy
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NoReturn

from wirecodecs import DecodeError, default_registry

from .config import DEFAULT_DB_URL, Settings
from .negotiation import NEGOTIATION_MODES
from .passwords import hash_password
from .store import StoreError, open_store

__all__ = ["main"]

PROG = "evo-gateway"
DB_ENV = "EVO_GATEWAY_DB"


class CommandError(Exception):
    """Bad input to a command: reported as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits 2; keep the one-line contract for usage errors too.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _name(text: str) -> str:
    """A name for an account or user: printable, not blank (it is shown on pages and in lists)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a name must not be empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable argv bytes arrive as lone surrogates
        raise argparse.ArgumentTypeError(f"a name must be UTF-8 text: {text!r}") from None
    if not text.isprintable():
        raise argparse.ArgumentTypeError(f"a name must not hold control characters: {text!r}")
    return text


def _user_name(text: str) -> str:
    name = _name(text)
    if ":" in name:  # HTTP Basic splits user:password at the first colon (RFC 7617)
        raise argparse.ArgumentTypeError(f"a user name must not contain ':' (Basic auth could not carry it): {text!r}")
    return name


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is outside 0..3600 seconds")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A ServiceStack-compatible gateway for the Evo Voice AI-session API.")
    parser.add_argument(
        "--db",
        default=os.environ.get(DB_ENV, DEFAULT_DB_URL),
        metavar="URL",
        help=(
            "database URL: sqlite:///relative.db, sqlite:////absolute.db or"
            f" postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME (env {DB_ENV}; default %(default)s)"
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    accounts = commands.add_parser("accounts", help="manage accounts").add_subparsers(dest="action", required=True)
    add_account = accounts.add_parser("add", help="create an account; prints its id")
    add_account.add_argument("name", type=_name)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    add_user = users.add_parser("add", help="create a user; prints its id")
    add_user.add_argument("name", type=_user_name)
    add_user.add_argument("--role", action="append", type=_name, default=[], help="grant a role (repeatable)")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the user's password from the first line of stdin"
    )

    apikeys = commands.add_parser("apikeys", help="manage API keys").add_subparsers(dest="action", required=True)
    create_key = apikeys.add_parser("create", help="create an API key for a user; prints the key")
    create_key.add_argument("username")

    serve = commands.add_parser("serve", help="serve the API with uvicorn until SIGTERM/SIGINT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_bounded_int(0, 65535), default=8000)
    serve.add_argument("--max-body-bytes", type=_bounded_int(1, 2**31 - 1), default=Settings.max_body_bytes)
    serve.add_argument(
        "--shutdown-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, how long in-flight requests may take to finish (default %(default)s)",
    )
    serve.add_argument("--negotiation", choices=NEGOTIATION_MODES, default=Settings.negotiation)
    serve.add_argument(
        "--csv-neutralize-formulas",
        action="store_true",
        help="prefix CSV cells starting with = + - @ with ' so spreadsheets do not run them",
    )
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])

    convert = commands.add_parser("convert", help="re-encode a document from stdin in another format")
    convert.add_argument("--from", dest="source", required=True, metavar="FMT")
    convert.add_argument("--to", dest="target", required=True, metavar="FMT")
    convert.add_argument("--type", dest="type_name", required=True, metavar="DTO")
    return parser


def _read_password() -> str:
    try:
        password = sys.stdin.buffer.readline().decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise CommandError("--password-stdin: the password is not UTF-8 text") from None
    if not password:
        raise CommandError("--password-stdin: no password on stdin")
    return password


def _log_config(level: str) -> dict[str, Any]:
    # uvicorn sends access logs to stdout by default; everything goes to stderr so stdout stays clean.
    import uvicorn.config

    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    config["loggers"]["gateway"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Installed before uvicorn runs; see `_serve`."""


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app

    settings = Settings(
        db_url=args.db,
        max_body_bytes=args.max_body_bytes,
        negotiation=args.negotiation,
        csv_neutralize_formulas=args.csv_neutralize_formulas,
        owns_database=True,
    )
    # The app opens the store now, so a bad --db fails here with one line instead of inside uvicorn.
    app = create_app(settings)
    # uvicorn stops accepting on SIGTERM/SIGINT, lets in-flight requests finish, runs the lifespan
    # shutdown (which closes the store), then re-raises the signal against the handlers it found.
    # Neutral handlers here turn that re-raise into a no-op, so a requested stop exits 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _ignore_signal)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=_log_config(args.log_level),
        log_level=args.log_level,
        # Without a bound, one client that stalls mid-body keeps the process alive for ever.
        timeout_graceful_shutdown=args.shutdown_timeout,
    )
    config.load()  # imports the protocol and loop modules now, so the freeze below covers them
    # Everything alive now lives as long as the server. Frozen, the cyclic collector stops
    # re-scanning it on every full collection: those scans were the PATCH p99 under load
    # (bench/load.py: 14 ms -> 8 ms), since one lands mid-burst every few thousand requests.
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(config)
    server.run()
    if not server.started:  # uvicorn has logged why (the port is taken, say)
        raise CommandError(f"could not start serving on {args.host}:{args.port}")


def _convert(args: argparse.Namespace) -> None:
    from .convert import UnknownFormat, UnknownType, convert_document

    data = sys.stdin.buffer.read()
    try:
        out = convert_document(
            data, source=args.source, target=args.target, type_name=args.type_name, registry=default_registry()
        )
    except (UnknownFormat, UnknownType) as exc:
        raise CommandError(str(exc)) from None
    except DecodeError as exc:
        raise CommandError(f"cannot decode the {args.source} document: {exc}") from None
    try:
        sys.stdout.buffer.write(out if out.endswith(b"\n") else out + b"\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): as with any filter, that is not an error. Point
        # stdout at /dev/null so the interpreter's own final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run(args: argparse.Namespace) -> None:
    if args.command == "serve":
        _serve(args)
        return
    if args.command == "convert":
        _convert(args)
        return
    password = _read_password() if getattr(args, "password_stdin", False) else None
    store = open_store(args.db)
    try:
        if args.command == "accounts":
            print(store.add_account(args.name).id)
        elif args.command == "users":
            hashed = hash_password(password) if password is not None else None
            print(store.add_user(args.name, args.role, hashed).id)
        elif args.command == "apikeys":
            print(store.add_api_key(args.username))
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        _run(args)
    except (CommandError, StoreError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    return 0
