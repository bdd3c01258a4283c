"""Storage metadata → the formula language's :class:`TableSchema`, for compiling automation
conditions set-wise against a real user table.

Uses the formula-field integration's adapter (``tessera.compute.schema_adapter``) when it is
installed; the small adapter below covers plain columns and one level of links otherwise."""

from __future__ import annotations

from typing import Any

from tessera.formula.schema import FieldInfo as FFieldInfo
from tessera.formula.schema import LinkInfo, TableSchema
from tessera.formula.types import FType
from tessera.schema.catalog import TableInfo, get_table, junction_table
from tessera.schema.naming import table_name

__all__ = ["formula_schema"]

_KINDS = {"number", "text", "boolean", "date", "datetime"}


def _columns(table: TableInfo) -> dict[str, FFieldInfo]:
    fields: dict[str, FFieldInfo] = {}
    for f in table.fields:
        kind = f.field_type.value_kind(f.options)
        if f.column is None or kind not in _KINDS:
            continue
        fields[f.name.strip()] = FFieldInfo(f.name.strip(), FType(kind), f.column)
    return fields


def formula_schema(conn: Any, table: TableInfo) -> Any:
    """A formula ``Schema`` for ``table`` (fields by name; links one level deep)."""
    try:  # the compute package's adapter knows formula columns and deeper links
        from tessera.compute import schema_adapter as compute_adapter  # type: ignore[attr-defined]

        build = getattr(compute_adapter, "table_schema", None)
        if build is not None:
            return build(conn, table, by="name")
    except ImportError:
        pass
    links: dict[str, LinkInfo] = {}
    for f in table.fields:
        if f.type != "link":
            continue
        target = get_table(conn, f.options["target_table_id"])
        junction, own, other = junction_table(f)
        links[f.name.strip()] = LinkInfo(
            f.name.strip(), TableSchema(table_name(target.id), "id", _columns(target)),
            junction.name, own, other)
    return TableSchema(table_name(table.id), "id", _columns(table), links)
