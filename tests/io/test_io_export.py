"""Export on both backends: view filters/sorts/hidden fields, the access-rule row filter hook,
real dates and number formats, links and formula results (errors as codes), the header's
look, CSV with a BOM; and the round trip export → import into an empty copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from iofiles import read_xlsx
from openpyxl import load_workbook

from tessera import schema_ops as schema
from tessera.io import ImportOptions, export_records, import_file
from tessera.query import query_records
from tessera.records import RecordService

FIELDS = [
    ("手机", "phone", None),
    ("消费", "currency", {"symbol": "¥", "precision": 2}),
    ("折扣", "percent", {"precision": 1}),
    ("次数", "number", {"precision": 0}),
    ("会员", "checkbox", None),
    ("生日", "date", None),
    ("到店", "datetime", {"timezone": "Asia/Shanghai"}),
    ("等级", "single_select", {"choices": [{"label": "VIP"}, {"label": "普通"}]}),
    ("标签", "multi_select", {"choices": [{"label": "A"}, {"label": "B"}]}),
    ("备注", "long_text", None),
]
RECORDS = [
    {"姓名": "张三", "手机": "13800138000", "消费": "¥1,234.5", "折扣": "12.5%", "次数": 3,
     "会员": True, "生日": "1990-01-05", "到店": "2024-03-01 09:30", "等级": "VIP",
     "标签": ["A", "B"], "备注": "第一行\n第二行"},
    {"姓名": "李四", "手机": "13900139000", "消费": 0, "折扣": "50%", "次数": 0,
     "会员": False, "生日": None, "到店": None, "等级": "普通", "标签": None,
     "备注": "=1+1 stays text"},
    {"姓名": "王五", "消费": "88", "次数": 12},
]


@pytest.fixture
def clinic(engine, make_table) -> dict[str, Any]:
    doctors = make_table("医生", [], primary="名字")
    service = RecordService(engine)
    for name in ("王医生", "李医生"):
        service.create(doctors.id, {"名字": name})
    table = make_table("客户", FIELDS + [("医生", "link", {"target_table_id": doctors.id})])
    schema.add_field(engine, table.id, "人均", "formula", {"formula": "{消费}/{次数}"})
    for i, values in enumerate(RECORDS):
        service.create(table.id, {**values, "医生": [1, 2][: 2 - i] if i < 2 else None})
    return {"table": schema.get_table(engine, table.id), "doctors": doctors}


def test_xlsx_values_formats_and_header(engine, clinic, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    result = export_records(engine, path, table_id=clinic["table"].id)
    assert result.rows == 3
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header == ["姓名", *[f[0] for f in FIELDS], "医生", "人均"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:M4"
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert (row["消费"].value, row["消费"].number_format) == (1234.5, '"¥"#,##0.00')
    assert (row["折扣"].value, row["折扣"].number_format) == (0.125, "0.0%")
    assert (row["次数"].value, row["次数"].number_format) == (3, "#,##0")
    assert row["会员"].value is True
    assert row["生日"].is_date and row["生日"].value == dt.datetime(1990, 1, 5)
    assert row["到店"].is_date and row["到店"].value == dt.datetime(2024, 3, 1, 9, 30)
    assert (row["等级"].value, row["标签"].value) == ("VIP", "A, B")
    assert row["手机"].value == "13800138000" and row["手机"].data_type == "s"
    assert row["医生"].value == "王医生, 李医生"
    assert row["人均"].value == pytest.approx(411.5)
    second = {h: c for h, c in zip(header, ws[3], strict=True)}
    assert second["人均"].value == "#DIV/0!" and second["人均"].data_type == "e"
    assert second["备注"].value == "=1+1 stays text" and second["备注"].data_type == "s"
    assert second["生日"].value is None
    assert ws.column_dimensions["A"].width >= 8
    assert ws.column_dimensions["L"].width >= len("王医生, 李医生") * 2


def test_csv_is_utf8_with_bom(engine, clinic, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export_records(engine, path, table_id=clinic["table"].id)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "姓名,手机,消费,折扣,次数,会员,生日,到店,等级,标签,备注,医生,人均"
    assert lines[1].startswith("张三,13800138000,1234.5,12.5%,3,TRUE,1990-01-05,"
                               "2024-03-01 09:30:00,VIP,\"A, B\",\"第一行")
    assert lines[-1] == "王五,,88,,12,,,,,,,,7.333333333333333"


def test_view_filters_sorts_and_hidden_fields(engine, clinic, tmp_path: Path) -> None:
    table = clinic["table"]
    view = schema.create_view(engine, table.id, "高消费",
                              filters={"field": "消费", "op": ">", "value": 10},
                              sorts=[{"field": "消费", "direction": "asc"}],
                              hidden_fields=[table.field("手机").id, table.field("备注").id])
    path = tmp_path / "view.xlsx"
    result = export_records(engine, path, view_id=view.id)
    rows = read_xlsx(path)
    assert "手机" not in rows[0] and "备注" not in rows[0] and result.columns == rows[0]
    assert [r[0] for r in rows[1:]] == ["王五", "张三"]
    assert load_workbook(path).active.title == "高消费"


def test_row_filter_hook_restricts_rows(engine, clinic, tmp_path: Path) -> None:
    table = clinic["table"]
    seen: list[str] = []

    def only_members(t: Any) -> dict[str, Any]:
        seen.append(t.name)
        return {"field": "会员", "op": "=", "value": True}

    path = tmp_path / "mine.csv"
    result = export_records(engine, path, table_id=table.id, row_filter=only_members,
                            visible_fields=["姓名", "会员"])
    assert seen == ["客户"]
    assert (result.rows, result.columns) == (1, ["姓名", "会员"])
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["姓名,会员", "张三,TRUE"]


def _values(engine, table_id: int) -> list[dict[str, Any]]:
    rows = query_records(engine, table_id, limit=100).rows
    return [r["fields"] for r in rows]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_round_trip_into_an_empty_copy(engine, clinic, make_table, tmp_path: Path,
                                       suffix: str) -> None:
    table = clinic["table"]
    path = tmp_path / f"round{suffix}"
    export_records(engine, path, table_id=table.id, batch=2)
    copy = make_table("客户副本", FIELDS + [("医生", "link",
                                              {"target_table_id": clinic["doctors"].id})])
    schema.add_field(engine, copy.id, "人均", "formula", {"formula": "{消费}/{次数}"})
    result = import_file(engine, copy.id, path, ImportOptions(chunk_size=2))
    assert (result.created, result.rejected) == (3, 0), result.summary()
    assert [c.status for c in result.mapping.columns][-1] == "computed"
    assert _values(engine, copy.id) == _values(engine, table.id)
    original = {f.name: (f.type, f.options) for f in table.fields}
    copied = {f.name: (f.type, f.options) for f in schema.get_table(engine, copy.id).fields}
    assert {k: v[0] for k, v in copied.items()} == {k: v[0] for k, v in original.items()}


def test_export_of_an_empty_table(engine, make_table, tmp_path: Path) -> None:
    table = make_table("空表", [("金额", "currency", None)])
    path = tmp_path / "empty.xlsx"
    assert export_records(engine, path, table_id=table.id).rows == 0
    assert read_xlsx(path) == [["姓名", "金额"]]


def test_too_many_rows_for_excel(engine, clinic, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tessera.io import ImportFileError, xlsx_writer

    monkeypatch.setattr(xlsx_writer, "MAX_ROWS", 3)
    with pytest.raises(ImportFileError) as info:
        export_records(engine, tmp_path / "big.xlsx", table_id=clinic["table"].id)
    assert info.value.code == "export_too_many_rows" and ".csv" in info.value.message_en
    assert export_records(engine, tmp_path / "big.csv", table_id=clinic["table"].id).rows == 3
