"""One source row → the values handed to RecordService, the upsert key, and the problems
found before writing (unresolved links, a bad or repeated key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.errors import FieldValueError
from tessera.io.links import LinkResolver
from tessera.io.mapping import ColumnMapping
from tessera.schema.catalog import FieldInfo

__all__ = ["PreparedRow", "RowPreparer", "reason_of"]


@dataclass
class PreparedRow:
    number: int                    # the row's number in the source file (1-based, like Excel)
    cells: list[Any]               # as read, for the reject report
    values: dict[int, Any]         # field id → cell value (links: record ids)
    key: Any = None                # parsed key value, None when the row has none
    record_id: int | None = None   # the existing record the key matched (an update)
    problems: list[str] = field(default_factory=list)


def reason_of(error: FieldValueError) -> str:
    """A reject reason for one bad value, English / Chinese."""
    return (f"{error.field}: {error.value!r} is not valid, expected {error.expected} / "
            f"「{error.field}」：{error.value!r} 无效，应为{error.expected_zh}")


class RowPreparer:
    """Holds what every row needs: the mapping, the key field, the link resolvers and the key
    values already seen in this file (to refuse duplicate keys)."""

    def __init__(self, mapping: ColumnMapping, key_field: FieldInfo | None,
                 resolvers: Mapping[int, LinkResolver]) -> None:
        self.columns = [(c.index, c.field) for c in mapping.mapped if c.field is not None]
        self.key_field = key_field
        self.key_index = next((c.index for c in mapping.mapped
                               if key_field and c.field and c.field.id == key_field.id), None)
        self.resolvers = resolvers
        self.seen_keys: dict[Any, int] = {}

    def prepare(self, number: int, cells: list[Any]) -> PreparedRow:
        row = PreparedRow(number, cells, {})
        width = len(cells)
        for index, f in self.columns:
            cell = cells[index] if index < width else None
            resolver = self.resolvers.get(f.id)
            if resolver is not None:
                ids, problems = resolver.resolve(cell)
                row.problems.extend(problems)
                if cell is not None:
                    row.values[f.id] = ids
            else:
                row.values[f.id] = cell
        if self.key_field is not None and self.key_index is not None:
            self._key(row, cells[self.key_index] if self.key_index < width else None)
        if row.problems:  # the row is rejected: name every bad cell, not only the first
            row.problems.extend(self._cell_problems(row))
        return row

    def _cell_problems(self, row: PreparedRow) -> list[str]:
        problems = []
        for _index, f in self.columns:
            if f.id in self.resolvers or (self.key_field and f.id == self.key_field.id):
                continue
            try:
                f.field_type.parse(row.values.get(f.id), f)
            except FieldValueError as exc:
                problems.append(reason_of(exc))
        return problems

    def _key(self, row: PreparedRow, cell: Any) -> None:
        assert self.key_field is not None
        try:
            key = self.key_field.field_type.parse(cell, self.key_field)
        except FieldValueError as exc:
            row.problems.append(reason_of(exc))
            return
        if key is None:
            return
        first = self.seen_keys.get(key)
        if first is not None:
            row.problems.append(
                f"{self.key_field.name}: {key!r} repeats the key of row {first}; each key may "
                f"appear once per file / 「{self.key_field.name}」{key!r} 与第 {first} 行重复，"
                "每个键在文件中只能出现一次")
            return
        self.seen_keys[key] = row.number
        row.key = key
