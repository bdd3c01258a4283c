"""Several computed fields of one table, for a few records, written by one prepared UPDATE.

After one record change the single-record path wrote every dependent field with an UPDATE of
its own: a visit insert in the clinic pack ran six (four rollups, then 价值分级 and
客户标签), each one statement for the database to run (and a round trip on PostgreSQL).
Fields of one table in one dependency level (none reads another of them), recomputed for the
same few records, are written here by one statement: each record is rewritten at most once
per level, where its values or error codes differ (``IS DISTINCT FROM``).

The statement returns the records on which any of the fields changed, so propagation counts
each field of the group as changed there: a superset of the exact sets. A dependent may then
recompute a record whose inputs did not change; its values come out the same and nothing is
written. The statements are compiled once per schema state and shape, as in
materialize.single_record_statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.compute.definitions import Definition
from tessera.compute.materialize import (
    SMALL,
    CalcColumns,
    Clock,
    _clock_key,
    compiled_raw,
    joined,
    typed_expression,
)
from tessera.compute.prepared import PreparedSql
from tessera.compute.schema_adapter import current_row
from tessera.compute.shapes import SHAPES, shape_of
from tessera.schema.catalog import Catalog, TableInfo, sa_table

__all__ = ["materialize_few", "few_statement"]


def materialize_few(conn: Connection, cat: Catalog, table: TableInfo, definitions: Sequence[Definition],
                    rows: frozenset[int], at: Clock) -> frozenset[int]:
    """Recompute ``definitions`` (active, ranking no column, none reading another of them) for
    ``rows`` (at most materialize.SMALL ids) with one UPDATE; the records where any changed.
    Raises FormulaError, before writing anything, when one of them does not compile."""
    ids = sorted(rows)
    assert 0 < len(ids) <= SMALL
    prepared = few_statement(conn, cat, table, definitions, len(ids), at)
    return frozenset(prepared.scalars(conn, {f"rid{k}": i for k, i in enumerate(ids)}))


def few_statement(conn: Connection, cat: Catalog, table: TableInfo, definitions: Sequence[Definition],
                  count: int, at: Clock) -> PreparedSql:
    """The prepared UPDATE of :func:`materialize_few` for ``count`` ids (``rid0``…), compiled
    once per schema state and, across schema states, per shape (also by warmup.py)."""
    key = ("update-few", conn.dialect.name, count,
           tuple((d.field_id, d.expression, d.result_type, _clock_key(d.expression or "", at))
                 for d in definitions))
    names = tuple(f"rid{k}" for k in range(count))
    build = partial(SHAPES.get, (shape_of(conn, cat, table), *key),
                    partial(_prepared, conn, cat, table, tuple(definitions), names, at))
    return cat.memo(key, build)


def _prepared(conn: Connection, cat: Catalog, table: TableInfo, definitions: tuple[Definition, ...],
              names: tuple[str, ...], at: Clock) -> PreparedSql:
    t = sa_table(table)
    ids = [sa.bindparam(name, type_=sa.Integer) for name in names]
    cur = current_row(conn, table, lambda src: src.c.id.in_(ids))
    calc = CalcColumns(cur.c.id)  # (value and error once per record, see materialize.CalcColumns)
    joins: list[tuple[Any, Any]] = []
    for definition in definitions:
        expression = definition.expression
        assert expression is not None
        typed = cat.memo(("typed", definition.field_id), lambda e=expression: typed_expression(conn, table, e))
        value, error, _typed = compiled_raw(conn, table, expression, definition.result_type, cur, at,
                                            typed=typed, joins=joins)
        calc.add(conn, definition.field_id, definition.result_type, value, error)
    statement = calc.update(t, joined(cur, joins)).returning(t.c.id)
    return PreparedSql.of(statement, conn.dialect, names)
