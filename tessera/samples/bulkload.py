"""Fast physical writes for generators: rows straight into a user table's columns and
junctions (executemany on SQLite, COPY on PostgreSQL), with explicit ids so links can be
written without reading anything back.

This bypasses RecordService on purpose: no history rows, no per-call recompute, no outbox.
A generator calls :func:`finish` afterwards, which recomputes every computed field once and
takes the "becomes true" baselines, exactly as a bulk import without ``--run-automations``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import schema_ops as schema
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import TableInfo

__all__ = ["next_id", "insert_rows", "insert_links", "finish"]

CHUNK = 20_000


def next_id(conn: Connection, table: TableInfo) -> int:
    t = schema.sa_table(table)
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()) + 1


def _copy(conn: Connection, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(conn: Connection, table: TableInfo, names: Sequence[str],
                rows: Sequence[Sequence[Any]], first_id: int) -> None:
    """Insert ``rows`` (values in the order of field ``names``) with ids from ``first_id``."""
    t = schema.sa_table(table)
    columns = [table.field(n).column for n in names]
    now = utcnow()
    if conn.dialect.name == "postgresql":
        _copy(conn, t.name, ["id", "created_at", "updated_at", *columns],
              ([first_id + i, now, now, *row] for i, row in enumerate(rows)))
        conn.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(t.name, "id"),
                                              first_id + len(rows) - 1)))
        return
    for start in range(0, len(rows), CHUNK):
        payload = [{"id": first_id + i, "created_at": now, "updated_at": now,
                    **dict(zip(columns, row, strict=True))}
                   for i, row in enumerate(rows[start:start + CHUNK], start)]
        conn.execute(sa.insert(t), payload)


def insert_links(conn: Connection, table: TableInfo, link_name: str,
                 pairs: Sequence[tuple[int, int]]) -> None:
    """Junction rows (record of ``table``, linked record) for link field ``link_name``."""
    junction, own, other = schema.junction_table(table.field(link_name))
    if conn.dialect.name == "postgresql":
        _copy(conn, junction.name, [own, other], pairs)
        return
    for start in range(0, len(pairs), CHUNK):
        conn.execute(sa.insert(junction), [{own: a, other: b} for a, b in pairs[start:start + CHUNK]])


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
