"""Installs the Excel primitives (``tx_*``) on PostgreSQL as PL/pgSQL functions.

The definitions live in ``tessera/formula/pg/*.sql`` (``CREATE OR REPLACE FUNCTION``, so
installing twice is harmless); the Alembic migrations and ``evaluate_sql`` call
:func:`install_pg_functions`."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.engine import Connection

__all__ = ["pg_function_sql", "install_pg_functions"]


def pg_function_sql() -> list[tuple[str, str]]:
    """(file name, SQL text) of every definition file, in name order."""
    folder = resources.files("tessera.formula") / "pg"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def install_pg_functions(connection: Connection) -> None:
    for _name, sql in pg_function_sql():
        connection.exec_driver_sql(sql)
