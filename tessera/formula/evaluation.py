"""``evaluate`` (Python interpreter) and ``evaluate_sql`` (compiled SQL): the stable entry points."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed, check
from tessera.formula.harness import (
    Dataset,
    build_dataset,
    clock_values,
    engine_for,
    sql_cell,
    sql_column_type,
)
from tessera.formula.interpreter import Closure, Env, compile_python
from tessera.formula.parser import parse
from tessera.formula.sqlcompile import compile_sql
from tessera.formula.sqlcore import SqlContext
from tessera.formula.types import FType
from tessera.formula.values import error_from_code

__all__ = ["evaluate", "evaluate_sql", "typed_formula"]

_SCHEMAS: dict[tuple[Any, ...], Any] = {}


def typed_formula(source: str, schema: Any) -> Typed:
    """Parse and check ``source`` against ``schema`` (raises FormulaError)."""
    return check(parse(source), schema)


@lru_cache(maxsize=1024)
def _compiled(source: str, key: tuple[Any, ...]) -> tuple[Typed, Closure]:
    typed = typed_formula(source, _SCHEMAS[key])
    return typed, compile_python(typed)


def _records(values: dict[str, Any] | None, rows: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], bool]:
    if rows is not None:
        return list(rows), True
    return [dict(values or {})], False


def _dataset(values: dict[str, Any] | None, rows: list[dict[str, Any]] | None) -> tuple[Dataset, bool]:
    records, many = _records(values, rows)
    data = build_dataset(records)
    _SCHEMAS.setdefault(data.key, data.schema)
    return data, many


def evaluate(source: str, values: dict[str, Any] | None = None, *, rows: list[dict[str, Any]] | None = None,
             today: dt.date | dt.datetime | None = None) -> Any:
    """Evaluate ``source`` with the Python interpreter: one result, or a list when ``rows``."""
    data, many = _dataset(values, rows)
    _typed, closure = _compiled(source, data.key)
    day, now = clock_values(today)
    columns = {name: [r[name] for r in data.rows] for name in data.schema.fields}
    results = [
        closure(Env(row, lists, columns, day, now)) for row, lists in zip(data.rows, data.lists, strict=True)
    ]
    return results if many else results[0]


def evaluate_sql(source: str, values: dict[str, Any] | None = None, *, rows: list[dict[str, Any]] | None = None,
                 today: dt.date | dt.datetime | None = None, url: str = "sqlite://") -> Any:
    """Evaluate ``source`` compiled to one SELECT over temporary tables on the database ``url``."""
    data, many = _dataset(values, rows)
    typed, _closure = _compiled(source, data.key)
    day, now = clock_values(today)
    engine = engine_for(url)
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            current = _create_tables(conn, data, pg)
            ctx = SqlContext(engine.dialect.name, data.schema, day, now, current)
            compiled = compile_sql(ctx, typed)
            error = compiled.error if compiled.error is not None else sa.null()
            query = sa.select(compiled.value.label("value"), error.label("error")).select_from(current).order_by(current.c.id)
            fetched = conn.execute(query).all()
        finally:
            trans.rollback()
    results = [_from_sql(v, e, typed.type) for v, e in fetched]
    return results if many else results[0]


def _create_tables(conn: Any, data: Dataset, pg: bool) -> sa.Table:
    meta = sa.MetaData()
    schema = data.schema

    def table(name: str, fields: dict[str, Any]) -> sa.Table:
        cols = [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)]
        cols += [sa.Column(f.column, sql_column_type(f.type, pg, f.stored)) for f in fields.values()]
        t = sa.Table(name, meta, *cols, prefixes=["TEMPORARY"])
        t.create(conn)
        return t

    current = table(schema.table, schema.fields)
    rows = [
        {"id": i + 1, **{f.column: sql_cell(row[name], pg) for name, f in schema.fields.items()}}
        for i, row in enumerate(data.rows)
    ]
    if rows:
        conn.execute(current.insert(), rows)
    for link_name, link in schema.links.items():
        target = table(link.target.table, link.target.fields)
        junction = sa.Table(
            link.junction, meta, sa.Column("src_id", sa.Integer), sa.Column("dst_id", sa.Integer),
            prefixes=["TEMPORARY"],
        )
        junction.create(conn)
        target_rows, junction_rows = [], []
        next_id = 1
        for src, row_lists in enumerate(data.lists, start=1):
            width = max((len(row_lists.get((link_name, n), [])) for n in link.target.fields), default=0)
            for j in range(width):
                cells = {}
                for name, f in link.target.fields.items():
                    items = row_lists.get((link_name, name), [])
                    cells[f.column] = sql_cell(items[j] if j < len(items) else None, pg)
                target_rows.append({"id": next_id, **cells})
                junction_rows.append({"src_id": src, "dst_id": next_id})
                next_id += 1
        if target_rows:
            conn.execute(target.insert(), target_rows)
            conn.execute(junction.insert(), junction_rows)
    return current


def _from_sql(value: Any, error: Any, t: FType) -> Any:
    """A fetched (value, error) pair as the interpreter would give it."""
    if error is not None:
        return error_from_code(error)
    if value is None:
        return None
    kind = t.kind
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return bool(value)
    if kind == "text":
        return str(value) or None
    if kind == "date":
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == "datetime":
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0)
        return dt.datetime(value.year, value.month, value.day)
    return value
