"""Fixtures every test package may use: a real PostgreSQL server and a fresh database per test.

`EVO_GATEWAY_TEST_PG_URL` (a URL to a database on a server where the user may CREATE DATABASE)
points the tests at an existing server; otherwise a throwaway cluster is started once per run
from the installed PostgreSQL binaries. Without either, PostgreSQL tests skip, or fail under CI=1.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator

import pytest

from .pgcluster import PgCluster, create_database, drop_database, find_bindir

PG_URL_ENV = "EVO_GATEWAY_TEST_PG_URL"


def require_postgres_binaries() -> PgCluster:
    """A new stopped cluster, or skip (fail under CI) when PostgreSQL is not installed."""
    bindir = find_bindir()
    reason = None
    if bindir is None:
        reason = "PostgreSQL is not installed (no initdb; apt-get install postgresql, or set EVO_GATEWAY_TEST_PG_URL)"
    elif os.geteuid() == 0 and not _has_user("postgres"):
        reason = "running as root with no 'postgres' user to run the cluster as (PostgreSQL refuses root)"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert bindir is not None
    return PgCluster(bindir)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL on a running PostgreSQL server where databases may be created."""
    given = os.environ.get(PG_URL_ENV)
    if given:
        yield given
        return
    cluster = require_postgres_binaries()
    try:
        cluster.start()
        yield cluster.admin_url
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)
