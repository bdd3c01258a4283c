"""Spreadsheet readers: each yields a header row and then data rows as lists of Python values
(str, float, bool, date, datetime, or None for an empty cell), one row at a time.

``READERS`` is the registry: one ``ReaderSpec`` per reader declares its name, the file
extensions it reads and how to open a file. ``open_sheet`` picks the reader for a path:

- ``calamine`` (python-calamine, Rust): the default for .xlsx/.xlsm, ~11× faster than
  openpyxl. It holds one sheet's cells in compact Rust memory while reading.
- ``openpyxl`` (read-only, streaming): constant memory. ``auto`` switches to it for sheets
  that declare more than ``STREAM_ABOVE_ROWS`` rows (or, declaring none, files over
  ``STREAM_ABOVE_BYTES``), so a 1,000,000-row file never sits in
  memory.
- ``csv`` (standard library): UTF-8 (with or without BOM) or GB18030, detected; the delimiter
  (``,`` ``;`` tab) is sniffed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera.io.encoding import detect_encoding
from tessera.io.errors import ImportFileError
from tessera.io.names import column_letter

__all__ = ["SheetSource", "ReaderSpec", "READERS", "open_sheet", "STREAM_ABOVE_ROWS",
           "declared_rows", "EXTENSIONS", "STREAM_ABOVE_BYTES"]

STREAM_ABOVE_ROWS = 300_000
STREAM_ABOVE_BYTES = 16 << 20  # when the sheet declares no size (openpyxl write_only files)
EXTENSIONS = (".xlsx", ".xlsm", ".csv")


@dataclass
class SheetSource:
    """An opened sheet: its headers, the Excel row number of the header (1-based) and an
    iterator over the data rows below it. ``total_rows`` is an estimate (None if unknown)."""

    file_name: str
    sheet: str | None
    reader: str
    headers: list[str]
    header_row: int
    rows: Iterator[list[Any]]
    total_rows: int | None


Opener = Callable[[Path, str | None], contextlib.AbstractContextManager[SheetSource]]


@dataclass(frozen=True)
class ReaderSpec:
    name: str
    extensions: tuple[str, ...]
    open: Opener
    description: str


# --- cell values ------------------------------------------------------------------------------
_PLAIN = frozenset({float, int, bool, type(None), dt.datetime, dt.date})


def _cell(value: Any) -> Any:
    kind = value.__class__
    if kind is str:
        return value or None
    if kind in _PLAIN:
        return value
    if value == "":
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return value


_SIMPLE = _PLAIN | {str}


def _cells(row: Any) -> list[Any]:
    """A row's cells as import values: '' → None, times as text (see ``_cell``). The usual
    row (text and plain kinds only) is tested with C-level passes and kept, its empty texts
    set to None in place; other rows are converted cell by cell."""
    if row.__class__ is list and _SIMPLE.issuperset(map(type, row)):
        if "" in row:
            _blank_to_none(row)
        return row
    return [(v or None) if v.__class__ is str else v if v.__class__ in _PLAIN else _cell(v)
            for v in row]


def _blank_to_none(row: list[Any]) -> None:
    index = row.index("")
    try:
        while True:
            row[index] = None
            index = row.index("", index + 1)
    except ValueError:
        pass


def _is_empty(row: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split_header(file_name: str, rows: Iterator[list[Any]], *, first_row: int = 1
                  ) -> tuple[list[str], int, Iterator[list[Any]]]:
    """Skip blank rows; the first non-blank row is the header. Returns the header texts, its
    1-based row number, and the remaining rows (cells converted)."""
    number = first_row - 1
    for raw in rows:
        number += 1
        row = [_cell(v) for v in raw]
        if not _is_empty(row):
            headers = [_header_text(v) for v in row]
            return headers, number, map(_cells, rows)
    raise ImportFileError(f"{file_name}: the sheet is empty; the first row must hold the "
                          "column names.", f"{file_name}：工作表为空；第一行应为列名。",
                          code="import_empty_sheet")


def _pick_sheet(file_name: str, names: list[str], wanted: str | None) -> str:
    if wanted is None:
        if not names:
            raise ImportFileError(f"{file_name} has no worksheet.", f"{file_name} 中没有工作表。",
                                  code="import_no_sheet")
        return names[0]
    if wanted in names:
        return wanted
    listed = ", ".join(names)
    raise ImportFileError(f"{file_name} has no sheet named {wanted!r}; it has: {listed}.",
                          f"{file_name} 中没有名为 {wanted!r} 的工作表，现有：{listed}。",
                          code="import_sheet_not_found")


# --- xlsx: calamine ---------------------------------------------------------------------------
def _refuse_merged_header(file_name: str, merged: list[Any], header_row: int) -> None:
    for (r0, c0), (r1, c1) in merged or []:
        if r0 + 1 <= header_row:
            ref = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
            raise ImportFileError(
                f"{file_name}: the header area has merged cells ({ref}). Tessera needs one "
                f"column name per column in a single header row: unmerge {ref}, delete any "
                "title rows above the column names, and import again.",
                f"{file_name}：表头区域有合并单元格（{ref}）。导入需要单行表头、每列一个列名："
                f"请取消合并 {ref}，删除列名上方的标题行后重新导入。",
                code="import_merged_header")


@contextlib.contextmanager
def _open_calamine(path: Path, sheet: str | None) -> Iterator[SheetSource]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    try:
        visible = [m.name for m in workbook.sheets_metadata
                   if str(m.typ).endswith("WorkSheet")]
        name = _pick_sheet(path.name, visible or list(workbook.sheet_names), sheet)
        data = workbook.get_sheet_by_name(name)
        offset = data.start[1] if data.start else 0
        rows = (data.iter_rows() if not offset   # the rows come as fresh lists
                else ([None] * offset + list(r) for r in data.iter_rows()))
        headers, header_row, body = _split_header(path.name, rows)
        _refuse_merged_header(path.name, data.merged_cell_ranges, header_row)
        total = max(0, data.height - header_row) if data.start else 0
        yield SheetSource(path.name, name, "calamine", headers, header_row, body, total)
    finally:
        workbook.close()


# --- xlsx: openpyxl streaming -----------------------------------------------------------------
@contextlib.contextmanager
def _open_openpyxl(path: Path, sheet: str | None) -> Iterator[SheetSource]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    try:
        name = _pick_sheet(path.name, workbook.sheetnames, sheet)
        ws = workbook[name]
        rows = (list(r) for r in ws.iter_rows(values_only=True))
        headers, header_row, body = _split_header(path.name, rows)
        total = max(0, (ws.max_row or 0) - header_row) or None
        yield SheetSource(path.name, name, "openpyxl", headers, header_row, body, total)
    finally:
        workbook.close()


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:?[A-Z]*(\d*)"')
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)>")
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def _tags(pattern: re.Pattern[str], xml: str) -> list[dict[str, str]]:
    return [dict(_ATTR.findall(m.group(1))) for m in pattern.finditer(xml)]


def declared_rows(path: str | Path, sheet: str | None = None) -> int | None:
    """The row count a worksheet declares in its <dimension> tag (cheap: reads the sheet's first
    bytes only); None when the file does not say."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            sheets = [(a.get("name"), a.get("r:id")) for a in _tags(_SHEET, workbook)]
            if not sheets:
                return None
            rid = next((r for n, r in sheets if n == sheet), sheets[0][1])
            target = {a.get("Id"): a.get("Target") for a in _tags(_REL, rels)}.get(rid)
            if not target:
                return None
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            with archive.open(member) as handle:
                match = _DIMENSION.search(handle.read(4096))
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    if not match or not match.group(1):
        return None
    return int(match.group(1))


