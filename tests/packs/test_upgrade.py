"""Upgrade v1 → v2 of a pack into a base users changed (renamed a field, edited a formula
threshold, added a field): user data and user edits survive, the pack's changes land
elsewhere, conflicts are reported with both versions, all in one transaction."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera import dashboards
from tessera import schema_ops as schema
from tessera.packs import PackError, install, load_pack
from tessera.packs.export import export_base
from tessera.packs.store import load_installed
from tessera.packs.upgrade import upgrade_pack
from tessera.query import query_view
from tessera.records import RecordService

from .conftest import GYM, SHOP_V1, SHOP_V2, fields_of, user_tables

USER_THRESHOLD = 'IF({累计消费} >= 40000, "S", IF({累计消费} >= 10000, "A", "B"))'


class Shop:
    """Shop v1 installed, with data, and the user's edits."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.result = install(engine, SHOP_V1, "小店")
        self.records = RecordService(engine)
        self.customers = self.result.table_id("customers")
        self.visits = self.result.table_id("visits")
        visit = self.records.create(self.visits, {"编号": "V1", "金额": 300,
                                                  "日期": "2024-12-01"})["id"]
        self.li = self.records.create(self.customers, {
            "姓名": "李", "累计消费": 45000, "备注": "老客户", "旧编号": "X-1",
            "到院": [visit]})["id"]
        self.wang = self.records.create(self.customers, {"姓名": "王", "累计消费": 500})["id"]

    def edit_like_a_user(self) -> None:
        table = schema.get_table(self.engine, self.customers)
        schema.rename_field(self.engine, table.field("备注").id, "客户备注")          # rename
        schema.update_field_options(self.engine, table.field("价值分级").id,
                                    {"formula": USER_THRESHOLD})                      # threshold
        schema.add_field(self.engine, self.customers, "微信", "text")                  # new field
        self.records.update(self.customers, self.li, {"微信": "li_wx"})

    def ids(self) -> Any:
        with self.engine.connect() as conn:
            installed = load_installed(conn, self.result.base_id)
        assert installed is not None
        return installed.ids

    def upgrade(self, **kw: Any) -> Any:
        return upgrade_pack(self.engine, SHOP_V2, self.result.base_id, **kw)

    def row(self, rid: int) -> dict[str, Any]:
        return self.records.get(self.customers, rid)["fields"]

    def state(self) -> Any:
        return export_base(self.engine, self.result.base_id), user_tables(self.engine), \
            [self.row(self.li), self.row(self.wang)]


@pytest.fixture
def shop(engine: sa.Engine) -> Shop:
    return Shop(engine)


# (kind, key) → the action the upgrade takes
EXPECTED_PLAN = {
    ("table", "tasks"): "add",
    ("field", "customers.days_since"): "add",
    ("field", "customers.double_spend"): "remove",
    ("field", "customers.last_visit"): "add",
    ("field", "customers.legacy"): "keep",
    ("field", "customers.note_length"): "add",
    ("field", "customers.value_class"): "conflict",
    ("field", "tasks.due"): "add",
    ("field", "tasks.title"): "add",
    ("field", "visits.amount"): "update",
    ("view", "lapsed"): "add",
    ("view", "top"): "update",
    ("dashboard", "overview"): "update",
    ("automation", "vip"): "update",
}


def test_upgrade_keeps_user_edits_applies_pack_changes_and_reports_conflicts(shop: Shop) -> None:
    shop.edit_like_a_user()
    report = shop.upgrade()
    assert {(i.kind, i.key): i.action for i in report.items} == EXPECTED_PLAN
    assert (report.from_version, report.to_version) == ("1.0.0", "2.0.0")

    # the conflict: both changed the threshold; the user's version stays, both are reported
    [conflict] = report.conflicts
    assert conflict.ours["options"]["formula"] == USER_THRESHOLD.replace("{累计消费}", "{@spend}")
    assert "60000" in conflict.theirs["options"]["formula"]
    assert "field customers.value_class: CONFLICT" in report.render()

    fields = fields_of(shop.engine, shop.customers)
    assert fields["价值分级"] == ("formula", USER_THRESHOLD)                # user edit kept
    assert "客户备注" in fields and "备注" not in fields                     # user rename kept
    assert fields["微信"] == ("text", None)                                 # user field kept
    assert fields["备注长度"] == ("formula", "LEN({客户备注})")              # new, on the new name
    assert fields["距上次到院天数"] == ("formula", "TODAY() - {最近到院}")
    assert fields["到院次数"] == ("rollup", "COUNT({到院}.{消费金额})")
    assert "双倍消费" not in fields                                        # removed (computed)
    assert fields["旧编号"] == ("text", None)                               # removed but has data
    assert "消费金额" in fields_of(shop.engine, shop.visits)                # pack rename applied

    li = shop.row(shop.li)                                                  # data survives
    assert (li["姓名"], li["累计消费"], li["客户备注"], li["旧编号"], li["微信"]) == \
        ("李", 45000.0, "老客户", "X-1", "li_wx")
    assert (li["价值分级"], li["备注长度"], li["最近到院"], li["距上次到院天数"]) == \
        ("S", 3.0, "2024-12-01", 90.0)

    top = query_view(shop.engine, shop.result.ids.views["top"]).rows       # view updated
    assert [r["fields"]["姓名"] for r in top] == ["李"]
    lapsed = schema.get_view(shop.engine, shop.ids().views["lapsed"])
    assert lapsed.table_id == shop.customers
    board = dashboards.get_dashboard(shop.engine, shop.result.ids.dashboards["overview"])
    assert [w["type"] for w in board.widgets] == ["pie", "number"]
    vip = wf.get_automation(shop.engine, shop.result.ids.automations["vip"])
    assert vip["condition"] == "{累计消费} > 0" and vip["enabled"]
    assert [t.name for t in schema.list_tables(shop.engine, shop.result.base_id)] == \
        ["客户", "到院记录", "回访任务"]

    with shop.engine.connect() as conn:
        installed = load_installed(conn, shop.result.base_id)
    assert installed is not None and installed.version == "2.0.0"
    assert "customers.legacy" not in installed.ids.fields                  # no longer the pack's
    assert installed.ids.tables["tasks"] == schema.list_tables(shop.engine, shop.result.base_id)[2].id
    # the same version again: nothing to do; the kept conflict is now simply a user edit
    assert shop.upgrade().items == []
    assert fields_of(shop.engine, shop.customers)["价值分级"] == ("formula", USER_THRESHOLD)


