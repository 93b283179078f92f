"""The admin commands (`accounts`, `users`, `apikeys`) as scripts run them: subprocesses, one
result per line on stdout or one JSON document with `--json`, one-line errors with exit 1. Each
test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest

from gateway.apikeys import hash_api_key
from gateway.store import open_store

from .test_cli import HEX_ID, run

MINUTE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'cli.db'}"


def ok(db: str, *args: str, stdin: str | None = None) -> str:
    done = run("--db", db, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def fails(db: str, *args: str, message: str) -> None:
    done = run("--db", db, *args)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("evo-gateway: error:") and message in done.stderr


def test_accounts_list(db: str) -> None:
    assert ok(db, "accounts", "list") == "" and ok(db, "accounts", "list", "--json") == "[]\n"
    zeta = ok(db, "accounts", "add", "Zeta Co").strip()
    acme = ok(db, "accounts", "add", "Acme Voice").strip()
    assert ok(db, "accounts", "list") == f"{acme}\tAcme Voice\n{zeta}\tZeta Co\n"
    assert json.loads(ok(db, "accounts", "list", "--json")) == [
        {"id": acme, "name": "Acme Voice"},
        {"id": zeta, "name": "Zeta Co"},
    ]


def test_users_list_set_roles_set_password_and_remove(db: str) -> None:
    admin = ok(db, "users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin="pw\n").strip()
    bob = ok(db, "users", "add", "bob").strip()
    assert ok(db, "users", "list") == f"{admin}\tadmin\tSystemAdministrator\tpassword\n{bob}\tbob\t-\tno-password\n"

    assert ok(db, "users", "set-roles", "BOB", "SystemAdministrator", "Clerk") == f"{bob}\n"
    assert ok(db, "users", "set-password", "bob", "--password-stdin", stdin="new secret\n") == f"{bob}\n"
    assert json.loads(ok(db, "users", "list", "--json"))[1] == {
        "id": bob,
        "name": "bob",
        "roles": ["Clerk", "SystemAdministrator"],
        "hasPassword": True,
    }
    store = open_store(db)
    try:
        found = anyio.run(store.user_by_name, "bob")
        assert found is not None and found[1] is not None and found[1].startswith("scrypt$")
    finally:
        store.close()
    assert ok(db, "users", "set-roles", "bob") == f"{bob}\n"  # no roles given: none left
    assert json.loads(ok(db, "users", "list", "--json"))[1]["roles"] == []

    key = ok(db, "apikeys", "create", "bob").strip()
    assert ok(db, "users", "remove", "bob") == f"{bob}\n"
    assert ok(db, "users", "list") == f"{admin}\tadmin\tSystemAdministrator\tpassword\n"
    assert ok(db, "apikeys", "list") == ""  # its keys went with it
    store = open_store(db)
    try:
        assert anyio.run(store.user_by_api_key_hash, hash_api_key(key)) is None
    finally:
        store.close()


@pytest.mark.parametrize(
    "args",
    [
        ("users", "set-roles", "nobody", "Ops"),
        ("users", "remove", "nobody"),
        ("apikeys", "list", "nobody"),
    ],
)
def test_an_unknown_user_is_one_line_and_exit_1(db: str, args: tuple[str, ...]) -> None:
    fails(db, *args, message="no user named 'nobody'")


def test_set_password_needs_a_password_on_stdin(db: str) -> None:
    ok(db, "users", "add", "bob")
    done = run("--db", db, "users", "set-password", "bob")
    assert done.returncode == 2 and "--password-stdin" in done.stderr  # a usage error: the flag is required
    done = run("--db", db, "users", "set-password", "bob", "--password-stdin", stdin="\n")
    assert done.returncode == 1 and done.stderr == "evo-gateway: error: --password-stdin: no password on stdin\n"
    done = run("--db", db, "users", "set-password", "nobody", "--password-stdin", stdin="pw\n")
    assert done.returncode == 1 and "no user named 'nobody'" in done.stderr


@pytest.mark.parametrize("command", [("users", "add", "eve", "--role"), ("users", "set-roles", "eve")])
@pytest.mark.parametrize("role", ["systemadministrator", "SYSTEMADMINISTRATOR", "Systemadministrator"])
def test_the_admin_role_in_another_case_is_refused_naming_the_spelling(
    db: str, command: tuple[str, ...], role: str
) -> None:
    if command[1] == "set-roles":
        ok(db, "users", "add", "eve")
    fails(db, *command, role, message=f"role {role!r} is spelt 'SystemAdministrator'")
    listed = ok(db, "users", "list")
    assert "SystemAdministrator" not in listed and role not in listed  # nothing was granted


def test_an_unknown_role_is_granted_with_a_warning(db: str) -> None:
    done = run("--db", db, "users", "add", "eve", "--role", "Ops", "--role", "SystemAdministrator")
    assert done.returncode == 0 and HEX_ID.fullmatch(done.stdout.strip())
    assert done.stderr.startswith("evo-gateway: warning: role 'Ops' ") and done.stderr.count("\n") == 1
    assert "SystemAdministrator" in done.stderr  # it names the role that does something
    done = run("--db", db, "users", "set-roles", "eve", "Clerk")
    assert done.returncode == 0 and "role 'Clerk'" in done.stderr
    quiet = run("--db", db, "users", "set-roles", "eve", "SystemAdministrator")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert ok(db, "users", "list").split("\t")[2] == "SystemAdministrator"


def test_apikeys_create_list_and_revoke(db: str) -> None:
    ok(db, "users", "add", "admin", "--role", "SystemAdministrator")
    ok(db, "users", "add", "bob")
    deploy = ok(db, "apikeys", "create", "admin", "--label", "ci deploy")
    assert deploy.startswith("ak_") and deploy.count("\n") == 1  # only the key, as before labels
    deploy = deploy.strip()
    laptop = ok(db, "apikeys", "create", "ADMIN").strip()
    bobs = ok(db, "apikeys", "create", "bob", "--label", "bob's").strip()

    rows = [line.split("\t") for line in ok(db, "apikeys", "list").splitlines()]
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("admin", "ci deploy", "never"),
        ("admin", "-", "never"),
        ("bob", "bob's", "never"),
    ]
    assert all(HEX_ID.fullmatch(r[0]) and r[3].endswith("Z") for r in rows)
    listed = ok(db, "apikeys", "list", "--json")
    assert deploy not in listed and hash_api_key(deploy) not in listed  # neither the key nor its digest
    documents = json.loads(listed)
    assert [sorted(d) for d in documents] == [["createdAt", "id", "label", "lastUsedAt", "userName"]] * 3
    assert [d["id"] for d in documents] == [r[0] for r in rows]
    assert [d["label"] for d in json.loads(ok(db, "apikeys", "list", "admin", "--json"))] == ["ci deploy", None]

    # By id from the list, then by the key itself; it prints the id it revoked.
    assert ok(db, "apikeys", "revoke", rows[0][0]) == f"{rows[0][0]}\n"
    assert ok(db, "apikeys", "revoke", laptop) == f"{rows[1][0]}\n"
    assert [line.split("\t")[2] for line in ok(db, "apikeys", "list").splitlines()] == ["bob's"]
    store = open_store(db)
    try:
        assert anyio.run(store.user_by_api_key_hash, hash_api_key(deploy)) is None
        assert anyio.run(store.user_by_api_key_hash, hash_api_key(bobs)) is not None
    finally:
        store.close()
    fails(db, "apikeys", "revoke", rows[0][0], message=f"no API key has id {rows[0][0]!r}")
    done = run("--db", db, "apikeys", "revoke", laptop)
    assert done.returncode == 1 and laptop not in done.stderr  # a key is never echoed


def test_a_keys_last_use_shows_to_the_minute(db: str) -> None:
    ok(db, "users", "add", "admin", "--role", "SystemAdministrator")
    key = ok(db, "apikeys", "create", "admin").strip()
    store = open_store(db)
    try:
        # What a serving process does when it verifies the key (tests/gateway/test_auth.py).
        anyio.run(store.record_api_key_use, hash_api_key(key), "2026-11-24T10:07Z")
    finally:
        store.close()
    (row,) = [line.split("\t") for line in ok(db, "apikeys", "list").splitlines()]
    assert row[4] == "2026-11-24T10:07Z" and MINUTE.fullmatch(row[4])
    assert json.loads(ok(db, "apikeys", "list", "--json"))[0]["lastUsedAt"] == "2026-11-24T10:07Z"


@pytest.mark.parametrize(
    "args",
    [
        ("apikeys", "create", "admin", "--label", ""),
        ("apikeys", "create", "admin", "--label", "two\nlines"),
        ("users", "set-roles", "a:b"),
        ("users", "set-roles", "bob", ""),
        ("users", "remove", " "),
    ],
)
def test_invalid_arguments_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    done = run("--db", db, *args)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert not (tmp_path / "cli.db").exists()  # refused before the database was opened
