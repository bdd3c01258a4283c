"""Pack views keep their kind and layout: install stores ``type`` / ``group_by`` / ``fields`` /
``stack_field`` / ``date_field`` / ``row_height`` in the view, export writes them back (export →
install → export is stable), upgrade applies a changed layout, validation refuses a stack or
date field of the wrong type, and the clinic pack's boards install with their layout."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera import schema_ops as schema
from tessera.packs import check_pack, install, load_pack
from tessera.packs.export import export_base, write_pack
from tessera.packs.upgrade import upgrade_pack

from .conftest import ROOT, SHOP_V1

CLINIC = ROOT / "apps" / "clinic_crm"

STAGE = {"key": "stage", "name": "阶段", "type": "single_select",
         "options": {"choices": [{"label": "新客"}, {"label": "成交"}]}}
VIEWS = [
    {"key": "board", "table": "customers", "name": "阶段看板", "type": "kanban",
     "group_by": "阶段", "fields": ["姓名", "累计消费"]},
    {"key": "board2", "table": "customers", "name": "分级看板", "type": "kanban",
     "group_by": "价值分级", "stack_field": "阶段"},
    {"key": "days", "table": "visits", "name": "到院日历", "type": "calendar",
     "date_field": "日期"},
    {"key": "grouped", "table": "customers", "name": "分组", "type": "grid",
     "group_by": ["价值分级", "阶段"], "fields": ["累计消费", "姓名"], "row_height": "tall"},
    {"key": "intake", "table": "customers", "name": "登记", "type": "form",
     "fields": ["姓名", "阶段"]},
]


def _pack(tmp_path: Path, name: str, views: list[dict[str, Any]],
          version: str = "1.0.0") -> Path:
    data = yaml.safe_load((SHOP_V1 / "pack.yaml").read_text(encoding="utf-8"))
    data["tables"][0]["fields"].append(STAGE)
    data["views"] = [*data["views"], *copy.deepcopy(views)]
    data["version"] = version
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def _layout_by_name(engine, table_id: int, layout: dict[str, Any]) -> dict[str, Any]:
    table = schema.get_table(engine, table_id)
    name = {f.id: f.name for f in table.fields}
    return {k: ([name[i] for i in v] if isinstance(v, list) else name.get(v, v))
            for k, v in layout.items()}


@pytest.mark.parametrize("key, kind, layout", [
    ("board", "kanban", {"group_by": ["阶段"], "fields": ["姓名", "累计消费"],
                         "stack_field": "阶段"}),
    ("board2", "kanban", {"group_by": ["价值分级"], "stack_field": "阶段"}),
    ("days", "calendar", {"date_field": "日期"}),
    ("grouped", "grid", {"group_by": ["价值分级", "阶段"], "fields": ["累计消费", "姓名"],
                         "row_height": "tall"}),
    ("intake", "form", {"fields": ["姓名", "阶段"]}),
    ("top", "grid", {}),
])
def test_install_stores_kind_and_layout(engine, tmp_path, key, kind, layout) -> None:
    result = install(engine, _pack(tmp_path, "p", VIEWS), "小店")
    view = schema.get_view(engine, result.ids.views[key])
    assert view.kind == kind
    assert _layout_by_name(engine, view.table_id, view.layout) == layout


def test_export_install_export_keeps_kind_and_layout(engine, tmp_path) -> None:
    source = _pack(tmp_path, "p", VIEWS)
    first = install(engine, source, "原始")
    pack = export_base(engine, first.base_id)
    exported = {v["key"]: v for v in pack["views"]}
    for spec in VIEWS:                       # what the pack said comes back as written
        got = exported[spec["key"]]
        assert {k: got.get(k) for k in spec} == spec
    out1 = write_pack(pack, tmp_path / "one")
    second = install(engine, tmp_path / "one", "副本")
    out2 = write_pack(export_base(engine, second.base_id), tmp_path / "two")
    assert out1.read_text(encoding="utf-8") == out2.read_text(encoding="utf-8")
    for key, vid in first.ids.views.items():
        a, b = schema.get_view(engine, vid), schema.get_view(engine, second.ids.views[key])
        assert a.kind == b.kind
        assert _layout_by_name(engine, a.table_id, a.layout) == \
            _layout_by_name(engine, b.table_id, b.layout)


def test_layout_changed_in_the_app_is_exported(engine, tmp_path) -> None:
    result = install(engine, _pack(tmp_path, "p", VIEWS), "小店")
    customers = schema.get_table(engine, result.table_id("customers"))
    schema.update_view(engine, result.ids.views["top"], kind="kanban",
                       layout={"stack_field": "阶段", "fields": ["累计消费"]})
    top = next(v for v in export_base(engine, result.base_id)["views"] if v["key"] == "top")
    assert (top["type"], top["stack_field"], top["fields"]) == ("kanban", "阶段", ["累计消费"])
    assert customers.field("阶段").type == "single_select"


def test_upgrade_applies_a_changed_layout(engine, tmp_path) -> None:
    result = install(engine, _pack(tmp_path, "v1", VIEWS), "小店")
    changed = copy.deepcopy(VIEWS)
    changed[2] = {**changed[2], "type": "grid", "group_by": "金额"}
    changed[3] = {**changed[3], "fields": ["姓名", "累计消费"], "row_height": "short"}
    report = upgrade_pack(engine, _pack(tmp_path, "v2", changed, "1.1.0"), result.base_id)
    updates = sorted(i.key for i in report.items if i.kind == "view" and i.action == "update")
    assert updates == ["days", "grouped"]
    days = schema.get_view(engine, result.ids.views["days"])
    grouped = schema.get_view(engine, result.ids.views["grouped"])
    assert days.kind == "grid"
    assert _layout_by_name(engine, days.table_id, days.layout) == {
        "group_by": ["金额"], "date_field": "日期"}
    assert _layout_by_name(engine, grouped.table_id, grouped.layout)["fields"] == ["姓名",
                                                                                   "累计消费"]
    assert grouped.layout["row_height"] == "short"


@pytest.mark.parametrize("view, words", [
    ({"type": "kanban", "stack_field": "累计消费"}, "single select"),
    ({"type": "calendar", "date_field": "阶段"}, "date or datetime"),
    ({"group_by": ["阶段", "没有"]}, "has no field"),
    ({"type": "gallery"}, "gallery"),
])
def test_validation_refuses_bad_layouts(tmp_path, view, words) -> None:
    spec = {"key": "bad", "table": "customers", "name": "坏", **view}
    validated, issues = check_pack(load_pack(_pack(tmp_path, "bad", [spec])))
    assert validated is None
    assert any(words in i.message_en and "views" in i.path for i in issues), issues


def test_clinic_views_install_with_their_layout(engine) -> None:
    result = install(engine, CLINIC, "诊所")
    views = {k: schema.get_view(engine, v) for k, v in result.ids.views.items()}
    rfm = views["rfm_board"]
    assert (rfm.name, rfm.kind) == ("RFM 分群", "kanban")
    assert _layout_by_name(engine, rfm.table_id, rfm.layout) == {
        "group_by": ["RFM分群"], "fields": ["姓名", "R分", "F分", "M分", "近12月消费"]}
    lead = _layout_by_name(engine, views["lead_pool"].table_id, views["lead_pool"].layout)
    assert lead["group_by"] == ["潜客分级"] and lead["fields"][:3] == ["姓名", "手机", "微信"]
    mine = _layout_by_name(engine, views["my_followups_today"].table_id,
                           views["my_followups_today"].layout)
    assert "group_by" not in mine       # per signed-in user: filtered by 负责人 = @me instead
    owner = schema.get_table(engine, views["my_followups_today"].table_id).field("负责人").id
    assert {"field": owner, "op": "=", "value": "@me"} in \
        views["my_followups_today"].filters["and"]
    assert views["recall_calendar"].kind == "calendar"
    exported = {v["key"]: v for v in export_base(engine, result.base_id)["views"]}
    assert (exported["rfm_board"]["type"], exported["rfm_board"]["group_by"]) == ("kanban",
                                                                                  "RFM分群")
