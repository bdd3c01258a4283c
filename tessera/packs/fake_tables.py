"""A pack table as the storage layer's ``TableInfo`` (with made-up ids), so pack views can be
checked by the very code that runs them (``tessera.query.build_filter``) before install."""

from __future__ import annotations

from tessera.fields import REGISTRY
from tessera.packs.formulas import COMPUTED, FormulaTyper
from tessera.packs.index import PackTable
from tessera.schema.catalog import FieldInfo, TableInfo

__all__ = ["fake_table"]


def fake_table(table: PackTable, typer: FormulaTyper) -> TableInfo:
    fields = []
    for position, f in enumerate(table.fields, start=1):
        field_type = REGISTRY.get(f.type)
        options = field_type.normalize_options(f.options) if field_type else {}
        if f.type in COMPUTED:
            kind = typer.kind(f)
            options["result_type"] = kind if kind not in (None, "error") else "text"
        if f.type == "link":
            options = {"target_table_id": 0, "many": f.options.get("many", True), "side": "src"}
        fields.append(FieldInfo(position, 0, f.name, f.type, options, position, f.is_primary))
    return TableInfo(0, 0, table.name, 0, tuple(fields))
