"""The streaming .xlsx writer: what openpyxl and python-calamine read back from it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from tessera.io import xlsx_writer
from tessera.io.xlsx_writer import ExcelError, XlsxColumn, XlsxStreamWriter, excel_serial


@pytest.mark.parametrize("value, serial", [
    (dt.date(1900, 3, 1), 61.0),
    (dt.date(2024, 1, 5), 45296.0),
    (dt.datetime(2024, 1, 5, 12, 0), 45296.5),
    (dt.datetime(2024, 1, 5, 6, 0, tzinfo=dt.UTC), 45296.25),
    (dt.date(1900, 2, 28), None),
    (dt.date(1850, 1, 1), None),
])
def test_excel_serial(value: dt.date, serial: float | None) -> None:
    assert excel_serial(value) == serial


def test_cells_read_back(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    columns = [XlsxColumn("名称", 12), XlsxColumn("金额", 10, '"¥"#,##0.00'),
               XlsxColumn("日期", 12, "yyyy-mm-dd"), XlsxColumn("是", 6),
               XlsxColumn("公式", 8, "0.00")]
    with XlsxStreamWriter(path, "客户's <list>", columns) as writer:
        writer.write_rows([["a & <b>", 1234.5, dt.date(2024, 1, 5), True, ExcelError("#N/A")],
                           [" =SUM(A1) ", 7, dt.date(1850, 1, 1), False, None]])
        writer.write_rows([[None, None, None, None, 0.25]])
    ws = load_workbook(path)["客户's <list>"]
    assert [c.value for c in ws[1]] == ["名称", "金额", "日期", "是", "公式"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E4"
    assert ws.column_dimensions["A"].width == 12
    a2, b2, c2, d2, e2 = ws[2]
    assert (a2.value, b2.value, b2.number_format) == ("a & <b>", 1234.5, '"¥"#,##0.00')
    assert c2.is_date and c2.value == dt.datetime(2024, 1, 5)
    assert d2.value is True and (e2.value, e2.data_type) == ("#N/A", "e")
    a3, b3, c3, d3, _ = ws[3]
    assert (a3.value, a3.data_type) == (" =SUM(A1) ", "s")
    assert (b3.value, c3.value, d3.value) == (7, "1850-01-01", False)
    assert ws["E4"].value == 0.25 and ws["A4"].value is None
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[1][:4] == ["a & <b>", 1234.5, dt.date(2024, 1, 5), True]


def test_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_writer, "MAX_ROWS", 3)
    with XlsxStreamWriter(tmp_path / "x.xlsx", "S", [XlsxColumn("a", 8)]) as writer:
        writer.write_rows([[1], [2]])
        with pytest.raises(OverflowError):
            writer.write_rows([[3]])
