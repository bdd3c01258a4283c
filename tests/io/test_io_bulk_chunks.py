"""Imports through the column path: small chunks with bad rows, keys and links in several
chunks; one history entry per created chunk; undo of an import."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from iofiles import read_xlsx, write_xlsx

from tessera.history import H
from tessera.io import ImportOptions, import_file
from tessera.query import count_records, query_records
from tessera.records import RecordService

FIELDS = [("编号", "text", None), ("消费", "currency", None),
          ("等级", "single_select", {"choices": [{"label": "VIP"}, {"label": "普通"}]})]


def _file(tmp_path: Path) -> Path:
    rows = [["姓名", "编号", "消费", "等级"]]
    for i in range(11):
        bad_value = i in (2, 7)                  # rejected by the field parsers
        rows.append([f"客户{i}", f"K{i % 9}",      # K0 and K1 repeat: rows 10, 11
                     "abc" if bad_value else f"¥{i},000", "钻石" if i == 7 else "vip"])
    return write_xlsx(tmp_path / "c.xlsx", rows)


def test_chunks_reject_bad_and_repeated_rows_in_file_order(engine, make_table, tmp_path: Path):
    table = make_table("客户", FIELDS)
    RecordService(engine).create(table.id, {"姓名": "老客户", "编号": "K5", "消费": 1})
    result = import_file(engine, table.id, _file(tmp_path),
                         ImportOptions(key="编号", chunk_size=3, user="li"))
    assert (result.created, result.updated, result.rejected) == (6, 1, 4), result.summary()
    report = read_xlsx(result.reject_report)
    assert [r[0] for r in report[1:]] == [4, 9, 11, 12]        # Excel rows, in file order
    assert "消费" in report[1][-1] and "abc" in report[1][-1]
    assert "等级" in report[2][-1] and "钻石" in report[2][-1]   # both bad cells named
    assert "repeats the key of row 2" in report[3][-1]
    rows = query_records(engine, table.id, limit=100, sort=[]).rows
    values = {r["fields"]["编号"]: r["fields"] for r in rows}
    assert values["K5"]["消费"] == 5000.0 and values["K8"]["等级"] == "VIP"
    assert count_records(engine, table.id) == 7
    with engine.connect() as conn:
        batches = conn.execute(sa.select(H.c.new_value).where(
            H.c.action == "bulk_create", H.c.table_id == table.id)).scalars().all()
    # chunks of 3 rows: the bad row 4 leaves 2 creates, row 7 is an update, the last chunk
    # holds only repeated keys
    assert [b["count"] for b in batches] == [2, 2, 2]
    assert all(b["source"] == "import:c.xlsx (li)" for b in batches)


def test_record_history_and_undo_of_an_import(engine, make_table, tmp_path: Path):
    table = make_table("客户", FIELDS)
    result = import_file(engine, table.id, _file(tmp_path), ImportOptions(chunk_size=4))
    assert (result.created, result.rejected) == (9, 2)
    service = RecordService(engine)
    some = service.bulk_create(table.id, [{"姓名": "手工"}])[0]
    [entry] = service.history(table.id, some - 1)
    assert (entry.action, entry.actor) == ("create", "import:c.xlsx")
    for change_set in reversed(result.change_set_ids):
        service.undo(change_set)
    assert count_records(engine, table.id) == 1
