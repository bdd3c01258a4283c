"""Set-based writes of computed columns: one ``WITH calc AS MATERIALIZED (SELECT …) UPDATE … FROM calc`` per computed field
(per chunk of record ids when only some records are affected), never per-row Python.

The statement computes the formula over a derived table of the affected records (see
schema_adapter.current_row) and writes value and error code only where either differs from
what is stored (``IS DISTINCT FROM``), returning the ids it changed so that dependents
recompute exactly those records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import clock
from tessera.compute.cell_errors import with_cell_errors
from tessera.compute.column_functions import (
    column_functions,
    read_snapshots,
    rebuild_snapshots,
    snapshot_capable,
    uses_column_functions,
)
from tessera.compute.definitions import Definition
from tessera.compute.link_groups import LinkGroups
from tessera.compute.prepared import PreparedSql
from tessera.compute.references import clock_functions
from tessera.compute.schema_adapter import computed_columns, current_row, table_schema
from tessera.compute.shapes import SHAPES, shape_of
from tessera.fields.computed import error_column_name
from tessera.formula.checker import Typed, check
from tessera.formula.errors import FormulaError
from tessera.formula.parser import parse
from tessera.formula.sqlcompile import compile_sql, sql_to_type
from tessera.formula.sqlcore import SqlContext
from tessera.formula.types import FType
from tessera.schema.catalog import Catalog, TableInfo, catalog, sa_table
from tessera.schema.naming import column_name

__all__ = ["Clock", "AllRows", "ALL_ROWS", "Rows", "compiled_columns", "compiled_raw", "CalcColumns", "materialize",
           "grouped_statement",
           "materialize_together", "combinable", "single_record_statement", "warm", "write_broken", "result_kind",
           "BROKEN_CODE", "CHUNK"]

BROKEN_CODE = "#REF!"
CHUNK = 10000  # record ids per statement (SQLite allows 32766 bound parameters)


@dataclass(frozen=True)
class Clock:
    today: dt.date
    now: dt.datetime

    @classmethod
    def current(cls, today: dt.date | None = None) -> Clock:
        if today is None:
            return cls(clock.today(), clock.now())
        return cls(today, dt.datetime(today.year, today.month, today.day))


class AllRows:
    """Every record of a table (as opposed to a set of ids)."""

    def __repr__(self) -> str:
        return "ALL_ROWS"


ALL_ROWS = AllRows()
Rows = frozenset[int] | AllRows


def result_kind(t: FType) -> str:
    """The column kind for a formula's static result type (blank/error-only → text)."""
    return t.kind if t.kind in ("number", "text", "boolean", "date", "datetime") else "text"


def _storable(conn: Connection, value: Any, kind: str) -> Any:
    """A formula value in the representation of the field's column (see fields.sqltypes)."""
    if kind != "datetime":
        return value
    if conn.dialect.name == "postgresql":
        return sa.func.timezone("UTC", value)
    return sa.func.strftime("%Y-%m-%dT%H:%M:%SZ", value)


def typed_expression(conn: Connection, table: TableInfo, expression: str) -> Typed:
    """The checked id-form ``expression``, computed cells read with their error codes."""
    return with_cell_errors(check(parse(expression), table_schema(conn, table, by="id")), computed_columns(table))


def compiled_columns(conn: Connection, table: TableInfo, expression: str, result_type: str,
                     cur: Any, at: Clock, *, typed: Typed | None = None,
                     groups: LinkGroups | None = None,
                     joins: list[tuple[Any, Any]] | None = None) -> tuple[Any, Any, Typed]:
    """(value, error) SQL expressions of ``expression`` (or of its already ``typed`` tree)
    over the derived table ``cur``, the value converted to ``result_type`` and blank wherever
    there is an error. ``groups``: aggregates over links read grouped tables (link_groups.py).
    ``joins``: a list the compiler may add (table, ON clause) pairs to, which the caller then
    LEFT JOINs to ``cur`` (:func:`joined`); None: no joins.

    The value repeats the error expression (``CASE WHEN error IS NULL``): statements that
    write both read them from a materialized CTE instead (:func:`compiled_raw`, :func:`CalcColumns`)."""
    value, error, typed = compiled_raw(conn, table, expression, result_type, cur, at, typed=typed,
                                       groups=groups, joins=joins)
    if error is None:
        return value, sa.cast(sa.null(), sa.Text), typed
    return sa.case((error.is_(None), value)), error, typed


