"""Runtime DDL for user tables through Alembic ``Operations`` (batch mode on SQLite).

Only this module issues CREATE/ALTER/DROP for ``t_*`` and ``l_*`` tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from tessera.fields.sqltypes import UtcDateTime
from tessera.schema.naming import index_name, junction_name, table_name

__all__ = ["create_user_table", "drop_user_table", "add_column", "drop_column",
           "rename_column", "create_junction", "drop_junction", "create_index_if_missing",
           "drop_indexes_on", "PG_FILLFACTOR"]

PG_FILLFACTOR = 70


def _ops(conn: Connection) -> Operations:
    return Operations(MigrationContext.configure(conn))


def create_user_table(conn: Connection, table_id: int) -> None:
    name = table_name(table_id)
    _ops(conn).create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    if conn.dialect.name == "postgresql":
        # room on each page for HOT updates of materialized formula columns
        conn.exec_driver_sql(f"ALTER TABLE {name} SET (fillfactor = {PG_FILLFACTOR})")


def drop_user_table(conn: Connection, table_id: int) -> None:
    _ops(conn).drop_table(table_name(table_id))


def add_column(conn: Connection, table_id: int, column: str,
               sql_type: sa.types.TypeEngine[Any]) -> None:
    _ops(conn).add_column(table_name(table_id), sa.Column(column, sql_type, nullable=True))


def drop_column(conn: Connection, table_id: int, column: str) -> None:
    drop_indexes_on(conn, table_id, column)
    with _ops(conn).batch_alter_table(table_name(table_id), recreate="never") as batch:
        batch.drop_column(column)


def rename_column(conn: Connection, table_id: int, old: str, new: str) -> None:
    with _ops(conn).batch_alter_table(table_name(table_id), recreate="never") as batch:
        batch.alter_column(old, new_column_name=new)


def create_junction(conn: Connection, owner_field_id: int, src_table_id: int,
                    dst_table_id: int) -> None:
    name = junction_name(owner_field_id)
    ops = _ops(conn)
    ops.create_table(
        name,
        sa.Column("src_id", sa.Integer, nullable=False),
        sa.Column("dst_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["src_id"], [f"{table_name(src_table_id)}.id"],
                                ondelete="CASCADE", name=f"fk_{name}_src"),
        sa.ForeignKeyConstraint(["dst_id"], [f"{table_name(dst_table_id)}.id"],
                                ondelete="CASCADE", name=f"fk_{name}_dst"),
    )
    ops.create_index(f"ux_{name}_src_dst", name, ["src_id", "dst_id"], unique=True)
    ops.create_index(f"ix_{name}_dst_src", name, ["dst_id", "src_id"])


def drop_junction(conn: Connection, owner_field_id: int) -> None:
    _ops(conn).drop_table(junction_name(owner_field_id))


def create_index_if_missing(conn: Connection, table_id: int, columns: list[str]) -> str:
    name = index_name(table_id, columns)
    existing = {ix["name"] for ix in sa.inspect(conn).get_indexes(table_name(table_id))}
    if name not in existing:
        _ops(conn).create_index(name, table_name(table_id), columns)
    return name


def drop_indexes_on(conn: Connection, table_id: int, column: str) -> None:
    """Drop every sort index that uses ``column`` (SQLite refuses to drop indexed columns)."""
    for ix in sa.inspect(conn).get_indexes(table_name(table_id)):
        if column in ix["column_names"] and ix["name"]:
            _ops(conn).drop_index(ix["name"], table_name=table_name(table_id))
