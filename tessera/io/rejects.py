"""The reject report: an .xlsx of the rows that were not imported — the original cells as
read, their row number in the source file and the reason — written as rows arrive
(openpyxl write-only), so it never holds the rejects in memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tessera.io.cells import safe_cell

__all__ = ["RejectReport", "REASON_HEADER", "ROW_HEADER"]

ROW_HEADER = "Row / 行号"
REASON_HEADER = "Reason / 原因"


class RejectReport:
    """Open lazily: the file is created at the first rejected row."""

    def __init__(self, path: str | Path, headers: list[str]) -> None:
        self.path = Path(path)
        self.headers = headers
        self.count = 0
        self._workbook: Any = None
        self._sheet: Any = None

    def _open(self) -> None:
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("Rejected")
        self._sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for text in [ROW_HEADER, *self.headers, REASON_HEADER]:
            cell = WriteOnlyCell(self._sheet, value=text)
            cell.font = bold
            header.append(cell)
        self._sheet.append(header)
        self._sheet.column_dimensions["A"].width = 10

    def add(self, row_number: int, cells: list[Any], reason: str) -> None:
        if self._workbook is None:
            self._open()
        padded = list(cells[:len(self.headers)]) + [None] * (len(self.headers) - len(cells))
        values = [safe_cell(self._sheet, _plain(v)) for v in padded]
        self._sheet.append([row_number, *values, reason])
        self.count += 1

    def close(self) -> Path | None:
        """Save the report; returns its path, or None when nothing was rejected."""
        if self._workbook is None:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._workbook.save(self.path)
        self._workbook = None
        return self.path


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, str, int, float, bool)) or value is None:
        return value
    return str(value)
