"""Readers: encodings, delimiters, header detection, merged headers refused, both xlsx readers
yielding the same rows, and clear errors for files that cannot be read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from iofiles import write_csv, write_xlsx

from tessera.io.encoding import detect_encoding
from tessera.io.errors import ImportFileError
from tessera.io.readers import declared_rows, open_sheet

ROWS = [["姓名", "手机", "消费"], ["张三", "13800138000", "¥1,234"], ["李四", "13900139000", "88"]]


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("gb18030", "gb18030"),
])
def test_csv_encoding_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS, encoding=encoding)
    assert detect_encoding(path) == expected
    with open_sheet(path) as source:
        assert source.headers == ROWS[0]
        assert list(source.rows) == ROWS[1:]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "d.csv", ROWS, delimiter=delimiter)
    with open_sheet(path) as source:
        assert source.headers == ROWS[0]
        assert list(source.rows)[0] == ROWS[1]


def test_csv_in_no_known_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("名字\n张三\n".encode("utf-16"))
    with pytest.raises(ImportFileError) as info:
        detect_encoding(path)
    assert info.value.code == "import_encoding_unknown"
    assert "CSV UTF-8" in info.value.message_en


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_xlsx_readers_agree(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [
        [None, None],
        ["姓名", "生日", "到店", "金额"],
        ["张三", dt.date(1990, 1, 5), dt.datetime(2024, 3, 1, 9, 30), 12.5],
        [None, None, None, None],
        ["李四", "1991/2/3", None, 7],
    ], formats={"B": "yyyy-mm-dd", "C": "yyyy-mm-dd hh:mm"})
    with open_sheet(path, reader=reader) as source:
        assert source.header_row == 2
        assert source.headers == ["姓名", "生日", "到店", "金额"]
        rows = list(source.rows)
    assert rows[0][0] == "张三"
    assert rows[0][1] in (dt.date(1990, 1, 5), dt.datetime(1990, 1, 5))
    assert rows[0][2] == dt.datetime(2024, 3, 1, 9, 30)
    assert rows[0][3] == 12.5
    assert all(v is None for v in rows[1])
    assert rows[2][:2] == ["李四", "1991/2/3"]
    assert float(rows[2][3]) == 7


@pytest.mark.parametrize("merge, where", [("A1:C1", "A1:C1"), ("B2:C2", "B2:C2")])
def test_merged_header_cells_are_refused(tmp_path: Path, merge: str, where: str) -> None:
    rows = [["客户名单", None, None], ["姓名", "手机", None], ["张三", "138", None]] \
        if merge == "A1:C1" else [["姓名", "联系方式", None], ["张三", "138", "139"]]
    if merge == "B2:C2":
        rows = [[None, None, None]] + rows
    path = write_xlsx(tmp_path / "m.xlsx", rows, merge=merge)
    with pytest.raises(ImportFileError) as info:
        with open_sheet(path, reader="calamine"):
            pass
    assert info.value.code == "import_merged_header"
    assert where in info.value.message_en and "unmerge" in info.value.message_en
    assert "取消合并" in info.value.message_zh


def test_sheet_by_name_and_unknown_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", ROWS, sheet="客户")
    with open_sheet(path, "客户") as source:
        assert source.sheet == "客户"
    with pytest.raises(ImportFileError) as info:
        with open_sheet(path, "Orders"):
            pass
    assert "客户" in info.value.message_en


@pytest.mark.parametrize("name, content, code", [
    ("a.xls", b"\xd0\xcf\x11\xe0", "import_unsupported_file"),
    ("a.xlsx", b"not a zip", "import_unreadable"),
    ("empty.csv", b"\n\n", "import_empty_sheet"),
])
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as info:
        with open_sheet(path):
            pass
    assert info.value.code == code


def test_declared_rows_reads_the_dimension(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", [["a"], *[[i] for i in range(41)]])
    assert declared_rows(path) == 42


@pytest.mark.parametrize("threshold, reader", [(41, "openpyxl"), (42, "calamine")])
def test_auto_streams_big_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 threshold: int, reader: str) -> None:
    from tessera.io import readers

    monkeypatch.setattr(readers, "STREAM_ABOVE_ROWS", threshold)
    path = write_xlsx(tmp_path / "big.xlsx", [["a"], *[[i] for i in range(41)]])
    with open_sheet(path) as source:
        assert source.reader == reader
        assert [float(r[0]) for r in source.rows] == [float(i) for i in range(41)]
