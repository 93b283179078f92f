"""The `evo-gateway` command as automation runs it: a subprocess, stdout holding only the result,
one-line errors with a non-zero exit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from gateway.apikeys import hash_api_key
from gateway.store import open_store

REPO = Path(__file__).resolve().parents[2]
HEX_ID = re.compile(r"[0-9a-f]{32}")


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "codecs"), full_env.get("PYTHONPATH", "")])
    full_env.pop("EVO_GATEWAY_DB", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=60
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_seeding_prints_only_ids_and_the_key(db: str) -> None:
    account = run("--db", db, "accounts", "add", "Acme Voice")
    assert account.returncode == 0 and HEX_ID.fullmatch(account.stdout.strip()) and account.stdout.count("\n") == 1

    user = run(
        "--db",
        db,
        "users",
        "add",
        "admin",
        "--role",
        "SystemAdministrator",
        "--role",
        "Ops",
        "--password-stdin",
        stdin="pa ss\nignored second line\n",
    )
    assert user.returncode == 0 and HEX_ID.fullmatch(user.stdout.strip())

    key = run("--db", db, "apikeys", "create", "admin")
    assert key.returncode == 0 and key.stdout.strip().startswith("ak_") and key.stdout.count("\n") == 1

    store = open_store(db)
    try:
        found = anyio.run(store.user_by_name, "admin")
        assert found is not None
        record, password_hash = found
        assert record.id == user.stdout.strip() and set(record.roles) == {"SystemAdministrator", "Ops"}
        assert password_hash is not None and password_hash.startswith("scrypt$")
        by_key = anyio.run(store.user_by_api_key_hash, hash_api_key(key.stdout.strip()))
        assert by_key is not None and by_key.id == record.id
    finally:
        store.close()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ([("accounts", "add", "Acme")], ("accounts", "add", "Acme"), "already exists"),
        ([("users", "add", "bob")], ("users", "add", "bob"), "already exists"),
        ([], ("apikeys", "create", "nobody"), "no user named 'nobody'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_1(
    db: str, setup: list[tuple[str, ...]], args: tuple[str, ...], message: str
) -> None:
    for step in setup:
        assert run("--db", db, *step).returncode == 0
    done = run("--db", db, *args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr and done.stderr.startswith("evo-gateway: error:")


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-dir/x.db", "postgresql://localhost/nothing"])
def test_unreachable_database_is_one_line_and_exit_1(url: str) -> None:
    done = run("--db", url, "accounts", "add", "Acme")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "database" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("accounts", "add", ""),
        ("accounts", "add", "   "),
        ("users", "add", "two\nlines"),
        ("users", "add", "a:b"),
        ("users", "add", "ok", "--role", ""),
        ("serve", "--port", "99999"),
        ("serve", "--port", "http"),
        ("serve", "--max-body-bytes", "-5"),
        ("serve", "--shutdown-timeout", "soon"),
        ("serve", "--auth-cache-seconds", "31"),  # the documented revocation bound is 30 s at most
    ],
)
def test_invalid_arguments_are_one_line_and_non_zero_and_change_nothing(db: str, args: tuple[str, ...]) -> None:
    done = run("--db", db, *args)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "error: argument" in done.stderr
    assert not Path(db.removeprefix("sqlite:///")).exists()  # refused before the database was opened


def test_a_password_that_is_not_utf8_is_one_line_and_exit_1(db: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--db", db, "users", "add", "eve", "--password-stdin"],
        input=b"a\xff\n",
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr == b"evo-gateway: error: --password-stdin: the password is not UTF-8 text\n"


def test_empty_password_on_stdin_is_refused(db: str) -> None:
    done = run("--db", db, "users", "add", "bob", "--password-stdin", stdin="\n")
    assert done.returncode == 1 and "no password" in done.stderr


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "env.db"
    done = run("accounts", "add", "Acme", env={"EVO_GATEWAY_DB": f"sqlite:///{target}"})
    assert done.returncode == 0 and target.exists()


def test_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    full_env = dict(os.environ)
    full_env.pop("EVO_GATEWAY_DB", None)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "codecs")])
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "accounts", "add", "Acme"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
    assert done.returncode == 0 and (tmp_path / "evo-gateway.db").exists()


def test_usage_errors_are_one_line_and_non_zero() -> None:
    done = run("frobnicate")
    assert done.returncode != 0 and done.stderr.count("\n") == 1


def test_convert_reencodes_stdin(db: str) -> None:
    done = run(
        "convert",
        "--from",
        "json",
        "--to",
        "json",
        "--type",
        "PatchAISession",
        stdin='{"PURPOSE":"sales","sessionId":"s1","unknown":1}',
    )
    assert done.returncode == 0 and done.stdout == '{"sessionId":"s1","purpose":"sales"}\n'


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--from", "json", "--to", "json", "--type", "PatchAISession"), "{not json", "cannot decode"),
        (("--from", "yaml", "--to", "json", "--type", "PatchAISession"), "{}", "unknown format"),
        (("--from", "json", "--to", "json", "--type", "Nope"), "{}", "unknown DTO type"),
    ],
)
def test_convert_errors_exit_1(args: tuple[str, ...], stdin: str, message: str) -> None:
    done = run("convert", *args, stdin=stdin)
    assert done.returncode == 1 and message in done.stderr and done.stdout == ""


CONVERT_JSON = ("convert", "--from", "json", "--to", "json")


@pytest.mark.parametrize("stdin", ["", "  \n", "\ufeff\n"])
def test_convert_of_empty_input_says_so(stdin: str) -> None:
    done = run(*CONVERT_JSON, "--type", "PatchAISession", stdin=stdin)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "evo-gateway: error: empty input: there is no document on stdin to convert\n"


def test_convert_warns_when_the_type_matches_nothing_in_the_input() -> None:
    document = '{"accountId":"a1","purpose":"sales"}'  # a NewAISession, converted as GetAISession
    done = run(*CONVERT_JSON, "--type", "GetAISession", stdin=document)
    assert done.returncode == 0 and done.stdout == "{}\n"
    assert done.stderr == (
        "evo-gateway convert: warning: the json input sets no member of GetAISession (members: sessionId);"
        " is --type the document's type? Writing its defaults.\n"
    )
    strict = run(*CONVERT_JSON, "--type", "GetAISession", "--strict", stdin=document)
    assert strict.returncode == 1 and strict.stdout == ""
    assert "error: the json input sets no member of GetAISession" in strict.stderr


def test_convert_strict_passes_a_document_that_matches() -> None:
    done = run(*CONVERT_JSON, "--type", "NewAISession", "--strict", stdin='{"purpose":"sales"}')
    assert done.returncode == 0 and done.stdout == '{"purpose":"sales"}\n' and done.stderr == ""


@pytest.mark.parametrize(
    ("source", "target", "stdin", "expected"),
    [
        ("json", "jsv", '{"sessionId":"s1","purpose":"a, b"}', '{sessionId:s1,purpose:"a, b"}\n'),
        ("jsv", "csv", '{sessionId:s1,purpose:"a, b"}', 'SessionId,Purpose\r\ns1,"a, b"\r\n'),
        ("csv", "json", 'SessionId,Purpose\r\ns1,"a, b"\r\n', '{"sessionId":"s1","purpose":"a, b"}\n'),
    ],
)
def test_convert_between_registered_formats(source: str, target: str, stdin: str, expected: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "codecs")])
    # Bytes, not text: CSV's CRLF row ends must reach the test untranslated.
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "convert", "--from", source, "--to", target, "--type", "PatchAISession"],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected.encode()


def test_convert_into_a_reader_that_stops_early_is_quiet() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
    document = b'{"sessionId":"x","purpose":"' + b"y" * 300_000 + b'"}'
    convert = subprocess.Popen(
        [sys.executable, "-m", "gateway", "convert", "--from", "json", "--to", "jsv", "--type", "PatchAISession"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert convert.stdin is not None and convert.stdout is not None and convert.stderr is not None
    convert.stdin.write(document)
    convert.stdin.close()
    assert convert.stdout.read(20) == b"{sessionId:x,purpose"
    convert.stdout.close()  # as `| head -c 20` does
    assert convert.wait(timeout=60) == 0
    with convert.stderr:
        assert convert.stderr.read() == b""


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_seeding_works_on_postgresql_through_the_environment(pg_url: str, scheme: str) -> None:
    env = {"EVO_GATEWAY_DB": pg_url.replace("postgresql://", scheme, 1)}
    account = run("accounts", "add", "Acme Voice", env=env)
    assert account.returncode == 0 and HEX_ID.fullmatch(account.stdout.strip()), account.stderr
    user = run("users", "add", "admin", "--role", "SystemAdministrator", "--password-stdin", stdin="pw\n", env=env)
    assert user.returncode == 0 and HEX_ID.fullmatch(user.stdout.strip()), user.stderr
    key = run("apikeys", "create", "ADMIN", env=env)  # user names are case-insensitive, as on SQLite
    assert key.returncode == 0, key.stderr
    again = run("users", "add", "Admin", env=env)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "already exists" in again.stderr

    store = open_store(pg_url)
    try:
        found = anyio.run(store.user_by_api_key_hash, hash_api_key(key.stdout.strip()))
        assert found is not None and found.id == user.stdout.strip()
        assert store.account_exists(account.stdout.strip())
    finally:
        store.close()


@pytest.mark.parametrize(
    "args",
    [
        ("--db", "postgresql://gw@127.0.0.1:9/evo", "accounts", "list"),
        ("--db", "postgres://gw@127.0.0.1:9/evo", "apikeys", "list"),
        ("serve", "--port", "0"),  # the URL from EVO_GATEWAY_DB
    ],
)
def test_without_the_postgres_extra_every_command_says_what_to_install(tmp_path: Path, args: tuple[str, ...]) -> None:
    # As if psycopg were not installed: a module of that name first on the path refuses to import.
    (tmp_path / "psycopg.py").write_text("raise ImportError('No module named psycopg')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO), str(REPO / "codecs")])}
    done = run(*args, env={**env, "EVO_GATEWAY_DB": "postgresql://gw@127.0.0.1:9/evo"})
    assert done.returncode == 1, done
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'evo-gateway[postgres]'" in lines[0], done.stderr
