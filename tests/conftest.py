"""Shared fixtures: every storage and formula test runs on SQLite and PostgreSQL.

``backend_url`` gives each test a fresh, empty database on each backend. PostgreSQL comes
from ``TESSERA_TEST_PG_URL`` (a server URL whose user may create databases) or, by default,
from a throwaway cluster this session starts and stops. ``TESSERA_TEST_BACKENDS=sqlite``
narrows a local run to SQLite; CI always runs both (the README's test command).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Web apps made by tests run automations only where a test starts a worker itself.
os.environ.setdefault("TESSERA_EMBEDDED_WORKER", "0")

# Suites create many users: still Argon2id, with test-sized cost (tessera/auth/passwords.py).
from tessera.auth.passwords import use_profile  # noqa: E402
from tessera.testing.databases import drop_pg_database, fresh_pg_database  # noqa: E402

use_profile("test")

BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server (its ``postgres`` database) for this test session."""
    url = os.environ.get("TESSERA_TEST_PG_URL")
    if url:
        yield url
        return
    from tessera.testing.pgcluster import PgCluster

    with PgCluster() as cluster:
        yield cluster.url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend name, ``sqlite`` or ``postgresql``."""
    return request.param


@pytest.fixture
def backend_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database URL on the current backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("pg_server_url")
    url, admin, name = fresh_pg_database(server)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)


@pytest.fixture(scope="session")
def pg_session_url(pg_server_url: str) -> Iterator[str]:
    """One PostgreSQL database shared by a whole session (for read-only or temp-table tests)."""
    url, admin, name = fresh_pg_database(pg_server_url)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)
