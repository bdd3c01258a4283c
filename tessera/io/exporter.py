"""Export a table or a view to .xlsx or .csv, streaming.

Rows are read with one ordered query (the view's filters AND the ``row_filter`` hook, its
sorts then id), ``batch`` rows at a time, and written as they arrive: openpyxl write-only for
.xlsx (bold frozen header, autofilter, widths fitted on the first batch, real dates and
number formats from ``formats``), the csv module for .csv (UTF-8 with BOM so Excel opens
Chinese text correctly). Links are written as the linked records' primary-field text,
computed cells with an error as the error code.

Extension point — access rules: ``row_filter(table)`` returns an extra filter (the query
filter JSON of docs/storage.md) ANDed with the view's, or None; the access-rule layer passes
one for the exporting user. ``visible_fields`` narrows the columns the same way."""

from __future__ import annotations

import csv
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Connection, Engine

from tessera.fields.computed import error_column_name, has_error_column
from tessera.io.cells import safe_cell
from tessera.io.errors import ImportFileError
from tessera.io.formats import CellCodec, codec_for
from tessera.io.links import link_label
from tessera.query import build_filter, resolve_sort
from tessera.records import read_links
from tessera.schema.catalog import FieldInfo, TableInfo, get_table, get_view, sa_table

__all__ = ["RowFilter", "ExportResult", "export_records", "EXPORT_FORMATS"]

RowFilter = Callable[[TableInfo], Mapping[str, Any] | None]
EXPORT_FORMATS = (".xlsx", ".csv")
_WIDTH_SAMPLE = 1000


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: list[str]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "rows": self.rows, "columns": self.columns,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class _Column:
    field: FieldInfo
    codec: CellCodec
    error_key: str | None


def _columns(table: TableInfo, hidden: Sequence[int],
             visible_fields: Sequence[int | str] | None) -> list[_Column]:
    fields = [f for f in table.fields if f.id not in set(hidden)]
    if visible_fields is not None:
        allowed = {table.field(v).id for v in visible_fields}
        fields = [f for f in fields if f.id in allowed]
    return [_Column(f, codec_for(f),
                    error_column_name(f.column) if f.column and has_error_column(f.field_type)
                    else None) for f in fields]


def _rows(conn: Connection, table: TableInfo, columns: list[_Column],
          spec: Mapping[str, Any] | None, sorts: Any, batch: int
          ) -> Iterator[list[dict[str, Any]]]:
    """Batches of {field id or error key: stored value} in view order."""
    t = sa_table(table)
    selected = [t.c.id]
    for c in columns:
        if c.field.column:
            selected.append(t.c[c.field.column].label(f"v{c.field.id}"))
        if c.error_key:
            selected.append(t.c[c.error_key].label(f"e{c.field.id}"))
    where = build_filter(table, spec, dialect=conn.dialect.name, t=t)
    order = [(t.c[f.column].desc() if desc else t.c[f.column].asc()).nulls_last()
             for f, desc in resolve_sort(table, sorts)]
    statement = sa.select(*selected).where(where).order_by(*order, t.c.id.asc())
    result = conn.execute(statement.execution_options(stream_results=True, yield_per=batch))
    links = [c.field for c in columns if c.field.type == "link"]
    for partition in result.partitions():
        rows = [dict(r._mapping) for r in partition]
        for link in links:
            _attach_links(conn, link, rows)
        yield rows


def _attach_links(conn: Connection, link: FieldInfo, rows: list[dict[str, Any]]) -> None:
    linked = read_links(conn, link, [r["id"] for r in rows])
    target = get_table(conn, link.options["target_table_id"])
    primary = target.primary_field
    t = sa_table(target)
    wanted = sorted({i for ids in linked.values() for i in ids})
    labels: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        column = t.c[primary.column] if primary.column else t.c.id
        for rid, stored in conn.execute(sa.select(t.c.id, column).where(
                t.c.id.in_(wanted[start:start + 900]))):
            labels[rid] = link_label(stored, primary)
    for r in rows:
        r[f"v{link.id}"] = [labels.get(i, str(i)) for i in linked.get(r["id"], [])] or None