def compiled_raw(conn: Connection, table: TableInfo, expression: str, result_type: str,
                 cur: Any, at: Clock, *, typed: Typed | None = None,
                 groups: LinkGroups | None = None,
                 joins: list[tuple[Any, Any]] | None = None) -> tuple[Any, Any | None, Typed]:
    """As :func:`compiled_columns`, but the value is not blanked where there is an error (the
    compiled value is safe to compute on every row: evaluate_sql reads it so), and the error
    is None where the formula cannot have one."""
    schema = table_schema(conn, table, by="id")
    typed = typed or typed_expression(conn, table, expression)
    ctx = SqlContext(conn.dialect.name, schema, at.today, at.now, cur, groups=groups, joins=joins)
    sv = sql_to_type(ctx, compile_sql(ctx, typed), typed.type, FType(result_type))
    return sv.value, sv.error, typed


class CalcColumns:
    """The ``calc`` CTE of an UPDATE writing computed fields, and what it sets.

    Each field's raw value and error code are columns of the MATERIALIZED CTE, so each
    record's formula — the error expression included — is evaluated once; the outer UPDATE
    blanks the value where there is an error (a CASE on two columns) for its comparison
    (``IS DISTINCT FROM``) and its SET list. Blanking inside the CTE would evaluate the error
    expression twice per record (the planners do not share the common subexpression)."""

    def __init__(self, rid: Any) -> None:
        self.columns: list[Any] = [rid.label("rid")]
        self.targets: list[tuple[str, str, int, bool]] = []  # value column, error column, k, has error

    def add(self, conn: Connection, field_id: int, result_type: str, value: Any, error: Any | None) -> None:
        k = len(self.targets)
        e = error if error is not None else sa.cast(sa.null(), sa.Text)
        self.columns += [_storable(conn, value, result_type).label(f"v{k}"), e.label(f"e{k}")]
        col = column_name(field_id)
        self.targets.append((col, error_column_name(col), k, error is not None))

    def update(self, t: sa.Table, source: Any) -> Any:
        """``UPDATE t … FROM calc`` writing the records where a value or an error code differs."""
        calc = sa.select(*self.columns).select_from(source).cte("calc").prefix_with("MATERIALIZED")
        sets: dict[str, Any] = {}
        for col, err, k, has_error in self.targets:
            v, e = calc.c[f"v{k}"], calc.c[f"e{k}"]
            sets[col] = sa.case((e.is_(None), v)) if has_error else v
            sets[err] = e
        differs = [t.c[c].is_distinct_from(x) for c, x in sets.items()]
        return sa.update(t).add_cte(calc).where(t.c.id == calc.c.rid).where(sa.or_(*differs)).values(sets)


def joined(source: Any, joins: list[tuple[Any, Any]]) -> Any:
    """``source`` LEFT JOINed to the derived tables the compiler asked for."""
    for table, on in joins:
        source = source.outerjoin(table, on)
    return source


SMALL = 16  # up to this many ids, one prepared statement per count (see prepared.py)


def _clock_key(expression: str, at: Clock) -> Any:
    """The part of ``at`` that a statement compiled for ``expression`` depends on."""
    used = clock_functions(expression)
    if "NOW" in used:
        return (at.today, at.now)
    return at.today if used else None


def grouped_statement(conn: Connection, table: TableInfo, definition: Definition, at: Clock,
                      groups: LinkGroups, *, cat: Catalog | None = None) -> Any | None:
    """The full-recompute statement of ``definition`` reading its link aggregates from
    ``groups`` (registering them there), or None when it has none to group or ranks a column."""
    if not definition.expression:
        return None
    cat = cat or catalog(conn)
    expression = definition.expression
    typed = cat.memo(("typed", definition.field_id), lambda: typed_expression(conn, table, expression))
    if uses_column_functions(typed):
        return None
    statement = _statement(conn, sa_table(table), table, definition, None, at, typed, groups=groups)
    if not groups.used:
        return None
    groups.statements[definition.field_id] = (statement, groups.needed())
    return statement


