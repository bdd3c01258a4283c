"""Pages convert rows through a per-field plan (tessera.record_json): the output must be what
each field type's own ``to_json`` gives, for every registered type, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.auth import users
from tessera.fields import REGISTRY
from tessera.fields.computed import error_column_name, has_error_column
from tessera.fields.sqltypes import format_utc
from tessera.query import query_records
from tessera.record_json import conversion_plan, json_time
from tessera.records import RecordService, read_links
from tessera.schema.catalog import get_table, sa_table

SELECT = {"choices": [{"label": "VIP"}, {"label": "New"}]}


def _every_type_table(engine, base_id) -> int:
    """A table with a field of every registered type (the test fails when a type is added
    and not covered here)."""
    parts = schema.create_table(engine, base_id, "Parts", fields=[
        schema.FieldSpec("Cost", "number")])
    main = schema.create_table(engine, base_id, "Main", fields=[
        schema.FieldSpec(n, t, o) for n, t, o in [
            ("Notes", "long_text", None), ("Age", "number", {"precision": 0}),
            ("Score", "number", {"precision": 2}), ("Spend", "currency", None),
            ("Share", "percent", None), ("Active", "checkbox", None), ("Visit", "date", None),
            ("Seen", "datetime", {"timezone": "Asia/Shanghai"}),
            ("Tier", "single_select", SELECT), ("Tags", "multi_select", SELECT),
            ("Email", "email", None), ("Phone", "phone", None), ("Site", "url", None),
            ("Owner", "user", None)]])
    link = schema.add_field(engine, main.id, "Parts", "link", {"target_table_id": parts.id})
    cost = get_table(engine, parts.id).field("Cost").id
    schema.add_field(engine, main.id, "Costs", "lookup",
                     {"link_field_id": link.id, "target_field_id": cost})
    schema.add_field(engine, main.id, "Total", "rollup",
                     {"link_field_id": link.id, "target_field_id": cost})
    schema.add_field(engine, main.id, "Inverse", "formula", {"formula": "1/{Age}"})
    schema.add_field(engine, main.id, "No", "autonumber")
    schema.add_field(engine, main.id, "Created", "created_time")
    schema.add_field(engine, main.id, "Modified", "modified_time")
    svc = RecordService(engine)
    p1 = svc.create(parts.id, {"Name": "p1", "Cost": 3})["id"]
    p2 = svc.create(parts.id, {"Name": "p2", "Cost": 4.5})["id"]
    users.create_user(engine, "alice", "a long enough secret")
    svc.bulk_create(main.id, [
        {"Name": "full", "Notes": "line 1\nline 2", "Age": 30, "Score": 1.25, "Spend": "¥1,234",
         "Share": "50%", "Active": "是", "Visit": "2024/1/5", "Seen": "2024-01-05 14:30",
         "Tier": "VIP", "Tags": "VIP, New", "Email": "a@b.cn", "Phone": "13800000000",
         "Site": "https://x.cn", "Owner": "alice", "Parts": [p1, p2]},
        {"Name": "zero", "Age": 0, "Active": False, "Parts": [p2]},  # formula: #DIV/0!
        {},                                                          # every value empty
    ])
    return main.id


def _reference(engine, table_id: int) -> list[dict]:
    """The record shape computed the plain way: every field's to_json, per row."""
    with engine.connect() as conn:
        table = get_table(conn, table_id)
        rows = conn.execute(sa.select(sa_table(table)).order_by(sa.text("id"))).all()
        ids = [r.id for r in rows]
        links = {f.id: read_links(conn, f, ids) for f in table.fields if f.type == "link"}
    result = []
    for row in rows:
        m = row._mapping
        values = {}
        for f in table.fields:
            error = (m.get(error_column_name(f.column)) if has_error_column(f.field_type)
                     else None)
            if f.type == "link":
                values[f.name] = links[f.id][m["id"]]
            elif error:
                values[f.name] = {"error": error}
            else:
                values[f.name] = f.field_type.to_json(m[f.column], f)
        result.append({"id": m["id"], "created_at": format_utc(m["created_at"]),
                       "updated_at": format_utc(m["updated_at"]), "fields": values})
    return result


def test_pages_match_each_types_to_json(engine, base_id) -> None:
    table_id = _every_type_table(engine, base_id)
    assert {f.type for f in get_table(engine, table_id).fields} == set(REGISTRY)
    page = query_records(engine, table_id, limit=10, with_total=False)
    expected = _reference(engine, table_id)
    assert page.rows == expected
    full, zero, empty = page.rows
    assert full["fields"]["Age"] == 30.0 and isinstance(full["fields"]["Age"], float)
    assert full["fields"]["Visit"] == "2024-01-05"
    assert full["fields"]["Seen"] == "2024-01-05T06:30:00Z"
    assert zero["fields"]["Inverse"] == {"error": "#DIV/0!"}
    assert empty["fields"]["Parts"] == [] and empty["fields"]["Age"] is None
    assert full["created_at"].endswith("Z") and len(full["created_at"]) == 20


def test_single_record_reads_match_too(engine, base_id) -> None:
    table_id = _every_type_table(engine, base_id)
    svc = RecordService(engine)
    for expected in _reference(engine, table_id):
        got = svc.get(table_id, expected["id"])
        assert got == expected


def test_plan_is_compiled_once_per_schema(engine, base_id) -> None:
    table = schema.create_table(engine, base_id, "T", fields=[schema.FieldSpec("Age", "number")])
    first = get_table(engine, table.id)
    assert conversion_plan(first.fields) is conversion_plan(get_table(engine, table.id).fields)
    schema.add_field(engine, table.id, "City", "text")
    changed = get_table(engine, table.id)
    plan = conversion_plan(changed.fields)
    assert plan is not conversion_plan(first.fields)
    assert [s.name for s in plan.steps] == ["Name", "Age", "City"]
    assert [s.name for s in conversion_plan(changed.fields, "id").steps] == [
        str(f.id) for f in changed.fields]


def test_json_time_forms() -> None:
    stamp = datetime(2024, 1, 5, 6, 30, tzinfo=UTC)
    assert json_time(None) is None
    assert json_time("2024-01-05T06:30:00Z") == "2024-01-05T06:30:00Z"
    assert json_time("2024-01-05T06:30:00+00:00") == "2024-01-05T06:30:00Z"
    assert json_time(stamp) == "2024-01-05T06:30:00Z"
    shanghai = stamp.astimezone(timezone(timedelta(hours=8)))
    assert json_time(shanghai) == "2024-01-05T06:30:00Z"
    memo: dict = {}
    assert json_time(stamp, memo) == json_time(stamp, memo) == "2024-01-05T06:30:00Z"
    assert memo == {stamp: "2024-01-05T06:30:00Z"}
