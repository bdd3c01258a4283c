"""Upsert by key through the set-based update (tessera/io/upsert.py), on both backends:
counts and values, history equal to what one-record updates record, undo, rejects of matched
rows, all-or-nothing, links, and one UPDATE statement per chunk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from iofiles import read_xlsx, write_xlsx

from tessera import bulkwrite
from tessera.io import ImportOptions, import_file
from tessera.query import query_records
from tessera.records import RecordService

FIELDS = [
    ("编号", "text", None),
    ("手机", "phone", None),
    ("消费", "currency", None),
    ("折扣", "percent", None),
    ("会员", "checkbox", None),
    ("生日", "date", None),
    ("到店", "datetime", {"timezone": "Asia/Shanghai"}),
    ("等级", "single_select", {"choices": [{"label": "VIP"}, {"label": "普通"}]}),
    ("标签", "multi_select", {"choices": [{"label": "A"}, {"label": "B"}]}),
    ("次数", "number", {"precision": 0}),
    ("备注", "long_text", None),
]
HEADERS = ["姓名", "编号", "手机", "消费", "折扣", "会员", "生日", "到店", "等级", "标签", "次数",
           "备注"]
SEED = [
    ["张三", "K1", "13800138000", 10, "5%", "是", dt.date(1990, 1, 5),
     dt.datetime(2024, 3, 1, 9, 30), "VIP", "A", 1, "老客户"],
    ["李四", "K2", "13900139000", 20, 0.1, "否", dt.date(1991, 2, 6),
     dt.datetime(2024, 3, 2, 10, 0), "普通", "B", 2, None],
    ["王五", "K3", "13700137000", 30, "15%", "是", None, None, "VIP", None, 3, "x"],
]
# K1 changes every field; K2 is given as it is; K4 is new; K3 has a bad number
CHANGES = [
    ["张三丰", "K1", "13800138001", "¥1,234", "50%", "否", "2024/1/5",
     dt.datetime(2024, 7, 1, 8, 0), "普通", "A、B", 9, None],
    SEED[1],
    ["赵六", "K4", None, 5, None, None, None, None, None, None, 4, "新"],
    ["王五", "K3", "13700137000", 30, "15%", "是", None, None, "VIP", None, "很多", "y"],
]


def by_key(engine: Any, table_id: int) -> dict[str, dict[str, Any]]:
    rows = query_records(engine, table_id, limit=1000, sort=[]).rows
    return {r["fields"]["编号"]: {**r["fields"], "id": r["id"]} for r in rows}


def seeded(engine: Any, make_table: Any, tmp_path: Path, name: str = "客户") -> Any:
    table = make_table(name, FIELDS)
    result = import_file(engine, table.id, write_xlsx(tmp_path / "seed.xlsx", [HEADERS, *SEED]))
    assert (result.created, result.rejected) == (3, 0)
    return table


def history_of(service: RecordService, table_id: int, record_id: int
               ) -> list[tuple[str | None, str, Any, Any, str | None]]:
    return sorted((e.field_name, e.action, e.old_value, e.new_value, e.actor)
                  for e in service.history(table_id, record_id) if e.action == "update")


def test_upsert_counts_values_and_rejects(engine, make_table, tmp_path: Path) -> None:
    table = seeded(engine, make_table, tmp_path)
    path = write_xlsx(tmp_path / "b.xlsx", [HEADERS, *CHANGES])
    result = import_file(engine, table.id, path, ImportOptions(key="编号"))
    assert (result.created, result.updated, result.rejected) == (1, 2, 1), result.summary()
    rows = by_key(engine, table.id)
    k1 = rows["K1"]
    assert (k1["姓名"], k1["手机"], k1["消费"], k1["折扣"], k1["会员"], k1["生日"], k1["到店"],
            k1["等级"], k1["标签"], k1["次数"], k1["备注"]) == (
        "张三丰", "13800138001", 1234.0, 0.5, False, "2024-01-05", "2024-07-01T00:00:00Z",
        "普通", ["A", "B"], 9.0, None)
    assert rows["K3"]["备注"] == "x"                 # the bad row changed nothing
    assert rows["K4"]["姓名"] == "赵六"
    report = read_xlsx(result.reject_report)
    assert report[1][0] == 5 and "次数" in report[1][-1] and "很多" in report[1][-1]


def test_upsert_history_equals_one_record_updates(engine, make_table, tmp_path: Path) -> None:
    imported = seeded(engine, make_table, tmp_path)
    by_hand = seeded(engine, make_table, tmp_path, "客户（手工）")
    import_file(engine, imported.id, write_xlsx(tmp_path / "b.xlsx", [HEADERS, *CHANGES[:2]]),
                ImportOptions(key="编号"))
    service = RecordService(engine)
    hand = by_key(engine, by_hand.id)
    for row in CHANGES[:2]:
        service.update(by_hand.id, hand[row[1]]["id"], dict(zip(HEADERS, row, strict=True)),
                       actor="import:b.xlsx")
    mine = by_key(engine, imported.id)
    assert mine == {k: {**v, "id": mine[k]["id"]} for k, v in by_key(engine, by_hand.id).items()}
    k1 = history_of(service, imported.id, mine["K1"]["id"])
    assert k1 == history_of(service, by_hand.id, hand["K1"]["id"])
    assert {name for name, *_ in k1} == set(HEADERS) - {"编号"}   # every changed field
    assert ("消费", "update", 10.0, 1234.0, "import:b.xlsx") in k1
    assert history_of(service, imported.id, mine["K2"]["id"]) == []   # nothing changed


def test_undo_of_an_upsert_restores_the_old_values(engine, make_table, tmp_path: Path) -> None:
    table = seeded(engine, make_table, tmp_path)
    before = by_key(engine, table.id)
    result = import_file(engine, table.id, write_xlsx(tmp_path / "b.xlsx", [HEADERS, *CHANGES]),
                         ImportOptions(key="编号"))
    assert len(result.change_set_ids) == 2          # the created batch and the update
    service = RecordService(engine)
    for change_set in reversed(result.change_set_ids):
        service.undo(change_set)
    after = by_key(engine, table.id)
    assert set(after) == {"K1", "K2", "K3"}
    for key, values in before.items():
        assert {k: v for k, v in after[key].items() if k != "id"} == \
            {k: v for k, v in values.items() if k != "id"}, key


def test_all_or_nothing_upsert_writes_nothing(engine, make_table, tmp_path: Path) -> None:
    table = seeded(engine, make_table, tmp_path)
    before = by_key(engine, table.id)
    path = write_xlsx(tmp_path / "b.xlsx", [HEADERS, *CHANGES])
    result = import_file(engine, table.id, path,
                         ImportOptions(key="编号", all_or_nothing=True, chunk_size=2))
    assert (result.committed, result.created, result.updated, result.rejected) == (
        False, 0, 0, 1)
    assert by_key(engine, table.id) == before
    assert history_of(RecordService(engine), table.id, before["K1"]["id"]) == []


def test_one_update_statement_per_chunk(engine, make_table, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table("客户", FIELDS)
    seed = [HEADERS] + [[f"客户{i}", f"K{i}"] + [None] * 8 + [i, None] for i in range(7)]
    import_file(engine, table.id, write_xlsx(tmp_path / "s.xlsx", seed))
    calls: list[int] = []
    real = bulkwrite.update_columns

    def spy(conn: Any, t: Any, ids: Any, columns: Any, values: Any) -> None:
        calls.append(len(ids))
        real(conn, t, ids, columns, values)

    def one_by_one(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an import updates set-based, not record by record")
    monkeypatch.setattr("tessera.io.upsert.update_columns", spy)
    monkeypatch.setattr(RecordService, "_update", one_by_one)
    again = [HEADERS] + [[f"新{i}", f"K{i}"] + [None] * 8 + [i * 10, None] for i in range(7)]
    result = import_file(engine, table.id, write_xlsx(tmp_path / "u.xlsx", again),
                         ImportOptions(key="编号", chunk_size=3))
    assert (result.updated, result.created) == (7, 0)
    assert calls == [3, 3, 1]
    assert sorted(r["次数"] for r in by_key(engine, table.id).values()) == [
        0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


@pytest.fixture
def linked(engine, make_table):
    doctors = make_table("医生", [("工号", "text", None)], primary="名字")
    service = RecordService(engine)
    for name, code in (("王医生", "D1"), ("李医生", "D2")):
        service.create(doctors.id, {"名字": name, "工号": code})
    visits = make_table("就诊", [("编号", "text", None),
                                 ("医生", "link", {"target_table_id": doctors.id, "many": True})],
                        primary="单号")
    return doctors, visits


def test_upsert_links_replace_and_empty_cells_keep(engine, linked, tmp_path: Path) -> None:
    doctors, visits = linked
    names = {r["fields"]["名字"]: r["id"]
             for r in query_records(engine, doctors.id, limit=10, sort=[]).rows}
    seed = write_xlsx(tmp_path / "s.xlsx", [["单号", "编号", "医生"], ["V1", "A", "王医生"],
                                            ["V2", "B", "王医生"]])
    import_file(engine, visits.id, seed)
    path = write_xlsx(tmp_path / "u.xlsx", [["单号", "编号", "医生"], ["V1+", "A", "李医生"],
                                            ["V2+", "B", None], ["V3", "C", "张医生"]])
    result = import_file(engine, visits.id, path, ImportOptions(key="编号"))
    assert (result.updated, result.created, result.rejected) == (2, 0, 1)
    rows = {r["fields"]["编号"]: r["fields"]
            for r in query_records(engine, visits.id, limit=10, sort=[]).rows}
    assert rows["A"]["医生"] == [names["李医生"]] and rows["A"]["单号"] == "V1+"
    assert rows["B"]["医生"] == [names["王医生"]] and rows["B"]["单号"] == "V2+"
    assert "张医生" in read_xlsx(result.reject_report)[1][-1]