def materialize(conn: Connection, table: TableInfo, definition: Definition, rows: Rows,
                at: Clock, *, cat: Catalog | None = None, groups: LinkGroups | None = None) -> Rows:
    """Recompute ``definition`` for ``rows`` of ``table``; the rows whose stored value changed.

    The typed tree and the statements are cached with the schema state (``cat``, the catalog
    ``table`` comes from): a record change costs the database work plus a dictionary lookup.
    ``groups``: a full recompute's grouped link aggregates (statements compiled by
    :func:`grouped_statement`)."""
    if groups is not None and isinstance(rows, AllRows) and definition.field_id in groups.statements:
        statement, needed = groups.statements[definition.field_id]
        groups.ensure(needed)
        conn.execute(statement)
        return ALL_ROWS
    if not definition.expression:
        return frozenset()
    expression = definition.expression
    cat = cat or catalog(conn)
    typed = cat.memo(("typed", definition.field_id), lambda: typed_expression(conn, table, expression))
    key: tuple[Any, ...] = ("update", definition.field_id, conn.dialect.name, _clock_key(expression, at))
    ranked, capable = cat.memo(("ranked", definition.field_id),
                               lambda: (uses_column_functions(typed), snapshot_capable(typed)))
    if ranked:
        if not capable:
            return _materialize_ranked(conn, table, definition, rows, at, typed)
        if isinstance(rows, AllRows):
            typed = rebuild_snapshots(conn, typed, table.physical_name, definition.field_id)
            conn.execute(_statement(conn, sa_table(table), table, definition, None, at, typed))
            return ALL_ROWS
        found = read_snapshots(conn, typed, table.physical_name, definition.field_id, len(rows), cat.memo)
        if found is None:  # no snapshot yet, or the column drifted too far from it
            return materialize(conn, table, definition, ALL_ROWS, at, cat=cat)
        typed, identity = found
        key = (*key, identity)
    return _write(conn, cat, table, definition, rows, at, typed, key)


def _write(conn: Connection, cat: Catalog, table: TableInfo, definition: Definition, rows: Rows,
           at: Clock, typed: Typed, key: tuple[Any, ...]) -> Rows:
    t = sa_table(table)
    if isinstance(rows, AllRows):
        conn.execute(cat.memo((*key, "all"), lambda: _statement(conn, t, table, definition, None, at, typed)))
        return ALL_ROWS
    changed: set[int] = set()
    ids = sorted(rows)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if len(chunk) <= SMALL:
            names = tuple(f"rid{k}" for k in range(len(chunk)))
            prepared = single_record_statement(conn, cat, table, definition, at, typed, key, len(chunk))
            changed.update(prepared.scalars(conn, dict(zip(names, chunk, strict=True))))
        else:
            statement = cat.memo((*key, "many"), lambda: _statement(
                conn, t, table, definition, sa.bindparam("ids", expanding=True), at, typed).returning(t.c.id))
            changed.update(conn.execute(statement, {"ids": chunk}).scalars())
    return frozenset(changed)


def single_record_statement(conn: Connection, cat: Catalog, table: TableInfo, definition: Definition, at: Clock,
                            typed: Typed, key: tuple[Any, ...], count: int) -> PreparedSql:
    """The prepared UPDATE of ``definition`` for ``count`` ids (``rid0``…), cached with the
    schema stamp and, unless it reads a rank snapshot, by its shape (shapes.py)."""
    names = tuple(f"rid{k}" for k in range(count))
    build = partial(_prepared, conn, sa_table(table), table, definition, names, at, typed)
    if len(key) == 4:  # (a statement against a rank snapshot stays with its stamp)
        shape = (shape_of(conn, cat, table), definition.expression, definition.result_type, *key, count)
        build = partial(SHAPES.get, shape, build)
    return cat.memo((*key, count), build)


def warm(conn: Connection, definition: Definition, at: Clock, cat: Catalog) -> bool:
    """Compile ``definition``'s single-record statement ahead of the first write (warmup.py);
    False when it has none (inactive, broken, ranking a column)."""
    if not definition.active:
        return False
    table = cat.table(conn, definition.table_id)
    if not combinable(conn, table, definition, cat):
        return False
    expression = definition.expression
    assert expression is not None
    typed = cat.memo(("typed", definition.field_id), lambda: typed_expression(conn, table, expression))
    key = ("update", definition.field_id, conn.dialect.name, _clock_key(expression, at))
    single_record_statement(conn, cat, table, definition, at, typed, key, 1)
    return True


def _prepared(conn: Connection, t: sa.Table, table: TableInfo, definition: Definition,
              names: tuple[str, ...], at: Clock, typed: Typed) -> PreparedSql:
    ids = [sa.bindparam(name, type_=sa.Integer) for name in names]
    statement = _statement(conn, t, table, definition, ids, at, typed).returning(t.c.id)
    return PreparedSql.of(statement, conn.dialect, names)


def _materialize_ranked(conn: Connection, table: TableInfo, definition: Definition, rows: Rows,
                        at: Clock, typed: Typed) -> Rows:
    """Formulas with whole-column functions that snapshots cannot serve read rank tables built
    for this statement (column_functions.py), so their statements are built each time."""
    t = sa_table(table)
    with column_functions(conn, typed, table.physical_name) as ranked:
        if isinstance(rows, AllRows):
            conn.execute(_statement(conn, t, table, definition, None, at, ranked))
            return ALL_ROWS
        changed: set[int] = set()
        ids = sorted(rows)
        for start in range(0, len(ids), CHUNK):
            statement = _statement(conn, t, table, definition, ids[start:start + CHUNK], at, ranked)
            changed.update(conn.execute(statement.returning(t.c.id)).scalars())
        return frozenset(changed)


