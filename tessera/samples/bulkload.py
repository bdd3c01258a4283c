"""Fast physical writes for generators: columns straight into a user table and its
junctions through the driver-level column path (tessera/bulkwrite.py: one executemany on
SQLite, binary COPY on PostgreSQL, each column converted once), with explicit ids so links can
be written without reading anything back.

This bypasses RecordService on purpose: no parsing (a generator writes values already in stored
form: dates, floats, bools, user ids, label lists for multi-selects), no history rows, no
per-call recompute, no outbox. A generator calls :func:`finish` afterwards, which recomputes
every computed field once and takes the "becomes true" baselines, exactly as a bulk import
without ``--run-automations``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import schema_ops as schema
from tessera.bulkwrite import Constant, copy_columns, insert_columns
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import TableInfo

__all__ = ["next_id", "insert_columns_with_ids", "insert_link_columns", "finish"]


def next_id(conn: Connection, table: TableInfo) -> int:
    t = schema.sa_table(table)
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()) + 1


def _write(conn: Connection, t: sa.Table, columns: Sequence[str],
           values: Sequence[Sequence[Any] | Constant], rows: int) -> None:
    if conn.dialect.name == "postgresql":
        copy_columns(conn, t, columns, values, rows)
    else:
        insert_columns(conn, t, columns, values, rows)


def insert_columns_with_ids(conn: Connection, table: TableInfo, names: Sequence[str],
                            columns: Sequence[Sequence[Any]], first_id: int) -> None:
    """Insert rows given per column (``columns[i]`` holds the stored values of field
    ``names[i]``) with ids ``first_id``, ``first_id + 1``, …"""
    rows = len(columns[0]) if columns else 0
    if not rows:
        return
    t = schema.sa_table(table)
    fields = [table.field(n).column or "" for n in names]
    now = utcnow()
    _write(conn, t, ["id", "created_at", "updated_at", *fields],
           [range(first_id, first_id + rows), Constant(now), Constant(now), *columns], rows)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(t.name, "id"),
                                              first_id + rows - 1)))


def insert_link_columns(conn: Connection, table: TableInfo, link_name: str,
                        own: Sequence[int], other: Sequence[int]) -> None:
    """Junction rows (``own[k]`` of ``table`` → ``other[k]`` of the linked table) for link
    field ``link_name``."""
    if not own:
        return
    junction, own_column, other_column = schema.junction_table(table.field(link_name))
    _write(conn, junction, [own_column, other_column], [own, other], len(own))


def finish(conn: Connection, tables: Sequence[TableInfo]) -> None:
    """Recompute every computed field of ``tables`` in one plan (each field once, in
    dependency order, instead of one cascade per table), then take the baseline of every
    enabled "becomes true" automation on them, so loaded data does not fire as if it had
    just changed."""
    from tessera.compute import load_graph
    from tessera.compute.materialize import ALL_ROWS
    from tessera.compute.propagate import Plan, run

    _analyze(conn, tables)
    graph = load_graph(conn)
    wanted = {t.id for t in tables}
    plan = Plan()
    plan.force([d.field_id for d in graph.definitions.values() if d.table_id in wanted], ALL_ROWS)
    run(conn, plan, graph=graph)
    _baseline(conn, [t.id for t in tables])


def _analyze(conn: Connection, tables: Sequence[TableInfo]) -> None:
    """PostgreSQL: no JIT for the rest of the load's transaction, and fresh statistics for the loaded tables and their junctions. Without them
    the planner sees empty tables and answers every rollup with a sequential scan of the
    junction per record (quadratic: minutes at ten thousand customers)."""
    if conn.dialect.name != "postgresql":
        return
    # JIT compiles each recompute statement again (0.2 s each, 7× the whole load at 3,000
    # customers); the load is one transaction, so switch it off for that transaction only.
    conn.exec_driver_sql("SET LOCAL jit = off")
    names = set()
    for table in tables:
        names.add(schema.table_name(table.id))
        for f in table.fields:
            if f.type == "link":
                names.add(schema.junction_table(f)[0].name)
    for name in sorted(names):
        conn.exec_driver_sql(f"ANALYZE {name}")


def _baseline(conn: Connection, table_ids: Sequence[int]) -> None:
    try:
        from tessera.workflow.models import AUTOMATIONS
        from tessera.workflow.triggers import baseline_condition
    except ImportError:
        return
    rows = conn.execute(sa.select(AUTOMATIONS).where(
        AUTOMATIONS.c.table_id.in_(list(table_ids)), AUTOMATIONS.c.enabled.is_(True),
        AUTOMATIONS.c.trigger_type == "condition_true")).all()
    for automation in rows:
        baseline_condition(conn, automation)
