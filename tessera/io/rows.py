"""Source rows → the values handed to RecordService, the upsert keys, and the problems found
before writing (unresolved links, a bad or repeated key).

``RowPreparer.prepare`` does one row (the import preview); ``prepare_chunk`` does a chunk of
rows column by column for the import itself: the columns go to
``RecordService.bulk_create_columns`` as they are, keys are parsed with the key field's
``parse_column`` and link cells are resolved once per distinct cell text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.errors import FieldValueError
from tessera.io.links import LinkResolver
from tessera.io.mapping import ColumnMapping
from tessera.schema.catalog import FieldInfo

__all__ = ["PreparedRow", "PreparedChunk", "RowPreparer", "reason_of"]


@dataclass
class PreparedRow:
    number: int                    # the row's number in the source file (1-based, like Excel)
    cells: list[Any]               # as read, for the reject report
    values: dict[int, Any]         # field id → cell value (links: record ids)
    key: Any = None                # parsed key value, None when the row has none
    record_id: int | None = None   # the existing record the key matched (an update)
    problems: list[str] = field(default_factory=list)


@dataclass
class PreparedChunk:
    """A chunk of source rows by column: ``columns[field id][k]`` is row k's value (links:
    record ids, or None for an empty cell); ``problems[k]`` the reasons row k is refused."""

    numbers: list[int]
    cells: list[list[Any]]
    columns: dict[int, list[Any]]
    keys: list[Any]
    problems: dict[int, list[str]]


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

    def prepare_chunk(self, numbers: list[int], cells: list[list[Any]]) -> PreparedChunk:
        width = max(map(len, cells), default=0)
        padded = [r + [None] * (width - len(r)) if len(r) < width else r for r in cells]
        by_index = list(zip(*padded, strict=True)) if padded else []
        n = len(cells)

        def column(index: int) -> list[Any]:
            return list(by_index[index]) if index < width else [None] * n
        chunk = PreparedChunk(numbers, cells, {}, [None] * n, {})
        for index, f in self.columns:
            values = column(index)
            resolver = self.resolvers.get(f.id)
            chunk.columns[f.id] = (values if resolver is None
                                   else self._resolve(resolver, values, chunk.problems))
        if self.key_field is not None and self.key_index is not None:
            self._keys(chunk, column(self.key_index))
        for k, problems in chunk.problems.items():  # name every bad cell of a refused row
            row = PreparedRow(numbers[k], cells[k], {f.id: chunk.columns[f.id][k]
                                                    for _i, f in self.columns})
            problems.extend(self._cell_problems(row))
        return chunk

    @staticmethod
    def _resolve(resolver: LinkResolver, values: list[Any], problems: dict[int, list[str]]
                 ) -> list[Any]:
        memo: dict[Any, tuple[list[int], list[str]]] = {}
        out: list[Any] = []
        for k, cell in enumerate(values):
            if cell is None:
                out.append(None)
                continue
            hit = memo.get(cell) if isinstance(cell, str) else None
            if hit is None:
                hit = resolver.resolve(cell)
                if isinstance(cell, str):
                    memo[cell] = hit
            ids, bad = hit
            if bad:
                problems.setdefault(k, []).extend(bad)
            out.append(list(ids))
        return out

    def _keys(self, chunk: PreparedChunk, cells: list[Any]) -> None:
        assert self.key_field is not None
        parsed, errors = self.key_field.field_type.parse_column(cells, self.key_field)
        bad = dict(errors)
        for k, key in enumerate(parsed):
            if k in bad:
                chunk.problems.setdefault(k, []).append(reason_of(bad[k]))
            elif key is not None:
                problem = self._check_repeat(key, chunk.numbers[k])
                if problem:
                    chunk.problems.setdefault(k, []).append(problem)
                else:
                    chunk.keys[k] = key

    def _check_repeat(self, key: Any, number: int) -> str | None:
        assert self.key_field is not None
        first = self.seen_keys.get(key)
        if first is not None:
            return (f"{self.key_field.name}: {key!r} repeats the key of row {first}; each key "
                    f"may appear once per file / 「{self.key_field.name}」{key!r} 与第 {first} 行"
                    "重复，每个键在文件中只能出现一次")
        self.seen_keys[key] = number
        return None

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
        problem = self._check_repeat(key, row.number)
        if problem:
            row.problems.append(problem)
            return
        row.key = key
