"""Export a table or a view to .xlsx or .csv, streaming.

Rows are read with one ordered query (the view's filters AND the ``row_filter`` hook, its
sorts then id), ``batch`` rows at a time, and written as they arrive: ``xlsx_writer.XlsxStreamWriter`` for
.xlsx (bold frozen header, autofilter, widths fitted on the first batch, real dates and
number formats from ``formats``), the csv module for .csv (UTF-8 with BOM so Excel opens
Chinese text correctly). Links are written as the linked records' primary-field text,
computed cells with an error as the error code.

Extension point — access rules: ``row_filter(table)`` returns an extra filter (the query
filter JSON of docs/storage.md) ANDed with the view's, or None; the access-rule layer passes
one for the exporting user. ``visible_fields`` narrows the columns the same way."""

from __future__ import annotations

import csv
import itertools
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera.access.context import resolve
from tessera.access.scope import TableScope, filter_links, table_scope
from tessera.auth.principal import Principal
from tessera.fields.computed import error_column_name, has_error_column
from tessera.io.errors import ImportFileError
from tessera.io.formats import CellCodec, codec_for
from tessera.io.links import link_label
from tessera.io.xlsx_writer import MAX_ROWS, ExcelError, XlsxColumn, XlsxStreamWriter
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
    """One exported field: its codec and where its value (and error code) sit in a row."""

    field: FieldInfo
    codec: CellCodec
    value_at: int
    error_at: int | None

    def xlsx(self, row: Sequence[Any]) -> Any:
        if self.error_at is not None and row[self.error_at]:
            return ExcelError(row[self.error_at])
        stored = row[self.value_at]
        return None if stored is None else self.codec.xlsx(stored, self.field)

    def csv(self, row: Sequence[Any]) -> str:
        if self.error_at is not None and row[self.error_at]:
            return str(row[self.error_at])
        stored = row[self.value_at]
        return "" if stored is None else self.codec.csv(stored, self.field)


def _columns(table: TableInfo, hidden: Sequence[int],
             visible_fields: Sequence[int | str] | None) -> list[_Column]:
    """The exported fields; row positions follow ``_select``: id first, then per field its
    value and, for computed fields, its error code."""
    fields = [f for f in table.fields if f.id not in set(hidden)]
    if visible_fields is not None:
        allowed = {table.field(v).id for v in visible_fields}
        fields = [f for f in fields if f.id in allowed]
    columns, position = [], 1
    for f in fields:
        errors = bool(f.column) and has_error_column(f.field_type)
        columns.append(_Column(f, codec_for(f), position, position + 1 if errors else None))
        position += 2 if errors else 1
    return columns


def _select(t: sa.Table, columns: list[_Column]) -> list[Any]:
    selected: list[Any] = [t.c.id]
    for c in columns:
        # a link has no column: its slot is filled per batch by _attach_links
        selected.append(t.c[c.field.column] if c.field.column else sa.null())
        if c.error_at is not None:
            selected.append(t.c[error_column_name(c.field.column or "")])
    return selected


def _rows(conn: Connection, table: TableInfo, columns: list[_Column],
          spec: Mapping[str, Any] | None, sorts: Any, batch: int,
          scope: TableScope) -> Iterator[list[list[Any]]]:
    """Batches of rows (lists in ``_select`` order) in view order, within the exporting
    principal's row rule (tessera.access)."""
    t = sa_table(table)
    where = build_filter(table, spec, dialect=conn.dialect.name, t=t)
    rule = scope.row_condition(conn, t)
    if rule is not None:
        where = sa.and_(where, rule)
    order = [(t.c[f.column].desc() if desc else t.c[f.column].asc()).nulls_last()
             for f, desc in resolve_sort(table, sorts)]
    statement = sa.select(*_select(t, columns)).where(where).order_by(*order, t.c.id.asc())
    result = conn.execute(statement.execution_options(stream_results=True, yield_per=batch))
    links = [c for c in columns if c.field.type == "link"]
    for partition in result.partitions():
        rows = [list(r) for r in partition]
        for link in links:
            _attach_links(conn, link, rows, scope.principal)
        yield rows


def _attach_links(conn: Connection, column: _Column, rows: list[list[Any]],
                  principal: Principal) -> None:
    link = column.field
    linked = filter_links(conn, principal, link, read_links(conn, link, [r[0] for r in rows]))
    target = get_table(conn, link.options["target_table_id"])
    primary = target.primary_field
    t = sa_table(target)
    wanted = sorted({i for ids in linked.values() for i in ids})
    labels: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        label_column = t.c[primary.column] if primary.column else t.c.id
        for rid, stored in conn.execute(sa.select(t.c.id, label_column).where(
                t.c.id.in_(wanted[start:start + 900]))):
            labels[rid] = link_label(stored, primary)
    for r in rows:
        r[column.value_at] = [labels.get(i, str(i)) for i in linked.get(r[0], [])] or None


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
    first = next(batches, [])
    widths = [_width(c.field.name) + 2 for c in columns]
    for row in first[:_WIDTH_SAMPLE]:
        for i, c in enumerate(columns):
            widths[i] = max(widths[i], _width(c.csv(row)) + 2)
    specs = []
    for c, width in zip(columns, widths, strict=True):
        fmt = c.codec.number_format(c.field)
        extra = 4 if fmt and "yyyy" in fmt else 0
        specs.append(XlsxColumn(c.field.name, min(max(width + extra, 8), 60), fmt))
    with XlsxStreamWriter(path, _sheet_title(title), specs) as writer:
        for rows in itertools.chain([first], batches):
            try:
                writer.write_rows([[c.xlsx(r) for c in columns] for r in rows])
            except OverflowError as exc:
                raise ImportFileError(
                    f"More than {MAX_ROWS - 1:,} rows: an Excel sheet cannot hold them. "
                    "Export to .csv, or filter the view.",
                    f"超过 {MAX_ROWS - 1:,} 行，Excel 工作表放不下。请导出为 .csv 或先筛选视图。",
                    code="export_too_many_rows") from exc
        return writer.rows


def _write_csv(path: Path, columns: list[_Column], batches: Iterator[list[dict[str, Any]]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.field.name for c in columns])
        for rows in batches:
            writer.writerows([c.csv(r) for c in columns] for r in rows)
            count += len(rows)
    return count


def export_records(engine: Engine, path: str | Path, *, table_id: int | None = None,
                   view_id: int | None = None, row_filter: RowFilter | None = None,
                   visible_fields: Sequence[int | str] | None = None,
                   batch: int = 5000, principal: Principal | None = None) -> ExportResult:
    """Write the rows of a table (all rows, id order) or of a view to ``path``, as
    ``principal`` may see them: no hidden field, no row outside its row rule."""
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
        scope = table_scope(conn, resolve(principal), table, "records.export")
        table = scope.table
        extra = row_filter(table) if row_filter else None
        if extra:
            filters.append(extra)
        spec = {"and": filters} if len(filters) > 1 else (filters[0] if filters else None)
        columns = _columns(table, hidden, visible_fields)
        batches = _rows(conn, table, columns, spec, sorts, batch, scope)
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            count = _write_csv(path, columns, batches)
        else:
            count = _write_xlsx(path, title, columns, batches)
    return ExportResult(path, count, [c.field.name for c in columns],
                        time.perf_counter() - started)
