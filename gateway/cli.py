"""The `evo-gateway` command: manage accounts, users and API keys (`admin.py`), convert
documents, and serve.

Every command prints only its result on stdout (an id, a key, a document) so scripts can capture it;
errors are one line on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from wirecodecs import DecodeError, default_registry

from . import __version__
from .admin import ADMIN_COMMANDS, AdminError, add_admin_commands, run_admin
from .config import DEFAULT_DB_URL, Settings
from .http.compression import CompressionPolicy
from .http.cors import CorsPolicy
from .limits import RequestLimits
from .serve_options import SERVE_OPTIONS, EnvError, apply_environment
from .store import StoreError, open_store, sqlite_path
from .throttle import AuthLimits

__all__ = ["main"]

PROG = "evo-gateway"
DB_ENV = "EVO_GATEWAY_DB"


class CommandError(Exception):
    """Bad input to a command: reported as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits 2; keep the one-line contract for usage errors too.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A ServiceStack-compatible gateway for the Evo Voice AI-session API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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

    add_admin_commands(commands)

    serve = commands.add_parser(
        "serve",
        help="serve the API with uvicorn until SIGTERM/SIGINT",
        description="Serve the API. Every option can also be set in the environment variable shown with it;"
        " an option on the command line beats the environment.",
    )
    for option in SERVE_OPTIONS:
        option.add_to(serve)

    convert = commands.add_parser("convert", help="re-encode a document from stdin in another format")
    convert.add_argument("--from", dest="source", required=True, metavar="FMT")
    convert.add_argument("--to", dest="target", required=True, metavar="FMT")
    convert.add_argument("--type", dest="type_name", required=True, metavar="DTO")
    convert.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) when the input sets no member of --type, instead of warning",
    )
    return parser


def _check_database_directory(db_url: str) -> None:
    """A missing or unwritable directory for a SQLite file, named as such (SQLite and the serve lock
    would each report it in their own words, about a file the operator did not name)."""
    if not db_url.startswith("sqlite:///"):
        return
    directory = os.path.dirname(os.path.abspath(sqlite_path(db_url)))
    if not os.path.isdir(directory):
        raise CommandError(f"the database directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CommandError(f"the database directory {directory!r} is not writable by this user")


def _serve(args: argparse.Namespace) -> None:
    from .app import create_app
    from .serving.listen import ListenError, listen
    from .serving.server import ServeOptions, run_single, run_workers

    cors = None
    if args.cors_origin:
        try:
            cors = CorsPolicy(
                tuple(args.cors_origin),
                allow_credentials=args.cors_credentials,
                allowed_headers=args.cors_allow_headers,
            )
        except ValueError as exc:
            raise CommandError(f"--cors-origin: {exc}") from None
    settings = Settings(
        db_url=args.db,
        max_body_bytes=args.max_body_bytes,
        negotiation=args.negotiation,
        csv_neutralize_formulas=args.csv_neutralize_formulas,
        # One process owns the file (the serve lock): with workers, the supervisor holds it and the
        # workers share the file (their session caches share its commit counter).
        owns_database=args.workers == 1,
        access_log=args.access_log,
        access_log_probes=args.access_log_probes,
        metrics=args.metrics,
        auth_cache_seconds=args.auth_cache_seconds,
        auth_limits=AuthLimits(
            hash_concurrency=args.auth_hash_concurrency,
            user_failures=args.auth_user_failures,
            address_failures=args.auth_address_failures,
            window_seconds=args.auth_window_seconds,
        ),
        request_limits=RequestLimits(
            max_batch_requests=args.max_batch_requests,
            max_string_length=args.max_string_length,
            max_response_bytes=args.max_response_bytes,
            max_anonymous_body_bytes=args.max_anonymous_body_bytes,
        ),
        cors=cors,
        compression=CompressionPolicy(min_bytes=args.compress_min_bytes) if args.compress else None,
    )
    options = ServeOptions(
        settings=settings,
        host=args.host,
        port=args.port,
        workers=args.workers,
        shutdown_timeout=args.shutdown_timeout,
        log_level=args.log_level,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_keep_alive=args.timeout_keep_alive,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        limit_concurrency=args.limit_concurrency or None,
        loop=args.loop,
        server=args.server,
    )
    _check_database_directory(args.db)
    try:
        if args.workers == 1:
            # The app opens the store now, so a bad --db fails here with one line.
            app = create_app(settings)
            try:
                sock = listen(args.host, args.port)
            except ListenError:
                app.store.close()
                raise
            started = run_single(app, options, sock)
        else:
            # The supervisor holds the file's serve lock (and migrates it) for the whole run.
            guard = open_store(args.db, owner=True)
            try:
                started = run_workers(options, listen(args.host, args.port))
            finally:
                guard.close()
    except ListenError as exc:
        raise CommandError(str(exc)) from None
    if not started:
        raise CommandError(f"could not start serving on {args.host}:{args.port} (see the log above)")


def _convert(args: argparse.Namespace) -> None:
    from .transcode import EmptyInput, UnknownFormat, UnknownType, transcode

    data = sys.stdin.buffer.read()
    try:
        done = transcode(
            data, source=args.source, target=args.target, type_name=args.type_name, registry=default_registry()
        )
    except (UnknownFormat, UnknownType, EmptyInput) as exc:
        raise CommandError(str(exc)) from None
    except DecodeError as exc:
        raise CommandError(f"cannot decode the {args.source} document: {exc}") from None
    if not done.matched:
        problem = (
            f"the {args.source} input sets no member of {done.type_name} (members: {', '.join(done.members)});"
            " is --type the document's type?"
        )
        if args.strict:
            raise CommandError(problem)
        print(f"{PROG} convert: warning: {problem} Writing its defaults.", file=sys.stderr)
    out = done.output
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
    assert args.command in ADMIN_COMMANDS
    store = open_store(args.db)
    try:
        run_admin(args, store, sys.stdout, lambda text: print(f"{PROG}: warning: {text}", file=sys.stderr))
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            apply_environment(args, os.environ)
        except EnvError as exc:  # a usage error, like a bad flag: one line, exit 2
            print(f"{PROG} serve: error: {exc}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        _run(args)
    except (CommandError, AdminError, StoreError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    return 0
