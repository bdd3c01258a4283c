"""Schema changes under existing data: fields, tables, links, migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from tessera import schema_ops as schema
from tessera.errors import (
    NameConflictError,
    NotFoundError,
    QueryError,
    RecordValidationError,
    SchemaError,
)
from tessera.migrate import alembic_config, current_revision


def _columns(engine, table_id):
    with engine.connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(f"t_{table_id}")]


def test_migrations_reach_head_and_match_models(engine):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and current_revision(engine) == head
    with engine.begin() as conn:
        command.check(alembic_config(conn))     # raises if models drifted from migrations


def test_add_rename_delete_field_keeps_other_data(engine, records, make_table):
    table = make_table("Customers", [("Age", "number", None)])
    rid = records.create(table.id, {"Name": "Li", "Age": 30})["id"]
    age = table.field("Age")
    phone = schema.add_field(engine, table.id, "Phone", "phone")
    assert f"f_{phone.id}" in _columns(engine, table.id)
    assert records.get(table.id, rid)["fields"] == {"Name": "Li", "Age": 30.0, "Phone": None}

    renamed = schema.rename_field(engine, age.id, "Years")
    assert renamed.column == age.column                       # metadata-only rename
    assert records.get(table.id, rid)["fields"]["Years"] == 30.0

    schema.delete_field(engine, age.id)
    assert f"f_{age.id}" not in _columns(engine, table.id)
    assert records.get(table.id, rid)["fields"] == {"Name": "Li", "Phone": None}


@pytest.mark.parametrize("action, error", [
    ("duplicate field", NameConflictError),
    ("duplicate table", NameConflictError),
    ("delete primary", SchemaError),
    ("unknown type", SchemaError),
    ("empty name", SchemaError),
])
def test_schema_mistakes_are_refused(engine, base_id, make_table, action, error):
    table = make_table("T", [("A", "text", None)])
    with pytest.raises(error):
        if action == "duplicate field":
            schema.add_field(engine, table.id, "a", "number")
        elif action == "duplicate table":
            schema.create_table(engine, base_id, "t")
        elif action == "delete primary":
            schema.delete_field(engine, table.primary_field.id)
        elif action == "unknown type":
            schema.add_field(engine, table.id, "B", "colour")
        else:
            schema.add_field(engine, table.id, "  ", "text")
    assert [f.name for f in schema.get_table(engine, table.id).fields] == ["Name", "A"]


def test_rename_and_delete_table(engine, base_id, records, make_table):
    table = make_table("Old", [])
    records.create(table.id, {"Name": "x"})
    assert schema.rename_table(engine, table.id, "New").name == "New"
    assert records.get(table.id, 1)["fields"]["Name"] == "x"
    schema.delete_table(engine, table.id)
    with pytest.raises(NotFoundError):
        schema.get_table(engine, table.id)
    with engine.connect() as conn:
        assert f"t_{table.id}" not in sa.inspect(conn).get_table_names()


def test_links_with_inverse_and_cascade(engine, records, make_table):
    customers = make_table("Customers", [])
    visits = make_table("Visits", [])
    link = schema.add_field(engine, visits.id, "Customer", "link", {
        "target_table_id": customers.id, "many": False, "inverse_name": "Visits"})
    inverse = schema.get_table(engine, customers.id).field("Visits")
    assert inverse.options["inverse_field_id"] == link.id
    assert link.options["inverse_field_id"] == inverse.id
    with engine.connect() as conn:
        indexes = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes(f"l_{link.id}")}
    assert indexes[f"ux_l_{link.id}_src_dst"]["unique"]
    assert indexes[f"ix_l_{link.id}_dst_src"]["column_names"] == ["dst_id", "src_id"]

    li, wang = records.bulk_create(customers.id, [{"Name": "Li"}, {"Name": "Wang"}])
    v1, v2, v3 = records.bulk_create(visits.id, [
        {"Name": "v1", "Customer": li}, {"Name": "v2", "Customer": [li]},
        {"Name": "v3", "Customer": str(wang)}])
    assert records.get(customers.id, li)["fields"]["Visits"] == [v1, v2]
    assert records.get(visits.id, v3)["fields"]["Customer"] == [wang]
    with pytest.raises(RecordValidationError) as info:
        records.create(visits.id, {"Name": "v4", "Customer": [li, wang]})
    assert "one record id" in str(info.value)

    records.update(customers.id, wang, {"Visits": [v3, v2]})        # inverse side writes too
    assert records.get(visits.id, v2)["fields"]["Customer"] == [wang]
    records.delete(customers.id, wang)                              # junction rows cascade
    assert records.get(visits.id, v3)["fields"]["Customer"] == []

    schema.delete_table(engine, customers.id)                       # incoming link removed
    assert [f.name for f in schema.get_table(engine, visits.id).fields] == ["Name"]
    with engine.connect() as conn:
        assert f"l_{link.id}" not in sa.inspect(conn).get_table_names()


def test_link_to_missing_record_is_rejected(engine, records, make_table):
    a = make_table("A", [])
    b = make_table("B", [])
    schema.add_field(engine, a.id, "Bs", "link", {"target_table_id": b.id})
    with pytest.raises(RecordValidationError) as info:
        records.create(a.id, {"Name": "x", "Bs": [99]})
    assert "existing records" in str(info.value)
    assert records.bulk_create(a.id, []) == []


def test_views_persist_settings(engine, make_table):
    table = make_table("T", [("Age", "number", None), ("Note", "long_text", None)])
    view = schema.create_view(engine, table.id, "Adults",
                              filters={"field": "Age", "op": ">=", "value": 18},
                              sorts=[{"field": "Age", "direction": "desc"}],
                              hidden_fields=["Note"])
    again = schema.get_view(engine, view.id)
    assert again.filters == {"field": "Age", "op": ">=", "value": 18}
    assert again.hidden_fields == [table.field("Note").id]
    updated = schema.update_view(engine, view.id, sorts=[], name="All adults")
    assert (updated.name, updated.sorts, updated.filters) == ("All adults", [], again.filters)
    with pytest.raises(QueryError):
        schema.update_view(engine, view.id, filters={"field": "Age", "op": "contains",
                                                     "value": 1})
    schema.delete_view(engine, view.id)
    assert schema.list_views(engine, table.id) == []


def test_postgres_tables_get_fillfactor(engine, backend, make_table):
    table = make_table("T", [])
    if backend != "postgresql":
        assert table.physical_name == f"t_{table.id}"
        return
    with engine.connect() as conn:
        options = conn.execute(sa.text("SELECT reloptions FROM pg_class WHERE relname = :n"),
                               {"n": table.physical_name}).scalar_one()
    assert "fillfactor=70" in options


@pytest.mark.parametrize("choices, expected", [
    (["A", " B "], [("A", None), ("B", None)]),
    ([{"name": "A", "color": "red"}], [("A", "red")]),
    ([{"label": "A"}], [("A", None)]),
])
def test_select_options_are_normalized(engine, make_table, choices, expected):
    table = make_table("T", [])
    field = schema.add_field(engine, table.id, "Tier", "single_select", {"choices": choices})
    got = [(c["label"], c["color"]) for c in field.options["choices"]]
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (_, color), (_, wanted) in zip(got, expected, strict=True):
        assert color == wanted if wanted else isinstance(color, str) and color


@pytest.mark.parametrize("choices, message", [
    ("A,B", "must be a list"),
    ([{"color": "red"}], "has no label"),
    ([""], "has no label"),
    (["A", "a"], "appears twice"),
    ([{"label": ["x"]}], "has no label"),
])
def test_bad_select_options_are_refused(engine, make_table, choices, message):
    table = make_table("T", [])
    with pytest.raises(SchemaError, match=message):
        schema.add_field(engine, table.id, "Tier", "multi_select", {"choices": choices})
