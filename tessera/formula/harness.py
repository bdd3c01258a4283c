"""Schemas and data for ``evaluate`` / ``evaluate_sql``: field types inferred from Python values,
and (for SQL) temporary tables holding them: the current table ``tx_cur`` (one row per record),
and per link a target table ``tx_tgt<i>`` plus a junction ``tx_jn<i>(src_id, dst_id)``."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from tessera import clock
from tessera.formula.schema import STORED_OPTIONS, STORED_PLAIN, FieldInfo, LinkInfo, TableSchema
from tessera.formula.types import BLANK, BOOLEAN, DATE, DATETIME, NUMBER, TEXT, FType
from tessera.formula.values import ExcelError, normalize_input, to_datetime, to_text

__all__ = ["Dataset", "build_dataset", "clock_values", "sql_column_type"]


def _kind_of(v: Any) -> FType:
    if v is None:
        return BLANK
    if isinstance(v, bool):
        return BOOLEAN
    if isinstance(v, float):
        return NUMBER
    if isinstance(v, str):
        return TEXT
    if isinstance(v, dt.datetime):
        return DATETIME
    if isinstance(v, dt.date):
        return DATE
    raise TypeError(f"unsupported value {v!r}")


def _common(kinds: set[str]) -> FType:
    kinds.discard("blank")
    if not kinds:
        return BLANK
    if len(kinds) == 1:
        return FType(kinds.pop())
    if kinds == {"date", "datetime"}:
        return DATETIME
    if kinds == {"number", "boolean"}:
        return NUMBER
    return TEXT


def _cast(v: Any, t: FType) -> Any:
    if v is None or t.kind == "blank":
        return None
    if t.kind == "text" and not isinstance(v, str):
        return to_text(v) or None
    if t.kind == "number" and isinstance(v, bool):
        return 1.0 if v else 0.0
    if t.kind == "datetime" and not isinstance(v, dt.datetime):
        return to_datetime(v)
    return v


@dataclass
class Dataset:
    schema: TableSchema
    rows: list[dict[str, Any]]  # field name -> value
    lists: list[dict[tuple[str, str], list[Any]]]  # per row: (link, field) -> values
    key: tuple[Any, ...]  # hashable description of the schema (for caches)


def build_dataset(records: list[dict[str, Any]]) -> Dataset:
    scalar_kinds: dict[str, set[str]] = {}
    list_kinds: dict[tuple[str, str], set[str]] = {}
    normalized: list[dict[str, Any]] = []
    options: set[str] = set()
    for record in records:
        row = {}
        for key, raw in record.items():
            value = normalize_input(raw)
            if isinstance(value, list) and "." not in key:  # a multi-select field: its labels
                options.add(key.strip())
                value = [t for t in (to_text(v) for v in value) if isinstance(t, str) and t] or None
                scalar_kinds.setdefault(key.strip(), set()).add("text")
            elif isinstance(value, list):
                link, _, name = key.partition(".")
                kinds = list_kinds.setdefault((link.strip(), name.strip()), set())
                kinds.update(_kind_of(x).kind for x in value)
            else:
                scalar_kinds.setdefault(key.strip(), set()).add(_kind_of(value).kind)
            row[key] = value
        normalized.append(row)
    field_types = {name: _common(set(k)) for name, k in scalar_kinds.items()}
    list_types = {key: _common(set(k)) for key, k in list_kinds.items()}
    fields = {name: FieldInfo(name, TEXT if name in options else t, f"f{i}",
                              STORED_OPTIONS if name in options else STORED_PLAIN)
              for i, (name, t) in enumerate(field_types.items())}
    links: dict[str, LinkInfo] = {}
    by_link: dict[str, dict[str, FieldInfo]] = {}
    for (link, name), t in list_types.items():
        target_fields = by_link.setdefault(link, {})
        target_fields[name] = FieldInfo(name, t, f"f{len(target_fields)}")
    for i, (link, target_fields) in enumerate(by_link.items()):
        target = TableSchema(f"tx_tgt{i}", "id", target_fields)
        links[link] = LinkInfo(link, target, f"tx_jn{i}", "src_id", "dst_id")
    schema = TableSchema("tx_cur", "id", fields, links)
    rows, lists = [], []
    for record in normalized:
        row: dict[str, Any] = {name: None for name in fields}
        row_lists: dict[tuple[str, str], list[Any]] = {}
        for key, value in record.items():
            if key.strip() in options:
                row[key.strip()] = value
            elif isinstance(value, list):
                link, _, name = key.partition(".")
                k = (link.strip(), name.strip())
                row_lists[k] = [_cast(x, list_types[k]) for x in value]
            else:
                row[key.strip()] = _cast(value, field_types[key.strip()])
        rows.append(row)
        lists.append(row_lists)
    key = (
        tuple((n, f.type.kind, f.stored) for n, f in fields.items()),
        tuple((k, t.kind) for k, t in list_types.items()),
    )
    return Dataset(schema, rows, lists, key)


def clock_values(today: dt.date | dt.datetime | None) -> tuple[dt.date, dt.datetime]:
    """(TODAY(), NOW()) for a call: ``today`` if given, else the engine clock."""
    if today is None:
        return clock.today(), clock.now()
    if isinstance(today, dt.datetime):
        return today.date(), today.replace(microsecond=0, tzinfo=None)
    return today, dt.datetime(today.year, today.month, today.day)


def sql_column_type(t: FType, pg: bool, stored: str = STORED_PLAIN) -> Any:
    if stored == STORED_OPTIONS:  # a JSON array of labels, as the multi_select field type stores it
        return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return {
        "number": sa.Float(53), "text": sa.Text, "boolean": sa.Boolean(create_constraint=False),
        "date": sa.Date if pg else sa.Text, "datetime": sa.DateTime if pg else sa.Text,
    }.get(t.kind, sa.Text)


def sql_cell(v: Any, pg: bool) -> Any:
    """A runtime value as stored in a column (SQLite keeps dates as ISO text)."""
    if pg or v is None or isinstance(v, ExcelError):
        return v
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


_engines: dict[str, sa.Engine] = {}
_pg_ready: set[str] = set()
_lock = threading.Lock()


def engine_for(url: str) -> sa.Engine:
    """One engine per URL; PostgreSQL gets the tx_* primitives installed once."""
    from tessera.db import create_engine

    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url)
            _engines[url] = engine
        if engine.dialect.name == "postgresql" and url not in _pg_ready:
            from tessera.formula.pg_functions import install_pg_functions

            with engine.begin() as conn:
                install_pg_functions(conn)
            _pg_ready.add(url)
    return engine
