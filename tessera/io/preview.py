"""The import wizard's preview: the mapping, the inferred type of every unmapped column, and
for the first rows what each cell would become (or why it would be rejected). Nothing is
written."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from tessera.errors import FieldValueError
from tessera.io.importer import build_resolvers, resolve_key_field
from tessera.io.infer import infer_type
from tessera.io.mapping import ColumnMapping, map_columns
from tessera.io.readers import open_sheet
from tessera.io.rows import RowPreparer, reason_of
from tessera.schema.catalog import get_table

__all__ = ["ImportPreview", "preview_import"]


@dataclass(frozen=True)
class ImportPreview:
    file_name: str
    sheet: str | None
    reader: str
    header_row: int
    total_rows: int | None
    mapping: ColumnMapping
    inferred: dict[str, dict[str, Any]]     # unmapped header → {"type", "options"}
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file_name, "sheet": self.sheet, "reader": self.reader,
                "header_row": self.header_row, "total_rows": self.total_rows,
                "columns": self.mapping.to_list(), "inferred_types": self.inferred,
                "rows": self.rows}


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list)):
        return value
    return str(value)


def preview_import(engine: Engine, table_id: int, path: str | Path, *,
                   sheet: str | None = None, key: str | None = None,
                   links: Mapping[str, str] | None = None, limit: int = 20,
                   reader: str = "auto") -> ImportPreview:
    with open_sheet(path, sheet, reader=reader) as source, engine.connect() as conn:
        table = get_table(conn, table_id)
        mapping = map_columns(source.headers, table)
        head = list(itertools.islice(source.rows, max(limit, 200)))
        inferred = {}
        for c in mapping.with_status("unmapped"):
            guess = infer_type([r[c.index] if c.index < len(r) else None for r in head])
            inferred[c.header] = {"type": guess.type, "options": guess.options}
        preparer = RowPreparer(mapping, resolve_key_field(table, mapping, key),
                               build_resolvers(conn, table, mapping, links or {}))
        rows = []
        for offset, cells in enumerate(head[:limit]):
            prepared = preparer.prepare(source.header_row + 1 + offset, cells)
            parsed: dict[str, Any] = {}
            problems = list(prepared.problems)
            for c in mapping.mapped:
                assert c.field is not None
                raw = cells[c.index] if c.index < len(cells) else None
                if c.field.type == "link":
                    parsed[c.field.name] = prepared.values.get(c.field.id)
                    continue
                try:
                    stored = c.field.field_type.parse(raw, c.field)
                    parsed[c.field.name] = c.field.field_type.to_json(stored, c.field)
                except FieldValueError as exc:
                    problems.append(reason_of(exc))
            rows.append({"row": prepared.number, "cells": [_json(v) for v in cells],
                         "values": parsed, "problems": problems})
        conn.rollback()
    return ImportPreview(source.file_name, source.sheet, source.reader, source.header_row,
                         source.total_rows, mapping, inferred, rows)
