"""Formula preview for the editor: the first records' results, computed in SQL exactly as the
materialized column would be, or the static error."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.compute.maintenance import to_id_form
from tessera.compute.materialize import Clock, compiled_columns, result_kind
from tessera.compute.schema_adapter import current_row, table_schema
from tessera.formula.checker import check
from tessera.formula.parser import parse
from tessera.schema.catalog import Bind, get_table, transaction

__all__ = ["PreviewRow", "Preview", "preview_formula", "api_value"]


@dataclass(frozen=True)
class PreviewRow:
    record_id: int
    value: Any  # API value; {"error": "#DIV/0!"} for an error

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.record_id, "value": self.value}


@dataclass(frozen=True)
class Preview:
    result_type: str
    rows: list[PreviewRow]

    def to_dict(self) -> dict[str, Any]:
        return {"result_type": self.result_type, "rows": [r.to_dict() for r in self.rows]}


def api_value(value: Any, error: Any, kind: str) -> Any:
    """A computed (value, error) pair as the API shows a cell of that kind."""
    if error is not None:
        return {"error": error}
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
    if kind == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def preview_formula(bind: Bind, table_id: int, source: str, *, limit: int = 20,
                    today: dt.date | None = None) -> Preview:
    """Results of ``source`` for the first ``limit`` records of the table (by id); a static
    error raises FormulaError, as saving the formula would."""
    with transaction(bind) as conn:
        table = get_table(conn, table_id)
        check(parse(source), table_schema(conn, table, by="name"))
        expression = to_id_form(conn, table, source)
        kind = result_kind(check(parse(expression), table_schema(conn, table, by="id")).type)
        first = sa.table(table.physical_name, sa.column("id"))
        ids = sa.select(first.c.id).order_by(first.c.id).limit(limit).scalar_subquery()
        cur = current_row(conn, table, lambda src: src.c.id.in_(ids))
        value, error, _typed = compiled_columns(conn, table, expression, kind, cur, Clock.current(today))
        rows = conn.execute(sa.select(cur.c.id, value, error).select_from(cur).order_by(cur.c.id)).all()
        return Preview(kind, [PreviewRow(r[0], api_value(r[1], r[2], kind)) for r in rows])
