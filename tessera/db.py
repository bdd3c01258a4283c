"""Database URLs and engines: SQLite (embedded default, WAL) and PostgreSQL."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["DEFAULT_URL", "database_url", "create_engine", "on_sqlite_connect"]

DEFAULT_URL = "sqlite:///tessera.db"

_sqlite_hooks: list[Callable[[Any], None]] = []


def on_sqlite_connect(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register ``hook(dbapi_connection)`` to run on every new SQLite connection
    (used to install the deterministic SQL functions formulas need)."""
    if hook not in _sqlite_hooks:
        _sqlite_hooks.append(hook)
    return hook


def database_url(explicit: str | None = None) -> str:
    """The URL from ``--db``, else ``TESSERA_DATABASE_URL``, else ``tessera.db`` here."""
    url = explicit or os.environ.get("TESSERA_DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` with Tessera's connection settings applied."""
    url = database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=url in ("sqlite://", "sqlite:///:memory:"))
        return engine
    if url.startswith("postgresql"):
        # JIT compiles every large statement it plans (≈0.2 s each measured here); Tessera's
        # statements are many, short-lived and generated, so JIT costs far more than it saves.
        args = kwargs.setdefault("connect_args", {})
        args["options"] = (args.get("options", "") + " -c jit=off").strip()
    return sa.create_engine(url, **kwargs)


def _sql_floor(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return x
    return float(math.floor(x))


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    # Importing the formula runtime registers its SQLite functions through on_sqlite_connect.
    import tessera.formula.sqlite_functions  # noqa: F401

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy manage transactions (BEGIN emitted explicitly below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()
        for hook in _sqlite_hooks:
            hook(dbapi_connection)
        # SQLAlchemy's pysqlite dialect installs Python's math.floor as floor(), which returns an
        # int and raises on NULL; SQLite's own floor() returns REAL and NULL for NULL.
        dbapi_connection.create_function("floor", 1, _sql_floor, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writing transactions (tessera.schema.catalog.transaction(write=True)) take the write
        # lock at BEGIN so they never fail on a snapshot another writer made stale.
        write = conn.get_execution_options().get("tessera_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
