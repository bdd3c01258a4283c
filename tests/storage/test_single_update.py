"""The single-record update path: it reads only the written fields around the UPDATE (which
returns the new values itself), and history, links and errors stay as before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.errors import NotFoundError, RecordValidationError
from tessera.history import record_history


@pytest.fixture
def table(engine, make_table):
    return make_table("Customers", [("Age", "number", None), ("City", "text", None),
                                    ("Spend", "currency", None)])


def _statements(engine, run):
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        result = run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return result, seen


def test_update_reads_only_the_written_field(engine, table, records) -> None:
    rid = records.create(table.id, {"Name": "Ann", "Age": 30, "City": "Xi'an"})["id"]
    age = table.field("Age").column
    city = table.field("City").column
    physical = schema.table_name(table.id)
    record, seen = _statements(engine, lambda: records.update(table.id, rid, {"Age": 31}))
    assert record["fields"] == {"Name": "Ann", "Age": 31.0, "City": "Xi'an", "Spend": None}
    on_table = [s for s in seen if f" {physical} " in f" {s} " or f"{physical}." in s]
    writes = [s for s in on_table if s.startswith("UPDATE")]
    assert len(writes) == 1 and "RETURNING" in writes[0]
    before = [s for s in on_table if s.startswith("SELECT") and s.index(age) < s.index("FROM")]
    assert before and city not in before[0].split("FROM")[0]  # the snapshot reads Age only
    assert len([s for s in on_table if s.startswith("SELECT")]) == 2  # snapshot + the answer


def test_history_of_a_single_update(engine, table, records) -> None:
    rid = records.create(table.id, {"Name": "Ann", "Age": 30, "City": "Xi'an"})["id"]
    records.update(table.id, rid, {"Age": 31, "City": "Xi'an", "Spend": "¥1,234"})
    changes = [(e.field_name, e.old_value, e.new_value)
               for e in record_history(engine, table.id, rid) if e.action == "update"]
    assert sorted(changes) == [("Age", 30.0, 31.0), ("Spend", None, 1234.0)]  # City unchanged
    records.undo(records.last_change_set_id)
    assert records.get(table.id, rid)["fields"]["Age"] == 30.0


def test_missing_record_and_bad_input_write_nothing(engine, table, records) -> None:
    rid = records.create(table.id, {"Name": "Ann", "Age": 30})["id"]
    with pytest.raises(NotFoundError):
        records.update(table.id, rid + 100, {"Age": 1})
    with pytest.raises(RecordValidationError):
        records.update(table.id, rid, {"Age": "thirty"})
    assert records.get(table.id, rid)["fields"]["Age"] == 30.0
    assert [e.action for e in record_history(engine, table.id, rid)] == ["create"]


def test_link_updates_and_bulk_updates_keep_their_history(engine, base_id, table,
                                                          records) -> None:
    visits = schema.create_table(engine, base_id, "Visits")
    link = schema.add_field(engine, table.id, "Visits", "link", {"target_table_id": visits.id})
    v1 = records.create(visits.id, {"Name": "v1"})["id"]
    v2 = records.create(visits.id, {"Name": "v2"})["id"]
    a = records.create(table.id, {"Name": "Ann", "Visits": [v1]})["id"]
    b = records.create(table.id, {"Name": "Bob", "Age": 5})["id"]
    assert records.update(table.id, a, {"Visits": [v2, v1]})["fields"]["Visits"] == [v1, v2]
    records.bulk_update(table.id, [(a, {"Age": 7}), (b, {"Age": 5, "City": "Wuhan"})])
    def frozen(value):
        return tuple(value) if isinstance(value, list) else value

    history = {(e.record_id, e.field_id, frozen(e.old_value), frozen(e.new_value))
               for e in record_history(engine, table.id, a) + record_history(engine, table.id, b)
               if e.action == "update"}
    fields = schema.get_table(engine, table.id)
    assert history == {(a, link.id, (v1,), (v1, v2)), (a, fields.field("Age").id, None, 7.0),
                       (b, fields.field("City").id, None, "Wuhan")}