def test_dry_run_prints_the_plan_and_changes_nothing(shop: Shop) -> None:
    shop.edit_like_a_user()
    before = shop.state()
    report = shop.upgrade(dry_run=True)
    assert report.dry_run
    assert {(i.kind, i.key): i.action for i in report.items} == {
        **EXPECTED_PLAN, ("field", "customers.legacy"): "remove"}
    assert shop.state() == before
    text = report.render()
    assert text.startswith("plan: shop 1.0.0 → 2.0.0") and "试运行" in text
    assert "field customers.value_class: CONFLICT" in text


def test_prune_deletes_removed_fields_that_hold_data(shop: Shop) -> None:
    report = shop.upgrade(prune=True)
    assert ("field", "customers.legacy", "remove") in [(i.kind, i.key, i.action) for i in report.items]
    assert "旧编号" not in fields_of(shop.engine, shop.customers)
    assert shop.row(shop.li)["累计消费"] == 45000.0


def test_untouched_base_takes_every_change_without_conflicts(shop: Shop) -> None:
    report = shop.upgrade()
    assert report.conflicts == []
    assert fields_of(shop.engine, shop.customers)["价值分级"][1].count("60000") == 1
    assert shop.row(shop.li)["价值分级"] == "A"                              # 45000 < 60000


@pytest.mark.parametrize("step", ["update_field", "remove_fields", "objects"])
def test_upgrade_is_all_or_nothing(shop: Shop, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    shop.edit_like_a_user()
    before = shop.state()
    applier = sys.modules["tessera.packs.upgrade"]._Applier

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(applier, step, fail)
    with pytest.raises(RuntimeError):
        shop.upgrade()
    assert shop.state() == before
    with shop.engine.connect() as conn:
        assert load_installed(conn, shop.result.base_id).version == "1.0.0"


def test_user_deleting_what_the_pack_changes_is_a_conflict(shop: Shop) -> None:
    schema.delete_view(shop.engine, shop.result.ids.views["top"])
    report = shop.upgrade()
    [item] = [i for i in report.items if i.kind == "view" and i.key == "top"]
    assert item.action == "conflict" and item.ours is None and item.theirs["filter"]
    assert [v.name for v in schema.list_views(shop.engine, shop.customers)] == ["久未到院"]


def test_upgrade_refuses_a_base_without_a_pack_or_with_another_pack(engine) -> None:
    base = schema.create_base(engine, "手工")
    with pytest.raises(PackError) as info:
        upgrade_pack(engine, SHOP_V2, base.id)
    assert info.value.code == "pack.not_installed"
    gym = install(engine, GYM, "健身房")
    with pytest.raises(PackError) as info:
        upgrade_pack(engine, load_pack(SHOP_V2), gym.base_id)
    assert info.value.code == "pack.other_pack"


def test_a_link_change_the_storage_layer_cannot_make_is_reported(shop: Shop, tmp_path) -> None:
    text = (SHOP_V1 / "pack.yaml").read_text(encoding="utf-8").replace(
        "version: 1.0.0", "version: 1.1.0").replace(
        "options: {target: visits, inverse_name: 客户, inverse_key: customer, inverse_many: false}",
        "options: {target: visits, many: false, inverse_name: 客户, inverse_key: customer, "
        "inverse_many: false}")
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    report = upgrade_pack(shop.engine, tmp_path, shop.result.base_id)
    assert [(i.key, i.action) for i in report.items] == [("customers.visits", "skipped")]
    assert "recreate the link by hand" in report.render()
    link = schema.get_table(shop.engine, shop.customers).field("到院")
    assert link.options["many"] is True


def test_a_type_change_by_the_pack_converts_values_and_keeps_rejects(shop: Shop, tmp_path) -> None:
    other = shop.records.create(shop.customers, {"姓名": "赵", "旧编号": "42"})["id"]
    text = (SHOP_V1 / "pack.yaml").read_text(encoding="utf-8").replace(
        "version: 1.0.0", "version: 1.1.0").replace(
        "{key: legacy, name: 旧编号, type: text}",
        "{key: legacy, name: 旧编号, type: number, options: {precision: 0}}")
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    report = upgrade_pack(shop.engine, tmp_path, shop.result.base_id)
    assert [(i.key, i.action) for i in report.items] == [("customers.legacy", "update")]
    assert fields_of(shop.engine, shop.customers)["旧编号"] == ("number", None)
    assert shop.row(other)["旧编号"] == 42.0
    assert shop.row(shop.li)["旧编号"] is None                 # "X-1" is not a number …
    rejects = schema.list_conversion_rejects(
        shop.engine, schema.get_table(shop.engine, shop.customers).field("旧编号").id)
    assert [(r.record_id, r.original_value) for r in rejects] == [(shop.li, "X-1")]  # … kept
