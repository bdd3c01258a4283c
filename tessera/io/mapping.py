"""Columns → fields by name (see ``names.header_key``). Every column gets a status so the
summary and the import wizard can say exactly what happens to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tessera.io.names import column_letter, header_key
from tessera.schema.catalog import FieldInfo, TableInfo

__all__ = ["MappedColumn", "ColumnMapping", "map_columns", "STATUSES"]

# status → (English, Chinese) explanation shown in summaries
STATUSES: dict[str, tuple[str, str]] = {
    "mapped": ("imported into the field", "导入到该字段"),
    "unmapped": ("no field with this name; ignored (use --create-fields to add it)",
                 "没有同名字段，已忽略（可用 --create-fields 新建）"),
    "computed": ("the field is computed (formula, lookup, …); ignored", "该字段为计算字段，已忽略"),
    "duplicate": ("another column already maps to this field; ignored", "已有其他列对应该字段，已忽略"),
    "blank": ("no column name; ignored", "没有列名，已忽略"),
}


@dataclass(frozen=True)
class MappedColumn:
    index: int
    header: str
    status: str
    field: FieldInfo | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.letter, "header": self.header, "status": self.status,
                "field": self.field.name if self.field else None,
                "field_type": self.field.type if self.field else None,
                "note": STATUSES[self.status][0], "note_zh": STATUSES[self.status][1]}


@dataclass(frozen=True)
class ColumnMapping:
    columns: tuple[MappedColumn, ...]

    @property
    def mapped(self) -> list[MappedColumn]:
        return [c for c in self.columns if c.status == "mapped"]

    def with_status(self, status: str) -> list[MappedColumn]:
        return [c for c in self.columns if c.status == status]

    def column_for(self, field: FieldInfo) -> MappedColumn | None:
        return next((c for c in self.mapped if c.field and c.field.id == field.id), None)

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.columns]


def map_columns(headers: Sequence[str], table: TableInfo) -> ColumnMapping:
    by_key = {header_key(f.name): f for f in table.fields}
    used: set[int] = set()
    columns = []
    for index, header in enumerate(headers):
        key = header_key(header)
        field = by_key.get(key) if key else None
        if not key:
            status = "blank"
        elif field is None:
            status = "unmapped"
        elif field.read_only:
            status = "computed"
        elif field.id in used:
            status = "duplicate"
        else:
            status = "mapped"
            used.add(field.id)
        columns.append(MappedColumn(index, header, status, field))
    return ColumnMapping(tuple(columns))
