"""Storage metadata → the formula language's :class:`TableSchema`.

Two keyings of the same table: ``by="name"`` (what users type, used to check their text and
give did-you-mean hints) and ``by="id"`` (``f_<id>``, used for the stored id form). Fields of
kinds a formula can read (number, text, boolean, date, datetime, and multi-selects as their
labels) appear as fields, with how their column encodes the value (``stored_encoding``); link
fields appear as links whose target schema lists the target table's readable fields.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.compute.references import id_name
from tessera.fields.computed import error_column_name, has_error_column
from tessera.formula.schema import (
    STORED_CHECKBOX,
    STORED_OPTIONS,
    STORED_PLAIN,
    STORED_UTC,
    LinkInfo,
    TableSchema,
)
from tessera.formula.schema import FieldInfo as FormulaField
from tessera.formula.types import FType
from tessera.schema.catalog import FieldInfo, TableInfo, get_table, junction_table

__all__ = ["table_schema", "readable_fields", "FORMULA_KINDS", "current_row", "field_key",
           "computed_columns", "stored_encoding"]

FORMULA_KINDS = ("number", "text", "boolean", "date", "datetime")


def readable_fields(table: TableInfo) -> list[FieldInfo]:
    """Fields a formula can read as a cell value (links are read through ``{Link}.{Field}``;
    a multi-select is read as its labels)."""
    return [f for f in table.fields if f.column is not None
            and (f.value_kind in FORMULA_KINDS or f.type == "multi_select")]


def field_key(field: FieldInfo, by: str) -> str:
    return field.name if by == "name" else id_name(field.id)


def stored_encoding(field: FieldInfo) -> str:
    """How the field's column encodes its value for formulas (formula.schema.STORED_*)."""
    if field.type == "multi_select":
        return STORED_OPTIONS
    if field.type == "checkbox":
        return STORED_CHECKBOX
    if field.value_kind == "datetime":
        return STORED_UTC
    return STORED_PLAIN


def _formula_type(field: FieldInfo) -> FType:
    return FType("text") if field.type == "multi_select" else FType(field.value_kind)


def _fields(table: TableInfo, by: str) -> dict[str, FormulaField]:
    return {field_key(f, by): FormulaField(field_key(f, by), _formula_type(f), f.column or "", stored_encoding(f))
            for f in readable_fields(table)}


def table_schema(conn: Connection, table: TableInfo, *, by: str = "id") -> TableSchema:
    """The formula schema of ``table`` (its links' targets one level deep)."""
    links: dict[str, LinkInfo] = {}
    for f in table.fields:
        if f.type != "link" or not f.options.get("target_table_id"):
            continue
        target = get_table(conn, f.options["target_table_id"])
        junction, own, other = junction_table(f)
        target_schema = TableSchema(target.physical_name, "id", _fields(target, by))
        links[field_key(f, by)] = LinkInfo(field_key(f, by), target_schema, junction.name, own, other)
    return TableSchema(table.physical_name, "id", _fields(table, by), links)


def _readable(conn: Connection, column: Any, stored: str) -> Any:
    """A stored column as the formula runtime represents it: datetimes are UTC ``timestamp``
    on PostgreSQL (stored timestamptz) and 'YYYY-MM-DD HH:MM:SS' on SQLite (stored
    'YYYY-MM-DDTHH:MM:SSZ'); an unchecked checkbox is FALSE, never blank. A multi-select stays
    its JSON array (the compiler reads labels or joined text from it)."""
    if stored == STORED_UTC:
        if conn.dialect.name == "postgresql":
            return sa.func.timezone("UTC", column)
        return sa.func.strftime("%Y-%m-%d %H:%M:%S", column)
    if stored == STORED_CHECKBOX:
        return sa.func.coalesce(column, sa.false())
    return column


def computed_columns(table: TableInfo) -> frozenset[str]:
    """Columns of ``table`` that have an error column beside them."""
    return frozenset(f.column or "" for f in readable_fields(table) if has_error_column(f.field_type))


def current_row(conn: Connection, table: TableInfo, where: Any = None, *, name: str = "cur") -> Any:
    """The current record as a derived table over ``table`` (only rows matching ``where``,
    a function of the source alias), with every readable column in formula representation
    (and the error columns of computed fields)."""
    # An autonumber field reads the record id itself, which is selected anyway.
    columns = sorted({(f.column or "", stored_encoding(f)) for f in readable_fields(table)} - {("id", STORED_PLAIN)})
    errors = sorted(error_column_name(c) for c in computed_columns(table))
    src = sa.table(table.physical_name, sa.column("id"), *[sa.column(c) for c, _ in columns],
                   *[sa.column(c) for c in errors]).alias("src")
    select = sa.select(src.c.id, *[_readable(conn, src.c[c], kind).label(c) for c, kind in columns],
                       *[src.c[c] for c in errors])
    if where is not None:
        select = select.where(where(src))
    return select.subquery(name)