def _value(row: Mapping[str, Any], column: _Column, *, for_csv: bool) -> Any:
    fid = column.field.id
    error = row.get(f"e{fid}") if column.error_key else None
    if error:
        return error
    stored = row.get(f"v{fid}") if column.field.column or column.field.type == "link" \
        else None
    if stored is None:
        return "" if for_csv else None
    return column.codec.csv(stored, column.field) if for_csv else \
        column.codec.xlsx(stored, column.field)


def _width(value: Any) -> int:
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_title(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet1"
    return cleaned[:31]


def _write_xlsx(path: Path, title: str, columns: list[_Column],
                batches: Iterator[list[dict[str, Any]]]) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    first = next(batches, [])
    widths = [_width(c.field.name) + 2 for c in columns]
    for row in first[:_WIDTH_SAMPLE]:
        for i, c in enumerate(columns):
            value = _value(row, c, for_csv=True)
            widths[i] = max(widths[i], _width(value) + 2)
    for i, c in enumerate(columns):
        fmt = c.codec.number_format(c.field)
        extra = 4 if fmt and "yyyy" in fmt else 0
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(widths[i] + extra, 8), 60)
    header = []
    for c in columns:
        cell = WriteOnlyCell(sheet, value=c.field.name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [c.codec.number_format(c.field) for c in columns]
    count = 0

    def emit(rows: list[dict[str, Any]]) -> None:
        nonlocal count
        for row in rows:
            out = []
            for c, fmt in zip(columns, formats, strict=True):
                value = _value(row, c, for_csv=False)
                if value is None:
                    out.append(None)
                elif fmt and not isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = fmt
                    out.append(cell)
                else:
                    out.append(safe_cell(sheet, value))
            sheet.append(out)
        count += len(rows)

    emit(first)
    for rows in batches:
        emit(rows)
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{count + 1}"
    workbook.save(path)
    return count


def _write_csv(path: Path, columns: list[_Column], batches: Iterator[list[dict[str, Any]]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.field.name for c in columns])
        for rows in batches:
            writer.writerows([_value(r, c, for_csv=True) for c in columns] for r in rows)
            count += len(rows)
    return count


def export_records(engine: Engine, path: str | Path, *, table_id: int | None = None,
                   view_id: int | None = None, row_filter: RowFilter | None = None,
                   visible_fields: Sequence[int | str] | None = None,
                   batch: int = 5000) -> ExportResult:
    """Write the rows of a table (all rows, id order) or of a view to ``path``."""
    started = time.perf_counter()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ImportFileError(f"{path.name}: export writes .xlsx or .csv files.",
                              f"{path.name}：只能导出为 .xlsx 或 .csv 文件。",
                              code="export_unsupported_file")
    if (table_id is None) == (view_id is None):
        raise ValueError("export_records needs exactly one of table_id or view_id")
    with engine.connect() as conn, conn.begin():
        filters: list[Mapping[str, Any]] = []
        sorts: Any = None
        hidden: Sequence[int] = ()
        if view_id is not None:
            view = get_view(conn, view_id)
            table = get_table(conn, view.table_id)
            title = view.name
            if view.filters:
                filters.append(view.filters)
            sorts, hidden = view.sorts, view.hidden_fields
        else:
            table = get_table(conn, table_id or 0)
            title = table.name
        extra = row_filter(table) if row_filter else None
        if extra:
            filters.append(extra)
        spec = {"and": filters} if len(filters) > 1 else (filters[0] if filters else None)
        columns = _columns(table, hidden, visible_fields)
        batches = _rows(conn, table, columns, spec, sorts, batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            count = _write_csv(path, columns, batches)
        else:
            count = _write_xlsx(path, title, columns, batches)
    return ExportResult(path, count, [c.field.name for c in columns],
                        time.perf_counter() - started)
