"""Writers and readers of the spreadsheet files the import/export tests generate."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, sheet: str = "Sheet1",
               merge: str | None = None, formats: dict[str, str] | None = None,
               application: str | None = None) -> Path:
    """An .xlsx written by openpyxl (normal mode, like Excel): ``formats`` maps a column
    letter to a number format; ``application`` sets docProps/app.xml (e.g. WPS)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for letter, fmt in (formats or {}).items():
        for cell in ws[letter][1:]:
            cell.number_format = fmt
    if merge:
        ws.merge_cells(merge)
    if application:
        wb.properties.creator = application
    wb.save(path)
    if application:
        _set_application(path, application)
    return path


def _set_application(path: Path, application: str) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/app.xml":
                data = data.replace(b"Microsoft Excel", application.encode())
            dst.writestr(item, data)
    tmp.replace(path)


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def read_xlsx(path: Path) -> list[list[Any]]:
    ws = load_workbook(path).active
    return [list(r) for r in ws.iter_rows(values_only=True)]
