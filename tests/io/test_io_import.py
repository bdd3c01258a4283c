"""Import on both backends: Chinese/WPS headers, the field parsers on spreadsheet cells,
upsert by key, duplicate keys, links, the reject report, all-or-nothing, new fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from iofiles import read_xlsx, write_csv, write_xlsx

from tessera import schema_ops as schema
from tessera.history import CS
from tessera.io import ImportFileError, ImportOptions, import_file
from tessera.io.rejects import REASON_HEADER, ROW_HEADER
from tessera.query import query_records

CUSTOMER_FIELDS = [
    ("手机", "phone", None),
    ("消费", "currency", None),
    ("折扣", "percent", None),
    ("会员", "checkbox", None),
    ("生日", "date", None),
    ("到店", "datetime", {"timezone": "Asia/Shanghai"}),
    ("等级", "single_select", {"choices": [{"label": "VIP"}, {"label": "普通"}]}),
    ("标签", "multi_select", {"choices": [{"label": "A"}, {"label": "B"}, {"label": "C"}]}),
    ("编号", "text", None),
    ("次数", "number", {"precision": 0}),
]


def rows_of(engine: Any, table_id: int) -> list[dict[str, Any]]:
    page = query_records(engine, table_id, limit=5000, sort=[])
    return [r["fields"] for r in page.rows]


# (column, cell as written in the file, expected API value)
PARSE_CASES = [
    ("消费", "¥1,234", 1234.0),
    ("消费", "1,234.50", 1234.5),
    ("消费", 99.5, 99.5),
    ("折扣", "50%", 0.5),
    ("折扣", 0.25, 0.25),
    ("会员", "是", True),
    ("会员", "否", False),
    ("会员", "TRUE", True),
    ("生日", dt.date(1990, 1, 5), "1990-01-05"),
    ("生日", "2024/1/5", "2024-01-05"),
    ("生日", "2024年1月5日", "2024-01-05"),
    ("生日", "2024-01-05", "2024-01-05"),
    ("生日", 45296, "2024-01-05"),
    ("到店", dt.datetime(2024, 3, 1, 9, 30), "2024-03-01T01:30:00Z"),
    ("到店", "2024/3/1 9:30", "2024-03-01T01:30:00Z"),
    ("等级", "vip", "VIP"),
    ("标签", "A,B", ["A", "B"]),
    ("标签", "A，C", ["A", "C"]),
    ("标签", "B;C", ["B", "C"]),
    ("标签", "A、B、C", ["A", "B", "C"]),
    ("编号", 12345, "12345"),
    ("编号", "00123", "00123"),
    ("次数", "１２", 12.0),
    ("次数", "3", 3.0),
    ("手机", 13800138000, "13800138000"),
]


@pytest.mark.parametrize("column, cell, expected", PARSE_CASES,
                         ids=[f"{c}-{v!r}" for c, v, _ in PARSE_CASES])
def test_cells_parse_with_the_field_parsers(engine, make_table, tmp_path: Path, column: str,
                                            cell: Any, expected: Any) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "c.xlsx", [["姓名", column], ["张三", cell]],
                      formats={"B": "yyyy-mm-dd hh:mm"} if isinstance(cell, dt.datetime)
                      else ({"B": "yyyy-mm-dd"} if isinstance(cell, dt.date) else None))
    result = import_file(engine, table.id, path)
    assert (result.created, result.rejected) == (1, 0), result.summary()
    assert rows_of(engine, table.id)[0][column] == expected


HEADER_CASES = [
    (["姓名", "手机"], ["mapped", "mapped"]),
    ([" 姓名 ", "手机\u3000"], ["mapped", "mapped"]),
    (["姓名", "ＶＩＰ"], ["mapped", "mapped"]),                  # full-width letters
    (["姓名", "vip"], ["mapped", "mapped"]),                     # case
    (["姓名", "备注"], ["mapped", "unmapped"]),
    (["姓名", "姓名"], ["mapped", "duplicate"]),
    (["姓名", ""], ["mapped", "blank"]),
    (["姓名", "合计"], ["mapped", "computed"]),
]


@pytest.mark.parametrize("headers, statuses", HEADER_CASES, ids=[",".join(h) for h, _ in HEADER_CASES])
def test_headers_map_by_name(engine, make_table, tmp_path: Path, headers: list[str],
                             statuses: list[str]) -> None:
    table = make_table("客户", [("手机", "phone", None), ("VIP", "checkbox", None),
                              ("合计", "formula", {"formula": "LEN({姓名})"})])
    path = write_xlsx(tmp_path / "h.xlsx", [headers, ["张三", "x"]])
    result = import_file(engine, table.id, path, ImportOptions(reject_report=tmp_path / "r.xlsx"))
    assert [c.status for c in result.mapping.columns] == statuses
    summary = result.summary()
    for letter, status in zip("AB", statuses, strict=True):
        assert (f"column {letter} " in summary) == (status != "mapped"), summary


def test_wps_style_file(engine, make_table, tmp_path: Path) -> None:
    """WPS: app name, a blank first row, full-width headers with spaces, Chinese date format
    codes on serial numbers, amounts and counts stored as text."""
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "wps.xlsx", [
        [None, None, None, None],
        ["姓名 ", "消费（元）", "生日", "次数"],
        ["张三", "¥1,234.00", 32878, "１２"],
        ["李四", "88", 33272, "3"],
    ], formats={"C": 'yyyy"年"m"月"d"日"'}, application="WPS 表格")
    schema.rename_field(engine, table.field("消费").id, "消费(元)")
    result = import_file(engine, table.id, path)
    assert (result.created, result.rejected) == (2, 0), result.summary()
    rows = rows_of(engine, table.id)
    assert [(r["姓名"], r["消费(元)"], r["生日"], r["次数"]) for r in rows] == [
        ("张三", 1234.0, "1990-01-05", 12.0), ("李四", 88.0, "1991-02-03", 3.0)]


def test_gb18030_csv_with_chinese_headers(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_csv(tmp_path / "gbk.csv", [["姓名", "手机", "等级", "生日"],
                                            ["张三", "13800138000", "普通", "2024/1/5"],
                                            ["欧阳娜娜", "13900139000", "VIP", "2024年2月1日"]],
                     encoding="gb18030")
    result = import_file(engine, table.id, path)
    assert result.reader == "csv (gb18030)"
    assert [(r["姓名"], r["等级"], r["生日"]) for r in rows_of(engine, table.id)] == [
        ("张三", "普通", "2024-01-05"), ("欧阳娜娜", "VIP", "2024-02-01")]


def test_upsert_by_key_updates_matches_and_creates_the_rest(engine, make_table,
                                                            tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    first = write_xlsx(tmp_path / "a.xlsx", [["姓名", "手机", "次数"],
                                             ["张三", "13800138000", 1],
                                             ["李四", "13900139000", 2]])
    assert import_file(engine, table.id, first, ImportOptions(key="手机")).created == 2
    second = write_xlsx(tmp_path / "b.xlsx", [["姓名", "手机", "次数"],
                                              ["张三丰", 13800138000, 5],
                                              ["王五", "13700137000", 1],
                                              ["无号码", None, 9]])
    result = import_file(engine, table.id, second, ImportOptions(key="手机"))
    assert (result.created, result.updated, result.rejected) == (2, 1, 0)
    rows = {r["姓名"]: (r["手机"], r["次数"]) for r in rows_of(engine, table.id)}
    assert rows == {"张三丰": ("13800138000", 5.0), "李四": ("13900139000", 2.0),
                    "王五": ("13700137000", 1.0), "无号码": (None, 9.0)}


def test_duplicate_keys_in_the_file_are_rejected_after_the_first(engine, make_table,
                                                                 tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "dup.xlsx", [["姓名", "编号"], ["张三", "A1"], ["李四", "A2"],
                                              ["张三（重复）", "A1"]])
    report = tmp_path / "dup.rejects.xlsx"
    result = import_file(engine, table.id, path, ImportOptions(key="编号"))
    assert (result.created, result.rejected) == (2, 1)
    assert result.reject_report == report
    rejected = read_xlsx(report)
    assert rejected[1][:3] == [4, "张三（重复）", "A1"]
    assert "repeats the key of row 2" in rejected[1][-1]


def test_key_matching_several_records_is_rejected(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    seed = write_xlsx(tmp_path / "s.xlsx", [["姓名", "编号"], ["甲", "X"], ["乙", "X"]])
    import_file(engine, table.id, seed)
    path = write_xlsx(tmp_path / "k.xlsx", [["姓名", "编号"], ["丙", "X"]])
    result = import_file(engine, table.id, path, ImportOptions(key="编号"))
    assert (result.updated, result.rejected) == (0, 1)
    assert "matches 2 records" in read_xlsx(result.reject_report)[1][-1]


@pytest.fixture
def linked(engine, make_table):
    doctors = make_table("医生", [("工号", "text", None)], primary="名字")
    for name, code in (("王医生", "D1"), ("李医生", "D2"), ("Dr. Chen", "D3")):
        from tessera.records import RecordService

        RecordService(engine).create(doctors.id, {"名字": name, "工号": code})
    visits = make_table("就诊", [("医生", "link", {"target_table_id": doctors.id, "many": True}),
                                 ("主治", "link", {"target_table_id": doctors.id,
                                                   "many": False})], primary="单号")
    return doctors, visits


def _linked_names(engine, doctors_id: int, ids: list[int]) -> list[str]:
    from tessera.records import RecordService

    return [RecordService(engine).get(doctors_id, i)["fields"]["名字"] for i in ids]


def test_links_by_primary_field(engine, linked, tmp_path: Path) -> None:
    doctors, visits = linked
    path = write_xlsx(tmp_path / "v.xlsx", [["单号", "医生", "主治"],
                                            ["V1", "王医生、李医生", "dr. chen"],
                                            ["V2", "李医生", None],
                                            ["V3", "张医生", "王医生"]])
    result = import_file(engine, visits.id, path)
    assert (result.created, result.rejected) == (2, 1)
    rows = rows_of(engine, visits.id)
    assert _linked_names(engine, doctors.id, rows[0]["医生"]) == ["王医生", "李医生"]
    assert _linked_names(engine, doctors.id, rows[0]["主治"]) == ["Dr. Chen"]
    assert rows[1]["主治"] == []
    reason = read_xlsx(result.reject_report)[1][-1]
    assert "no record in '医生' has 名字 = '张医生'" in reason


def test_links_by_another_field(engine, linked, tmp_path: Path) -> None:
    doctors, visits = linked
    path = write_xlsx(tmp_path / "v.xlsx", [["单号", "医生"], ["V1", "D2, D3"], ["V2", "D9"]])
    result = import_file(engine, visits.id, path, ImportOptions(links={"医生": "工号"}))
    assert (result.created, result.rejected) == (1, 1)
    assert _linked_names(engine, doctors.id, rows_of(engine, visits.id)[0]["医生"]) == [
        "李医生", "Dr. Chen"]
    assert "工号 = 'D9'" in read_xlsx(result.reject_report)[1][-1]


def test_single_link_refuses_two_records(engine, linked, tmp_path: Path) -> None:
    _doctors, visits = linked
    path = write_xlsx(tmp_path / "v.xlsx", [["单号", "主治"], ["V1", "王医生,李医生"]])
    result = import_file(engine, visits.id, path)
    assert result.rejected == 1
    assert "links to one record only" in read_xlsx(result.reject_report)[1][-1]


def test_reject_report_content(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "bad.xlsx", [
        ["姓名", "消费", "等级", "生日", "备注"],
        ["好", "12", "VIP", "2024-01-01", "ok"],
        ["坏", "abc", "钻石", "2024-13-45", "x"],
        ["好2", "¥3", None, None, "ok"],
    ])
    result = import_file(engine, table.id, path)
    assert (result.created, result.rejected) == (2, 1)
    report = read_xlsx(result.reject_report)
    assert report[0] == [ROW_HEADER, "姓名", "消费", "等级", "生日", "备注", REASON_HEADER]
    assert report[1][:6] == [3, "坏", "abc", "钻石", "2024-13-45", "x"]
    reason = report[1][6]
    for part in ("消费: 'abc' is not valid", "等级: '钻石'", "one of: VIP, 普通", "生日:", "应为"):
        assert part in reason
    assert len(report) == 2


def test_no_reject_report_when_every_row_is_good(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "ok.xlsx", [["姓名"], ["甲"], [None], ["乙"]])
    result = import_file(engine, table.id, path)
    assert (result.created, result.blank_rows, result.reject_report) == (2, 1, None)
    assert not (tmp_path / "ok.rejects.xlsx").exists()


def test_all_or_nothing_rolls_back_everything(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    rows = [["姓名", "编号", "次数"]] + [[f"客户{i}", f"K{i}", i] for i in range(12)]
    rows.append(["坏", "K99", "很多"])
    path = write_xlsx(tmp_path / "all.xlsx", rows)
    options = ImportOptions(all_or_nothing=True, create_fields=True, chunk_size=5)
    result = import_file(engine, table.id, path, options)
    assert (result.committed, result.created, result.rejected) == (False, 0, 1)
    assert rows_of(engine, table.id) == []
    assert "NOTHING WRITTEN" in result.summary()
    assert read_xlsx(result.reject_report)[1][1] == "坏"
    again = import_file(engine, table.id, path, ImportOptions(chunk_size=5))
    assert (again.committed, again.created, again.rejected) == (True, 12, 1)


def test_create_fields_infers_types(engine, make_table, tmp_path: Path) -> None:
    table = make_table("名单", [])
    path = write_xlsx(tmp_path / "new.xlsx", [
        ["姓名", "金额", "占比", "日期", "是否到店", "邮箱", "手机号", "备注"],
        ["甲", "¥12.5", "50%", dt.date(2024, 1, 5), "是", "a@b.cn", "13800138000", "x"],
        ["乙", "¥3", "5%", dt.date(2024, 2, 1), "否", "c@d.com", "13900139000", "多行\n文本"],
    ], formats={"D": "yyyy-mm-dd"})
    result = import_file(engine, table.id, path, ImportOptions(create_fields=True))
    assert result.created_fields == ["金额", "占比", "日期", "是否到店", "邮箱", "手机号", "备注"]
    types = {f.name: f.type for f in schema.get_table(engine, table.id).fields}
    assert types == {"姓名": "text", "金额": "currency", "占比": "percent", "日期": "date",
                     "是否到店": "checkbox", "邮箱": "email", "手机号": "text",
                     "备注": "long_text"}
    assert rows_of(engine, table.id)[0]["占比"] == 0.5


@pytest.mark.parametrize("run_automations, prefix", [(False, "import:"),
                                                     (True, "import+automations:")])
def test_origin_marker_reaches_the_change_set(engine, make_table, tmp_path: Path,
                                              run_automations: bool, prefix: str) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "o.xlsx", [["姓名"], ["甲"]])
    result = import_file(engine, table.id, path,
                         ImportOptions(run_automations=run_automations, user="alice"))
    with engine.connect() as conn:
        actor = conn.execute(sa.select(CS.c.actor).where(
            CS.c.id == result.change_set_ids[0])).scalar_one()
    assert actor == f"{prefix}o.xlsx (alice)"


@pytest.mark.parametrize("options, code", [
    (ImportOptions(key="备注"), "import_key_missing"),
    (ImportOptions(key="标签"), "import_key_invalid"),
    (ImportOptions(links={"姓名": "x"}), "import_link_field_invalid"),
])
def test_bad_options_are_explained(engine, make_table, tmp_path: Path, options: ImportOptions,
                                   code: str) -> None:
    table = make_table("客户", CUSTOMER_FIELDS + [("备注", "text", None)])
    path = write_xlsx(tmp_path / "x.xlsx", [["姓名", "标签"], ["甲", "A"]])
    with pytest.raises(ImportFileError) as info:
        import_file(engine, table.id, path, options)
    assert info.value.code == code
    assert rows_of(engine, table.id) == []


def test_no_matching_column_is_explained(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "x.xlsx", [["Foo", "Bar"], [1, 2]])
    with pytest.raises(ImportFileError) as info:
        import_file(engine, table.id, path)
    assert info.value.code == "import_no_columns"
    assert "Foo, Bar" in info.value.message_en


def test_progress_is_reported(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", CUSTOMER_FIELDS)
    path = write_xlsx(tmp_path / "p.xlsx", [["姓名"]] + [[f"n{i}"] for i in range(25)])
    seen: list[tuple[int, int | None]] = []
    import_file(engine, table.id, path, ImportOptions(chunk_size=10),
                progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10, 25), (20, 25), (25, 25)]
