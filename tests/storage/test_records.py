"""Records service: bulk writes are all-or-nothing, history, undo, change hooks."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.errors import NotFoundError, RecordValidationError
from tessera.query import count_records
from tessera.records import RecordChange, RecordService

FIELDS = [("Age", "number", None), ("Birthday", "date", None),
          ("Tier", "single_select", {"choices": [{"label": "VIP"}, {"label": "New"}]})]


def test_bulk_create_many_rows(engine, records, make_table):
    table = make_table("Customers", FIELDS)
    rows = [{"Name": f"c{i}", "Age": i, "Birthday": f"2000-01-{i % 28 + 1:02d}",
             "Tier": "VIP" if i % 2 else "New"} for i in range(2000)]
    ids = records.bulk_create(table.id, rows, actor="import")
    assert len(ids) == len(set(ids)) == 2000
    assert count_records(engine, table.id) == 2000
    last = records.get(table.id, ids[-1])
    assert last["fields"] == {"Name": "c1999", "Age": 1999.0, "Birthday": "2000-01-12",
                              "Tier": "VIP"}
    assert records.create(table.id, {"Name": "after"})["id"] > max(ids)


def test_bulk_create_with_bad_rows_writes_nothing(engine, records, make_table):
    table = make_table("Customers", FIELDS)
    rows = [{"Name": "ok", "Age": "1"}, {"Name": "bad", "Age": "old"},
            {"Name": "ok2"}, {"Name": "bad2", "Birthday": "someday", "Tier": "Gold"},
            {"Nope": 1}]
    with pytest.raises(RecordValidationError) as info:
        records.bulk_create(table.id, rows)
    found = [(e.row, e.field, e.value) for e in info.value.errors]
    assert found == [(1, "Age", "old"), (3, "Birthday", "someday"), (3, "Tier", "Gold"),
                     (4, "Nope", 1)]
    assert "第 2 行" in info.value.errors[0].message("zh")
    assert "row 2" in info.value.errors[0].message("en")
    assert count_records(engine, table.id) == 0


def test_bulk_update_with_a_bad_value_changes_nothing(engine, records, make_table):
    table = make_table("T", FIELDS)
    a, b = records.bulk_create(table.id, [{"Age": 1}, {"Age": 2}])
    with pytest.raises(RecordValidationError):
        records.bulk_update(table.id, [(a, {"Age": 10}), (b, {"Age": "ten"})])
    assert [records.get(table.id, r)["fields"]["Age"] for r in (a, b)] == [1.0, 2.0]


def test_history_and_undo_of_update(engine, records, make_table):
    table = make_table("T", FIELDS)
    rid = records.create(table.id, {"Name": "Li", "Age": 30}, actor="alice")["id"]
    records.update(table.id, rid, {"Age": "31", "Tier": "VIP"}, actor="bob")
    change = records.last_change_set_id
    history = records.history(table.id, rid)
    assert [(h.action, h.field_name, h.old_value, h.new_value, h.actor) for h in history[:2]] == [
        ("update", "Tier", None, "VIP", "bob"), ("update", "Age", 30.0, 31.0, "bob")]
    assert history[-1].action == "create" and history[-1].actor == "alice"

    undo_id = records.undo(change, actor="bob")
    assert records.get(table.id, rid)["fields"]["Age"] == 30.0
    assert records.get(table.id, rid)["fields"]["Tier"] is None
    assert records.history(table.id, rid)[0].change_set_id == undo_id
    records.undo(undo_id)                                         # redo = undo of the undo
    assert records.get(table.id, rid)["fields"]["Age"] == 31.0


def test_undo_delete_restores_record_and_links(engine, records, make_table):
    people = make_table("People", FIELDS)
    pets = make_table("Pets", [])
    schema.add_field(engine, pets.id, "Owner", "link",
                     {"target_table_id": people.id, "inverse_name": "Pets"})
    owner = records.create(people.id, {"Name": "Li", "Birthday": "1990-05-01"})["id"]
    pet = records.create(pets.id, {"Name": "Mao", "Owner": [owner]})["id"]
    records.delete(people.id, owner, actor="eve")
    with pytest.raises(NotFoundError):
        records.get(people.id, owner)
    records.undo(records.last_change_set_id)
    restored = records.get(people.id, owner)
    assert restored["fields"]["Birthday"] == "1990-05-01"
    assert restored["fields"]["Pets"] == [pet]
    assert records.get(pets.id, pet)["fields"]["Owner"] == [owner]


def test_undo_create_deletes_the_rows(engine, records, make_table):
    table = make_table("T", FIELDS)
    records.bulk_create(table.id, [{"Name": "a"}, {"Name": "b"}])
    records.undo(records.last_change_set_id)
    assert count_records(engine, table.id) == 0


def test_after_change_hooks_run_in_the_transaction(engine, make_table):
    table = make_table("T", FIELDS)
    seen: list[RecordChange] = []
    svc = RecordService(engine)
    svc.local_after_change.append(lambda conn, change: seen.append(change))
    rid = svc.create(table.id, {"Name": "x"})["id"]
    svc.update(table.id, rid, {"Age": 5})
    svc.delete(table.id, rid)
    age = table.field("Age").id
    assert [(c.kind, c.record_ids) for c in seen] == [
        ("create", (rid,)), ("update", (rid,)), ("before_delete", (rid,)), ("delete", (rid,))]
    assert seen[1].field_ids == (age,)

    def refuse(conn, change):
        raise RuntimeError("integration failed")

    RecordService.after_change.append(refuse)
    try:
        with pytest.raises(RuntimeError):
            svc.create(table.id, {"Name": "rolled back"})
    finally:
        RecordService.after_change.remove(refuse)
    assert count_records(engine, table.id) == 0


def test_fields_addressed_by_id_and_returned_by_id(engine, records, make_table):
    table = make_table("T", FIELDS)
    age = table.field("Age")
    rid = records.create(table.id, {age.id: 3, f"f_{table.primary_field.id}": "n"})["id"]
    got = records.get(table.id, rid, key="id")
    assert got["fields"][str(age.id)] == 3.0
    assert got["fields"][str(table.primary_field.id)] == "n"
    with pytest.raises(NotFoundError):
        records.update(table.id, 999, {"Age": 1})
