"""Views store their kind and layout: validated against the table, read back as ids, and
every write bumps the schema stamp (the trigger on ``views`` survives migration 0009)."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.errors import SchemaError
from tessera.schema.version import schema_counter

FIELDS = [("Stage", "single_select", {"choices": ["New", "Won"]}), ("Due", "date", None),
          ("At", "datetime", None), ("Amount", "number", None), ("Tags", "multi_select",
                                                                 {"choices": ["a", "b"]})]


@pytest.fixture
def table(make_table):
    return make_table("Deals", FIELDS)


@pytest.mark.parametrize("kind, layout, expected", [
    ("grid", None, {}),
    ("grid", {"group_by": ["Stage", "Amount"], "fields": ["Amount", "Name", "Due"],
              "row_height": "tall"},
     {"group_by": ["Stage", "Amount"], "fields": ["Amount", "Name", "Due"],
      "row_height": "tall"}),
    ("kanban", {"stack_field": "Stage", "fields": ["Name", "Amount"]},
     {"stack_field": "Stage", "fields": ["Name", "Amount"]}),
    ("calendar", {"date_field": "Due"}, {"date_field": "Due"}),
    ("calendar", {"date_field": "At"}, {"date_field": "At"}),
    ("form", {"fields": ["Name", "Stage"]}, {"fields": ["Name", "Stage"]}),
])
def test_kind_and_layout_round_trip(engine, table, kind, layout, expected):
    view = schema.create_view(engine, table.id, "V", kind=kind, layout=layout)
    again = schema.get_view(engine, view.id)
    ids = {k: ([table.field(r).id for r in v] if isinstance(v, list) else
               (v if k == "row_height" else table.field(v).id)) for k, v in expected.items()}
    assert (again.kind, again.layout) == (kind, ids)
    assert again.to_dict()["kind"] == kind and again.to_dict()["layout"] == ids


@pytest.mark.parametrize("kind, layout, code, words", [
    ("gallery", None, "view_kind", "Unknown view kind"),
    ("kanban", {"stack_field": "Due"}, "layout_field_type", "single select"),
    ("kanban", {"stack_field": "Tags"}, "layout_field_type", "single select"),
    ("calendar", {"date_field": "Amount"}, "layout_field_type", "date or datetime"),
    ("grid", {"group_by": ["Nope"]}, "layout_field", "has no field"),
    ("grid", {"group_by": ["Tags"]}, "layout_field_type", "cannot be grouped"),
    ("grid", {"group_by": ["Stage", "Due", "At", "Amount"]}, "layout_invalid", "at most 3"),
    ("grid", {"fields": ["Name", "Name"]}, "layout_invalid", "twice"),
    ("grid", {"fields": "Name"}, "layout_invalid", "list of fields"),
    ("grid", {"colour": "red"}, "layout_invalid", "unknown keys"),
    ("grid", {"row_height": "huge"}, "layout_invalid", "row_height"),
    ("grid", [1, 2], "layout_invalid", "must be an object"),
])
def test_bad_kind_or_layout_is_refused_in_both_languages(engine, table, kind, layout, code,
                                                         words):
    with pytest.raises(SchemaError) as info:
        schema.create_view(engine, table.id, "V", kind=kind, layout=layout)
    assert info.value.code == code and words in info.value.message_en
    assert info.value.message_zh and info.value.message_zh != info.value.message_en
    assert schema.list_views(engine, table.id) == []


def test_layout_field_of_another_table_is_refused(engine, table, make_table):
    other = make_table("Other", [("Elsewhere", "single_select", {"choices": ["x"]})])
    with pytest.raises(SchemaError) as info:
        schema.create_view(engine, table.id, "V", kind="kanban",
                           layout={"stack_field": other.field("Elsewhere").id})
    assert info.value.code == "layout_field" and "Deals" in info.value.message_en


@pytest.mark.parametrize("changes, kind, layout_keys", [
    ({}, "kanban", {"stack_field"}),                                   # None keeps both
    ({"kind": "calendar", "layout": {"date_field": "Due"}}, "calendar", {"date_field"}),
    ({"layout": {}}, "kanban", set()),                                 # {} clears the layout
    ({"kind": "grid"}, "grid", {"stack_field"}),                        # kind alone keeps layout
])
def test_update_view_changes_kind_and_layout(engine, table, changes, kind, layout_keys):
    view = schema.create_view(engine, table.id, "V", kind="kanban",
                              layout={"stack_field": "Stage"})
    updated = schema.update_view(engine, view.id, **changes)
    assert updated.kind == kind and set(updated.layout) == layout_keys
    assert schema.get_view(engine, view.id) == updated


def test_view_writes_bump_the_schema_stamp(engine, table):
    with engine.connect() as conn:
        before = schema_counter(conn)
    view = schema.create_view(engine, table.id, "V")
    schema.update_view(engine, view.id, kind="calendar", layout={"date_field": "Due"})
    with engine.connect() as conn:
        after = schema_counter(conn)
    assert after is not None and before is not None and after >= before + 2


def test_renaming_a_field_keeps_the_layout(engine, table):
    view = schema.create_view(engine, table.id, "V", layout={"group_by": ["Stage"]})
    schema.rename_field(engine, table.field("Stage").id, "Phase")
    assert schema.get_view(engine, view.id).layout == {"group_by": [table.field("Stage").id]}


@pytest.mark.parametrize("what", ["view", "table"])
def test_trash_restore_keeps_kind_and_layout(engine, table, what):
    from tessera import trash

    view = schema.create_view(engine, table.id, "Board", kind="kanban",
                              layout={"stack_field": "Stage", "group_by": ["Stage"],
                                      "fields": ["Amount", "Due"], "row_height": "short"})
    if what == "view":
        item = trash.delete_view(engine, view.id)
        table_id = table.id
    else:
        item = trash.delete_table(engine, table.id)
        table_id = trash.restore(engine, item)["table_id"]
    if what == "view":
        trash.restore(engine, item)
    back = schema.get_table(engine, table_id)
    [restored] = schema.list_views(engine, table_id)
    assert restored.kind == "kanban"
    assert restored.layout == {"stack_field": back.field("Stage").id,
                               "group_by": [back.field("Stage").id],
                               "fields": [back.field("Amount").id, back.field("Due").id],
                               "row_height": "short"}


def test_migration_0009_down_and_up_keeps_views_and_the_stamp_trigger(engine, table):
    from alembic import command

    from tessera.migrate import alembic_config, upgrade

    view = schema.create_view(engine, table.id, "Old", kind="calendar",
                              layout={"date_field": "Due"})
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008_schema_version")
    upgrade(engine)
    again = schema.get_view(engine, view.id)
    assert (again.name, again.kind, again.layout) == ("Old", "grid", {})   # existing rows: grid
    with engine.connect() as conn:
        before = schema_counter(conn)
    schema.update_view(engine, view.id, kind="kanban", layout={"stack_field": "Stage"})
    with engine.connect() as conn:
        assert schema_counter(conn) > before
