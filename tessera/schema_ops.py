"""Public schema API (see docs/storage.md): bases, tables, fields, type changes, views."""

from __future__ import annotations

from tessera.schema.catalog import (
    BaseInfo,
    FieldInfo,
    TableInfo,
    ViewInfo,
    get_base,
    get_field,
    get_table,
    get_view,
    junction_table,
    list_bases,
    list_tables,
    list_views,
    sa_table,
    transaction,
)
from tessera.schema.convert import (
    ConversionReject,
    ConversionReport,
    change_field_type,
    list_conversion_rejects,
    preview_type_change,
)
from tessera.schema.naming import column_name, junction_name, table_name
from tessera.schema.ops import (
    FieldSpec,
    add_field,
    create_base,
    create_table,
    delete_base,
    delete_field,
    delete_table,
    rename_base,
    rename_field,
    rename_table,
    reorder_fields,
    set_primary_field,
    update_field_options,
)
from tessera.schema.views import create_view, delete_view, update_view

__all__ = [
    "BaseInfo", "FieldInfo", "TableInfo", "ViewInfo", "FieldSpec", "ConversionReject",
    "ConversionReport", "get_base", "get_field", "get_table", "get_view", "list_bases",
    "list_tables", "list_views", "sa_table", "junction_table", "transaction", "table_name",
    "column_name", "junction_name", "create_base", "rename_base", "delete_base",
    "create_table", "rename_table", "delete_table", "add_field", "rename_field",
    "update_field_options", "delete_field", "reorder_fields", "set_primary_field",
    "preview_type_change", "change_field_type", "list_conversion_rejects", "create_view",
    "update_view", "delete_view",
]
