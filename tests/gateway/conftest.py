"""Shared fixtures: a real SQLite file per test, seeded with an account, an admin and a plain user."""

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
from gateway.store import SqliteStore, open_store

ADMIN_PASSWORD = "admin-pass-1"
USER_PASSWORD = "user-pass-1"
# scrypt is slow on purpose: hash once per test run, not once per test.
_ADMIN_HASH = hash_password(ADMIN_PASSWORD)
_USER_HASH = hash_password(USER_PASSWORD)


@dataclass
class World:
    store: SqliteStore
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


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db_url = f"sqlite:///{tmp_path / 'gateway.db'}"
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
