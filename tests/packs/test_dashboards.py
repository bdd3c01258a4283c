"""tessera.dashboards: the dashboards metadata API (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tessera import dashboards
from tessera import schema_ops as schema
from tessera.errors import NotFoundError, SchemaError


def test_create_list_update_delete(engine) -> None:
    base = schema.create_base(engine, "B")
    table = schema.create_table(engine, base.id, "T")
    first = dashboards.create_dashboard(engine, base.id, " 总览 ", [
        {"type": "bar", "table_id": table.id, "group_by_field_id": table.primary_field.id}])
    second = dashboards.create_dashboard(engine, base.id, "趋势")
    assert first.name == "总览" and first.widgets == [
        {"type": "bar", "table_id": table.id, "group_by_field_id": table.primary_field.id,
         "aggregate": "count"}]
    assert [d.name for d in dashboards.list_dashboards(engine, base.id)] == ["总览", "趋势"]
    assert [d.position for d in dashboards.list_dashboards(engine, base.id)] == [0, 1]
    changed = dashboards.update_dashboard(engine, second.id, name="趋势图", widgets=[
        {"type": "line", "table_id": table.id, "aggregate": "max", "field_id": 5}])
    assert (changed.name, changed.widgets[0]["aggregate"]) == ("趋势图", "max")
    dashboards.delete_dashboard(engine, first.id)
    assert [d.id for d in dashboards.list_dashboards(engine, base.id)] == [second.id]
    with pytest.raises(NotFoundError):
        dashboards.get_dashboard(engine, first.id)
    schema.delete_base(engine, base.id)                       # dashboards go with their base
    assert dashboards.list_dashboards(engine, base.id) == []


@pytest.mark.parametrize("widget, message", [
    ({"type": "radar", "table_id": 1}, "type must be one of number, bar, line, pie, funnel"),
    ({"type": "bar", "table_id": 1, "aggregate": "median"}, "aggregate one of count"),
    ({"type": "bar", "table_id": 1, "aggregate": "sum"}, "aggregate sum needs a field"),
])
def test_bad_widgets_are_refused(engine, widget: dict, message: str) -> None:
    base = schema.create_base(engine, "B")
    with pytest.raises(SchemaError) as info:
        dashboards.create_dashboard(engine, base.id, "D", [widget])
    assert message in info.value.message_en and info.value.message_zh
    assert dashboards.list_dashboards(engine, base.id) == []
