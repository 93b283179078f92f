from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gateway.store import StoreUnavailable, open_store, sqlite_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///evo-gateway.db", "evo-gateway.db"),
        ("sqlite:///data/x.db", "data/x.db"),
        ("sqlite:////var/lib/x.db", "/var/lib/x.db"),
    ],
)
def test_sqlite_urls_name_relative_and_absolute_files(url: str, path: str) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["postgresql://localhost/db", "sqlite://", "sqlite:///", "evo.db", ""])
def test_other_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(StoreUnavailable):
        sqlite_path(url)


def test_open_store_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    store = open_store(f"sqlite:///{target}")
    store.close()
    assert target.exists()


@pytest.mark.parametrize("url", ["postgresql://u@127.0.0.1:1/db", "postgres://u@127.0.0.1:1/db"])
def test_postgres_urls_without_the_extra_say_what_to_install(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if psycopg were not installed: a None entry makes its import raise ImportError.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "gateway.store.postgres", raising=False)
    with pytest.raises(StoreUnavailable, match=r"pip install 'evo-gateway\[postgres\]'"):
        open_store(url)
