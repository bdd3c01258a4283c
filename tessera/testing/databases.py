"""Throwaway migrated databases for tests: a SQLite file or a fresh PostgreSQL database on a
test server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["fresh_pg_database", "drop_pg_database", "migrated_engine"]


def fresh_pg_database(server_url: str, prefix: str = "t_") -> tuple[str, Engine, str]:
    """CREATE DATABASE on the server: (its URL, an autocommit admin engine, its name)."""
    name = prefix + uuid.uuid4().hex[:12]
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, admin, name


def drop_pg_database(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@contextmanager
def migrated_engine(backend: str, *, sqlite_dir: Path, pg_server_url: str | None = None,
                    prefix: str = "t_") -> Iterator[Engine]:
    """A Tessera engine on a new, migrated database of ``backend`` (sqlite or postgresql)."""
    from tessera.db import create_engine
    from tessera.migrate import upgrade

    if backend == "sqlite":
        eng = create_engine(f"sqlite:///{sqlite_dir / 'tessera.db'}")
        upgrade(eng)
        try:
            yield eng
        finally:
            eng.dispose()
        return
    assert pg_server_url is not None, "a PostgreSQL server URL is needed"
    url, admin, name = fresh_pg_database(pg_server_url, prefix)
    eng = create_engine(url)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        drop_pg_database(admin, name)
