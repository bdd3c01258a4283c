"""Changing a field's type under existing data: conversions, rejects kept, preview."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.errors import SchemaError

# (from type, from options, values, to type, to options, expected values, rejected indexes)
CASES = [
    ("text", None, ["12", "1,234.5", "abc", None], "number", None, [12.0, 1234.5, None, None], [2]),
    ("number", None, [1.5, 0, None], "text", None, ["1.5", "0", None], []),
    ("number", None, [1, 0, -2], "checkbox", None, [True, False, True], []),
    ("checkbox", None, [True, False], "number", None, [1.0, 0.0], []),
    ("text", None, ["2024/1/5", "soon"], "date", None, ["2024-01-05", None], [1]),
    ("date", None, ["2024-01-05"], "datetime", None, ["2024-01-05T00:00:00Z"], []),
    ("datetime", None, ["2024-01-05 10:30"], "date", None, ["2024-01-05"], []),
    ("date", None, ["2024-01-05"], "text", None, ["2024-01-05"], []),
    ("text", None, ["VIP", "New", "VIP", None], "single_select", None,
     ["VIP", "New", "VIP", None], []),
    ("text", None, ["VIP", "Gold"], "single_select", {"choices": [{"label": "VIP"}]},
     ["VIP", None], [1]),
    ("text", None, ["a, b", "c"], "multi_select", None, [["a", "b"], ["c"]], []),
    ("multi_select", {"choices": [{"label": "a"}, {"label": "b"}]}, [["a"], ["a", "b"]],
     "single_select", None, ["a", None], [1]),
    ("multi_select", {"choices": [{"label": "a"}, {"label": "b"}]}, [["a", "b"]], "text", None,
     ["a, b"], []),
    ("text", None, ["x@y.cn", "nope"], "email", None, ["x@y.cn", None], [1]),
    ("currency", None, [12.5], "percent", None, [12.5], []),
    ("text", None, ["keep me"], "formula", None, [None], [0]),
]


def _ids(case):
    return f"{case[0]}->{case[3]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_type_change_converts_and_keeps_rejects(engine, records, make_table, case):
    from_type, from_opts, values, to_type, to_opts, expected, rejected = case
    table = make_table("T", [("F", from_type, from_opts)])
    ids = records.bulk_create(table.id, [{"F": v} for v in values])
    field = schema.get_table(engine, table.id).field("F")

    preview = schema.preview_type_change(engine, field.id, to_type, to_opts)
    assert schema.get_field(engine, field.id).type == from_type        # preview writes nothing
    assert [r.record_id for r in preview.rejected] == [ids[i] for i in rejected]

    report = schema.change_field_type(engine, field.id, to_type, to_opts, actor="bob")
    assert report.to_dict() == preview.to_dict()
    assert report.converted == sum(v is not None for v in values) - len(rejected)
    got = [records.get(table.id, rid)["fields"].get("F") for rid in ids]
    assert got == expected
    assert schema.get_field(engine, field.id).type == to_type

    kept = schema.list_conversion_rejects(engine, field.id)
    assert [(r.record_id, r.original_value) for r in kept] == [
        (r.record_id, r.original_value) for r in report.rejected]
    for reject in report.rejected:
        history = records.history(table.id, reject.record_id)
        assert history[0].action == "retype" and history[0].old_value == reject.original_value


def test_select_options_are_created_from_values(engine, records, make_table):
    table = make_table("T", [("Tier", "text", None)])
    records.bulk_create(table.id, [{"Tier": "Gold"}, {"Tier": "Silver"}, {"Tier": "gold"}])
    report = schema.change_field_type(engine, table.field("Tier").id, "single_select")
    assert [c["label"] for c in report.options["choices"]] == ["Gold", "Silver"]
    assert report.rejected == ()


def test_link_fields_cannot_change_type(engine, make_table):
    a = make_table("A", [])
    b = make_table("B", [])
    link = schema.add_field(engine, a.id, "B", "link", {"target_table_id": b.id})
    with pytest.raises(SchemaError):
        schema.preview_type_change(engine, link.id, "text")


def test_retype_drops_sort_index_and_keeps_data(engine, records, make_table):
    from tessera.query import ensure_sort_index

    table = make_table("T", [("N", "text", None)])
    records.bulk_create(table.id, [{"N": "3"}, {"N": "1"}])
    index = ensure_sort_index(engine, table.id, [{"field": "N"}])
    schema.change_field_type(engine, table.field("N").id, "number")
    with engine.connect() as conn:
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes(f"t_{table.id}")}
    assert index not in names
    from tessera.query import query_records

    page = query_records(engine, table.id, sort=[{"field": "N"}])
    assert [r["fields"]["N"] for r in page.rows] == [1.0, 3.0]