def _statement(conn: Connection, t: sa.Table, table: TableInfo, definition: Definition,
               ids: Any, at: Clock, typed: Typed, *, groups: LinkGroups | None = None) -> Any:
    """``ids``: None (every record), a list of ids or bind parameters, or an expanding bind."""
    where = None if ids is None else (lambda src: src.c.id.in_(ids))
    cur = current_row(conn, table, where)
    assert definition.expression is not None
    if groups is not None:
        groups.start()
    joins: list[tuple[Any, Any]] = []
    value, error, _typed = compiled_raw(conn, table, definition.expression, definition.result_type, cur, at,
                                        typed=typed, groups=groups, joins=joins)
    if groups is not None:
        groups.keep(value, *([error] if error is not None else []))
    source = joined(groups.joins(cur) if groups is not None else cur, joins)
    # MATERIALIZED: each record's formula is evaluated once, not again for the SET list after
    # the IS DISTINCT FROM filter (the planners inline a plain subquery into both)
    calc = CalcColumns(cur.c.id)
    calc.add(conn, definition.field_id, definition.result_type, value, error)
    return calc.update(t, source)


def combinable(conn: Connection, table: TableInfo, definition: Definition, cat: Catalog) -> bool:
    """Whether a full recompute may write ``definition`` in one UPDATE with other fields of its
    table (:func:`materialize_together`): an active formula that ranks no column and checks."""
    if not definition.active:
        return False
    expression = definition.expression
    assert expression is not None
    try:
        typed = cat.memo(("typed", definition.field_id), lambda: typed_expression(conn, table, expression))
    except FormulaError:
        return False  # materialize() marks it broken
    ranked, _capable = cat.memo(("ranked", definition.field_id),
                                lambda: (uses_column_functions(typed), snapshot_capable(typed)))
    return not ranked


def materialize_together(conn: Connection, table: TableInfo, definitions: list[Definition], at: Clock, *,
                         cat: Catalog | None = None, groups: LinkGroups | None = None) -> Rows:
    """Recompute every record of ``definitions`` (fields of ``table``, none reading another of
    them, each :func:`combinable`) with one ``UPDATE`` setting all their columns.

    A full recompute wrote one UPDATE per field: on PostgreSQL every UPDATE writes a new
    version of each changed row, so seven fields on one table rewrote the table up to seven
    times. Together, each record is written at most once per dependency level, and only when
    one of its values or error codes differs (``IS DISTINCT FROM``)."""
    if len(definitions) == 1:
        return materialize(conn, table, definitions[0], ALL_ROWS, at, cat=cat, groups=groups)
    cat = cat or catalog(conn)
    t = sa_table(table)
    cur = current_row(conn, table, None)
    if groups is not None:
        groups.start()
    calc = CalcColumns(cur.c.id)
    joins: list[tuple[Any, Any]] = []
    for definition in definitions:
        expression = definition.expression
        assert expression is not None
        typed = cat.memo(("typed", definition.field_id), lambda e=expression: typed_expression(conn, table, e))
        value, error, _typed = compiled_raw(conn, table, expression, definition.result_type, cur, at,
                                            typed=typed, groups=groups, joins=joins)
        calc.add(conn, definition.field_id, definition.result_type, value, error)
    if groups is not None:
        groups.keep(*calc.columns)
    source = joined(groups.joins(cur) if groups is not None else cur, joins)
    if groups is not None:
        groups.ensure(groups.needed())
    conn.execute(calc.update(t, source))
    return ALL_ROWS


def write_broken(conn: Connection, table: TableInfo, field_id: int, rows: Rows = ALL_ROWS) -> Rows:
    """Blank the column of a broken formula and mark its cells (``rows``) with ``#REF!``."""
    t = sa_table(table)
    col = column_name(field_id)
    statement = sa.update(t).values({col: None, error_column_name(col): BROKEN_CODE})
    if isinstance(rows, AllRows):
        conn.execute(statement)
        return ALL_ROWS
    ids = sorted(rows)
    changed: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        changed.update(conn.execute(statement.where(t.c.id.in_(ids[start:start + CHUNK]))
                                    .where(t.c[error_column_name(col)].is_distinct_from(BROKEN_CODE))
                                    .returning(t.c.id)).scalars())
    return frozenset(changed)
