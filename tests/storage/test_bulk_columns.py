"""The column-oriented bulk create path (tessera/bulkcreate.py): the same values and errors as
one-by-one input, one history entry per batch, undo/trash, links and recompute in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera import trash
from tessera.errors import RecordValidationError
from tessera.history import H
from tessera.query import count_records
from tessera.records import RecordChange, RecordService

FIELDS = [("Age", "number", None), ("Spend", "currency", None), ("Share", "percent", None),
          ("Birthday", "date", None), ("Seen", "datetime", {"timezone": "Asia/Shanghai"}),
          ("Active", "checkbox", None), ("Note", "long_text", None),
          ("Tier", "single_select", {"choices": [{"label": "VIP"}, {"label": "New"}]}),
          ("Tags", "multi_select", {"choices": [{"label": "a"}, {"label": "b"}]}),
          ("Mail", "email", None), ("Phone", "phone", None)]

# One column per field: typed values (the fast paths), text people type, blanks, and bad values.
COLUMNS = {
    "Name": ["Li", " Wang ", "two\nlines", "", None, "Zhao"],
    "Age": [30.0, 31, "1,234.5", None, True, "abc"],
    "Spend": [1.5, "¥1,234", "(12)", None, "12元", float("nan")],
    "Share": [0.5, "50%", "12", None, 1, "half"],
    "Birthday": ["2024-01-05", "2024/1/5", dt.date(2020, 2, 29), dt.datetime(2021, 3, 4, 5, 6),
                 None, "2024-13-01"],
    "Seen": [dt.datetime(2024, 1, 1, 9), "2024-01-01 10:00", None,
             dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC), 45000.5, "noon"],
    "Active": [True, "是", None, False, "FALSE", "maybe"],
    "Note": ["x", "  ", None, "multi\nline", 3.0, "ok"],
    "Tier": ["vip", "VIP", "New", None, "Ｖｉｐ", "Gold"],
    "Tags": ["a、b", ["b"], None, "a, a", "b；a", "c"],
    "Mail": ["li@example.com", None, "x@y.cn", " z@q.com ", None, "not-mail"],
    "Phone": ["+86 138 0013 8000", None, "12345", None, None, "12"],
}
BAD_ROW = 5   # the last row has a bad value in every column but Name and Note


def _one_by_one(records, table_id):
    """What single-record creates store, for rows 0..BAD_ROW-1."""
    ids = [records.create(table_id, {k: v[i] for k, v in COLUMNS.items()})["id"]
           for i in range(BAD_ROW)]
    return [records.get(table_id, rid)["fields"] for rid in ids]


def test_parse_column_matches_parse_for_every_value():
    from tessera.fields import REGISTRY

    class F:
        name = "F"
        options = {"choices": [{"label": "VIP"}, {"label": "a"}], "timezone": "Asia/Shanghai",
                   "precision": 2}

    samples = [v for column in COLUMNS.values() for v in column if not isinstance(v, list)]
    many = samples * 30   # long enough for the repeated-text memo
    for name, field_type in REGISTRY.items():
        for values in (samples, many, [1.5, None, 2.0], ["a", "b"], [True, None],
                       [dt.date(2020, 1, 1), None], ["li@example.com", None, "x@y.cn"],
                       [3, 2.5, None], [10**400, 1], [1e308, 1e308],
                       ["a@b.cn", " a@b.cn", ""], ["+86 138 0013 8000", "12345", None],
                       ["138", "---", " 12 34 5"], ["Li Lei", "Han Meimei"],
                       ["2024-01-05", "2024-01-05", "2024-02-30", "2024-01-05"] * 3):
            stored, errors = field_type.parse_column(values, F())
            failed = dict(errors)
            for index, value in enumerate(values):
                try:
                    want = field_type.parse(value, F())
                except Exception as exc:  # noqa: BLE001 - compared with the column result
                    assert index in failed, (name, value)
                    assert failed[index].message("en") == exc.message("en")
                    assert stored[index] is None
                else:
                    assert index not in failed, (name, value, failed.get(index))
                    assert stored[index] == want and type(stored[index]) is type(want), (name, value)


def test_columns_store_what_single_creates_store(engine, records, make_table):
    table = make_table("T", FIELDS)
    good = {k: v[:BAD_ROW] for k, v in COLUMNS.items()}
    outcome = records.bulk_create_columns(table.id, good, actor="loader")
    got = [records.get(table.id, rid)["fields"] for rid in outcome.ids]
    assert got == _one_by_one(records, table.id)
    assert outcome.rows == list(range(BAD_ROW))
    assert got[0]["Seen"] == "2024-01-01T01:00:00Z"   # naive input read in the field's zone


def test_bad_values_name_row_field_value_and_write_nothing(engine, records, make_table):
    table = make_table("T", FIELDS)
    with pytest.raises(RecordValidationError) as info:
        records.bulk_create_columns(table.id, COLUMNS)
    found = [(e.row, e.field, e.value) for e in info.value.errors]
    assert found == [(BAD_ROW, name, values[BAD_ROW]) for name, values in COLUMNS.items()
                     if name not in ("Name", "Note")]
    assert "第 6 行" in info.value.errors[0].message("zh")
    assert "a number like 1,234.50" in info.value.errors[0].message("en")
    assert count_records(engine, table.id) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(H)).scalar_one() == 0


def test_skip_invalid_writes_the_good_rows_and_reports_the_rest(engine, records, make_table):
    table = make_table("T", FIELDS)
    outcome = records.bulk_create_columns(table.id, COLUMNS, skip_invalid=True)
    assert len(outcome.ids) == BAD_ROW and outcome.rows == list(range(BAD_ROW))
    assert {e.row for e in outcome.errors} == {BAD_ROW}
    assert count_records(engine, table.id) == BAD_ROW


def test_unequal_columns_are_refused(engine, records, make_table):
    from tessera.errors import SchemaError

    table = make_table("T", FIELDS)
    with pytest.raises(SchemaError, match="one value per row"):
        records.bulk_create_columns(table.id, {"Name": ["a", "b"], "Age": [1]})


def test_one_history_entry_per_batch_and_record_history(engine, records, make_table):
    table = make_table("T", FIELDS)
    ids = records.bulk_create(table.id, [{"Name": f"n{i}", "Age": i} for i in range(300)],
                              actor="import:list.xlsx (li)")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(H.c.action, H.c.record_id, H.c.new_value)).all()
    assert len(rows) == 1
    action, first, batch = rows[0]
    assert (action, first, batch["count"]) == ("bulk_create", ids[0], 300)
    assert sum(b - a + 1 for a, b in batch["ranges"]) == 300
    records.update(table.id, ids[150], {"Age": 1000}, actor="bob")
    history = records.history(table.id, ids[150])
    assert [(h.action, h.actor) for h in history] == [
        ("update", "bob"), ("create", "import:list.xlsx (li)")]
    assert history[-1].new_value == {"batch": {"count": 300, "source": "import:list.xlsx (li)"}}
    other = records.create(table.id, {"Name": "later"})["id"]
    assert [h.action for h in records.history(table.id, other)] == ["create"]


def test_undo_of_a_batch_deletes_it_and_the_delete_can_be_undone(engine, records, make_table):
    table = make_table("T", FIELDS)
    ids = records.bulk_create(table.id, [{"Name": f"n{i}"} for i in range(50)])
    batch = records.last_change_set_id
    records.delete(table.id, ids[0])              # already gone: the undo skips it
    undo = records.undo(batch)
    assert count_records(engine, table.id) == 0
    records.undo(undo)                            # redo: the 49 come back with their ids
    assert count_records(engine, table.id) == 49
    assert records.get(table.id, ids[-1])["fields"]["Name"] == "n49"


def test_trash_restores_records_from_a_batch(engine, records, make_table):
    table = make_table("T", FIELDS)
    ids = records.bulk_create_columns(table.id, {"Name": ["a", "b", "c"],
                                                 "Age": [1.0, 2.0, 3.0]}).ids
    item = trash.delete_records(engine, table.id, ids[:2])
    assert count_records(engine, table.id) == 1
    trash.restore(engine, item)
    assert [records.get(table.id, r)["fields"]["Age"] for r in ids] == [1.0, 2.0, 3.0]


def test_links_and_formulas_in_bulk(engine, records, make_table):
    people = make_table("People", [("Age", "number", None)])
    visits = make_table("Visits", [("Amount", "number", None)])
    schema.add_field(engine, visits.id, "Who", "link",
                     {"target_table_id": people.id, "inverse_name": "Visits", "many": False})
    schema.add_field(engine, people.id, "Double", "formula", {"formula": "{Age} * 2"})
    people, visits = schema.get_table(engine, people.id), schema.get_table(engine, visits.id)
    schema.add_field(engine, people.id, "Total", "rollup", {
        "link_field_id": people.field("Visits").id,
        "target_field_id": visits.field("Amount").id, "function": "SUM"})
    seen: list[RecordChange] = []
    service = RecordService(engine)
    service.local_after_change.append(lambda conn, change: seen.append(change))
    a, b = service.bulk_create_columns(people.id, {"Name": ["a", "b"], "Age": [20, 21]}).ids
    assert [(c.kind, c.record_ids) for c in seen] == [("create", (a, b))]   # once per batch
    assert [records.get(people.id, r)["fields"]["Double"] for r in (a, b)] == [40.0, 42.0]
    service.bulk_create_columns(visits.id, {"Amount": [5, 7, 11], "Who": [[a], [a], [b]]})
    assert records.get(people.id, a)["fields"]["Total"] == 12.0
    assert records.get(people.id, b)["fields"]["Visits"] and \
        records.get(people.id, b)["fields"]["Total"] == 11.0
    with pytest.raises(RecordValidationError) as info:
        service.bulk_create_columns(visits.id, {"Amount": [1, 2], "Who": [[a], [999999]]})
    assert [(e.row, e.field, e.value) for e in info.value.errors] == [(1, "Who", [999999])]


def test_ids_follow_on_and_single_creates_continue_after_them(engine, records, make_table):
    table = make_table("T", FIELDS)
    first = records.create(table.id, {"Name": "one"})["id"]
    ids = records.bulk_create_columns(table.id, {"Name": [f"n{i}" for i in range(1000)]}).ids
    assert ids == list(range(first + 1, first + 1001))
    assert records.create(table.id, {"Name": "after"})["id"] == first + 1001
    assert records.bulk_create(table.id, [{"Name": "x"}]) == [first + 1002]
    assert [records.get(table.id, r)["fields"]["Name"] for r in (ids[0], ids[-1])] == ["n0", "n999"]


def test_rows_without_values_still_create_records(engine, records, make_table):
    table = make_table("T", FIELDS)
    ids = records.bulk_create(table.id, [{}, {}, {"Name": "c"}])
    assert len(ids) == 3 and count_records(engine, table.id) == 3
    assert records.bulk_create(table.id, []) == []
    assert [records.get(table.id, r)["fields"]["Name"] for r in ids] == [None, None, "c"]
