"""The admin commands of `evo-gateway`: accounts, users and API keys, on either store.

Each prints one result per line on stdout (an id, a key, a listing row), or with `--json` one JSON
document; bad input is an `AdminError`, which the CLI reports as one line with exit status 1.
Warnings (a role the gateway never checks) go to stderr and do not fail the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from .operations import OPERATIONS
from .passwords import hash_password
from .store import AdminStore, ApiKeyRecord

__all__ = ["ADMIN_COMMANDS", "AdminError", "add_admin_commands", "known_roles", "run_admin"]

#: The top-level commands this module adds and runs.
ADMIN_COMMANDS = frozenset({"accounts", "users", "apikeys"})


class AdminError(Exception):
    """Bad input to an admin command: reported as one line, exit status 1."""


def name(text: str) -> str:
    """A name for an account, user, role or label: printable, not blank (it is shown in lists)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a name must not be empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable argv bytes arrive as lone surrogates
        raise argparse.ArgumentTypeError(f"a name must be UTF-8 text: {text!r}") from None
    if not text.isprintable():
        raise argparse.ArgumentTypeError(f"a name must not hold control characters: {text!r}")
    return text


def user_name(text: str) -> str:
    checked = name(text)
    if ":" in checked:  # HTTP Basic splits user:password at the first colon (RFC 7617)
        raise argparse.ArgumentTypeError(f"a user name must not contain ':' (Basic auth could not carry it): {text!r}")
    return checked


def known_roles() -> frozenset[str]:
    """The roles some operation requires: the only ones granting a user anything."""
    return frozenset(op.required_role for op in OPERATIONS if op.required_role is not None)


def check_roles(roles: Iterable[str]) -> list[str]:
    """Refuse a known role spelt in another case (the check is case-sensitive, so the grant would
    silently do nothing); the warnings for any other role no operation checks."""
    known = known_roles()
    by_folded = {role.casefold(): role for role in known}
    warnings = []
    for role in roles:
        if role in known:
            continue
        right = by_folded.get(role.casefold())
        if right is not None:
            raise AdminError(f"role {role!r} is spelt {right!r} (roles are case-sensitive)")
        warnings.append(f"role {role!r} is not one any operation checks ({', '.join(sorted(known))}); granted anyway")
    return warnings


def _password_from_stdin() -> str:
    try:
        password = sys.stdin.buffer.readline().decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise AdminError("--password-stdin: the password is not UTF-8 text") from None
    if not password:
        raise AdminError("--password-stdin: no password on stdin")
    return password


def add_admin_commands(commands: Any) -> None:
    """Add `accounts`, `users` and `apikeys` to the CLI's subcommands (an argparse subparsers action)."""
    accounts = commands.add_parser("accounts", help="manage accounts").add_subparsers(dest="action", required=True)
    add_account = accounts.add_parser("add", help="create an account; prints its id")
    add_account.add_argument("name", type=name)
    list_accounts = accounts.add_parser("list", help="every account: id and name")
    _json_flag(list_accounts)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    add_user = users.add_parser("add", help="create a user; prints its id")
    add_user.add_argument("name", type=user_name)
    add_user.add_argument("--role", action="append", type=name, default=[], help="grant a role (repeatable)")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the user's password from the first line of stdin"
    )
    list_users = users.add_parser("list", help="every user: id, name, roles, whether a password is set")
    _json_flag(list_users)
    set_roles = users.add_parser("set-roles", help="replace a user's roles (none given: no roles); prints its id")
    set_roles.add_argument("name", type=user_name)
    set_roles.add_argument("roles", nargs="*", type=name, metavar="ROLE")
    set_password = users.add_parser("set-password", help="replace a user's password; prints its id")
    set_password.add_argument("name", type=user_name)
    set_password.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from the first line of stdin"
    )
    remove_user = users.add_parser("remove", help="delete a user with its API keys and logins; prints its id")
    remove_user.add_argument("name", type=user_name)

    apikeys = commands.add_parser("apikeys", help="manage API keys").add_subparsers(dest="action", required=True)
    create_key = apikeys.add_parser("create", help="create an API key for a user; prints the key")
    create_key.add_argument("username")
    create_key.add_argument("--label", type=name, metavar="TEXT", help="what the key is for, shown by list")
    list_keys = apikeys.add_parser("list", help="every key (or a user's): id, user, label, created, last used")
    list_keys.add_argument("username", nargs="?")
    _json_flag(list_keys)
    revoke_key = apikeys.add_parser("revoke", help="delete an API key, by its id from list (or the key); prints the id")
    revoke_key.add_argument("key", metavar="KEY_ID")


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")


def run_admin(args: argparse.Namespace, store: AdminStore, out: TextIO, warn: Callable[[str], None]) -> None:
    """Run one admin command against `store`, writing its result to `out`."""
    command = (args.command, args.action)
    warnings: list[str] = []
    if command in (("users", "add"), ("users", "set-roles")):
        warnings = check_roles(args.role if args.action == "add" else args.roles)
    password = _password_from_stdin() if getattr(args, "password_stdin", False) else None
    hashed = hash_password(password) if password is not None else None

    def line(*fields: str) -> None:
        print("\t".join(fields), file=out)

    if command == ("accounts", "add"):
        line(store.add_account(args.name).id)
    elif command == ("accounts", "list"):
        accounts = store.list_accounts()
        if args.json:
            _dump([{"id": a.id, "name": a.name} for a in accounts], out)
        for account in [] if args.json else accounts:
            line(account.id, account.name)
    elif command == ("users", "add"):
        line(store.add_user(args.name, args.role, hashed).id)
        _emit(warnings, warn)
    elif command == ("users", "list"):
        users = store.list_users()
        if args.json:
            _dump(
                [{"id": u.id, "name": u.name, "roles": list(u.roles), "hasPassword": u.has_password} for u in users],
                out,
            )
        for user in [] if args.json else users:
            line(user.id, user.name, ",".join(user.roles) or "-", "password" if user.has_password else "no-password")
    elif command == ("users", "set-roles"):
        line(store.set_roles(args.name, args.roles).id)
        _emit(warnings, warn)
    elif command == ("users", "set-password"):
        assert hashed is not None  # --password-stdin is required
        line(store.set_password(args.name, hashed))
    elif command == ("users", "remove"):
        line(store.remove_user(args.name))
    elif command == ("apikeys", "create"):
        line(store.add_api_key(args.username, args.label))
    elif command == ("apikeys", "list"):
        keys = store.list_api_keys(args.username)
        if args.json:
            _dump([_key_json(k) for k in keys], out)
        for key in [] if args.json else keys:
            line(key.id, key.user_name, key.label or "-", key.created_at, key.last_used_at or "never")
    elif command == ("apikeys", "revoke"):
        line(store.revoke_api_key(args.key).id)
    else:  # argparse admits only the commands above
        raise AdminError(f"unknown command: {' '.join(command)}")


def _emit(warnings: list[str], warn: Callable[[str], None]) -> None:
    # Only once the roles were granted: a failed command reports its one error line alone.
    for text in warnings:
        warn(text)


def _key_json(key: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": key.id,
        "userName": key.user_name,
        "label": key.label,
        "createdAt": key.created_at,
        "lastUsedAt": key.last_used_at,
    }


def _dump(document: Sequence[dict[str, Any]], out: TextIO) -> None:
    print(json.dumps(list(document)), file=out)