# --- csv --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _open_csv(path: Path, sheet: str | None) -> Iterator[SheetSource]:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)

        def rows() -> Iterator[list[Any]]:
            try:
                yield from reader
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{path.name}: line {reader.line_num + 1} is not valid {encoding}; save the "
                    "whole file in one encoding (CSV UTF-8) and import again.",
                    f"{path.name}：第 {reader.line_num + 1} 行不是有效的 {encoding} 编码；"
                    "请将整个文件另存为 CSV UTF-8 后重新导入。",
                    code="import_encoding_mixed") from exc

        headers, header_row, body = _split_header(path.name, rows())
        yield SheetSource(path.name, None, f"csv ({encoding})", headers, header_row, body, None)


def _unreadable(path: Path, exc: Exception) -> ImportFileError:
    return ImportFileError(
        f"{path.name} cannot be read as a spreadsheet ({exc}). Open it in Excel or WPS, save it "
        "as .xlsx and import again.",
        f"无法读取 {path.name}（{exc}）。请用 Excel 或 WPS 打开并另存为 .xlsx 后重新导入。",
        code="import_unreadable")


READERS: dict[str, ReaderSpec] = {spec.name: spec for spec in (
    ReaderSpec("calamine", (".xlsx", ".xlsm"), _open_calamine,
               "python-calamine: fast; holds one sheet's cells in Rust memory"),
    ReaderSpec("openpyxl", (".xlsx", ".xlsm"), _open_openpyxl,
               "openpyxl read-only: streaming, constant memory, ~11x slower"),
    ReaderSpec("csv", (".csv",), _open_csv,
               "standard library csv: UTF-8 (BOM or not) or GB18030, delimiter sniffed"),
)}


def _choose(path: Path, sheet: str | None, reader: str) -> ReaderSpec:
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise ImportFileError(
            f"{path.name}: Tessera imports {', '.join(EXTENSIONS)} files. Save the sheet as "
            ".xlsx (or CSV UTF-8) and import again.",
            f"{path.name}：仅支持导入 {'、'.join(EXTENSIONS)} 文件。请另存为 .xlsx（或 CSV UTF-8）后"
            "重新导入。", code="import_unsupported_file")
    if reader != "auto":
        spec = READERS.get(reader)
        if spec is None or suffix not in spec.extensions:
            raise ImportFileError(f"Reader {reader!r} cannot read {suffix} files.",
                                  f"读取器 {reader!r} 不能读取 {suffix} 文件。",
                                  code="import_reader_unknown")
        return spec
    if suffix == ".csv":
        return READERS["csv"]
    rows = declared_rows(path, sheet)
    big = rows > STREAM_ABOVE_ROWS if rows else path.stat().st_size > STREAM_ABOVE_BYTES
    return READERS["openpyxl" if big else "calamine"]


@contextlib.contextmanager
def open_sheet(path: str | Path, sheet: str | None = None, *,
               reader: str = "auto") -> Iterator[SheetSource]:
    """Open ``path`` (.xlsx, .xlsm or .csv) and yield its ``SheetSource``."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"File not found: {path}", f"找不到文件：{path}",
                              code="import_file_not_found")
    spec = _choose(path, sheet, reader)
    with spec.open(path, sheet) as source:
        yield source
