"""End-to-end walk through the documented API (docs/storage.md) on each backend."""

from __future__ import annotations

from tessera import schema_ops as schema
from tessera.query import query_records


def test_create_table_insert_and_query(engine, records, make_table):
    table = make_table("Customers", [("Age", "number", {"precision": 0})])
    created = records.create(table.id, {"Name": "Li Lei", "Age": "42"}, actor="alice")
    assert created["fields"] == {"Name": "Li Lei", "Age": 42.0}
    page = query_records(engine, table.id, filter={"field": "Age", "op": ">", "value": 30})
    assert [r["id"] for r in page.rows] == [created["id"]]
    assert page.total == 1
    assert schema.get_table(engine, table.id).physical_name == f"t_{table.id}"
