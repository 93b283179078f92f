"""Shared fixtures: a real database per test (a SQLite file; a fresh PostgreSQL database too for the
modules in BOTH_STORES), seeded with an account, an admin and a plain user."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.operations import SYSTEM_ADMINISTRATOR
from gateway.passwords import hash_password
from gateway.store import Store, is_postgres_url, open_store

ADMIN_PASSWORD = "admin-pass-1"
USER_PASSWORD = "user-pass-1"
# scrypt is slow on purpose: hash once per test run, not once per test.
_ADMIN_HASH = hash_password(ADMIN_PASSWORD)
_USER_HASH = hash_password(USER_PASSWORD)


@dataclass
class World:
    store: Store
    db_url: str
    account_id: str
    account_name: str
    admin_id: str
    admin_key: str
    user_id: str
    user_key: str

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def user(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user_key}"}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


#: HTTP, auth and service modules that run once per store (the whole suite runs on SQLite).
BOTH_STORES = frozenset(
    {
        "test_http_operations",
        "test_http_auth",
        "test_auth",
        "test_http_preconditions",
        "test_service",
        "test_timed_store",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" in metafunc.fixturenames and metafunc.module.__name__.rpartition(".")[2] in BOTH_STORES:
        metafunc.parametrize("store_kind", ["sqlite", "postgres"])


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture
def db_url(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if store_kind == "postgres":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'gateway.db'}"


def sql(world: World, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Change the database behind the service's back, as the CLI or another process would;
    `?` placeholders, rewritten for PostgreSQL."""
    if is_postgres_url(world.db_url):
        import psycopg

        with psycopg.connect(world.db_url) as pg:
            cursor = pg.execute(statement.replace("?", "%s").encode(), params)
            return cursor.fetchall() if cursor.description else []
    import sqlite3
    from contextlib import closing

    from gateway.store import sqlite_path

    with closing(sqlite3.connect(sqlite_path(world.db_url))) as conn, conn:
        return conn.execute(statement, params).fetchall()


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    store = open_store(db_url)
    account = store.add_account("Acme Voice")
    admin = store.add_user("admin", [SYSTEM_ADMINISTRATOR], _ADMIN_HASH)
    user = store.add_user("clerk", ["Clerk"], _USER_HASH)
    world = World(
        store=store,
        db_url=db_url,
        account_id=account.id,
        account_name=account.name,
        admin_id=admin.id,
        admin_key=store.add_api_key("admin"),
        user_id=user.id,
        user_key=store.add_api_key("clerk"),
    )
    try:
        yield world
    finally:
        store.close()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=world.db_url, max_body_bytes=64 * 1024), store=world.store)
    with TestClient(app) as test_client:
        yield test_client
