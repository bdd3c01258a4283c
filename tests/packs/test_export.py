"""Export: a live base back to a pack. Installing the export into another base reproduces the
schema: export → install → export gives the same pack.yaml (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tessera import schema_ops as schema
from tessera.packs import install, load_pack, validate
from tessera.packs.export import dump_pack, export_base, write_pack

from .conftest import GYM, SHOP_V1, fields_of


@pytest.mark.parametrize("pack", [SHOP_V1, GYM], ids=lambda p: p.name)
def test_export_install_export_gives_the_same_pack(engine, tmp_path: Path, pack: Path) -> None:
    first = install(engine, pack, "原始")
    out1 = write_pack(export_base(engine, first.base_id), tmp_path / "one")
    second = install(engine, tmp_path / "one", "副本")
    out2 = write_pack(export_base(engine, second.base_id), tmp_path / "two")
    assert out1.read_text(encoding="utf-8") == out2.read_text(encoding="utf-8")
    for key, table_id in first.ids.tables.items():
        assert fields_of(engine, table_id) == fields_of(engine, second.ids.tables[key])


@pytest.mark.parametrize("pack", [SHOP_V1, GYM], ids=lambda p: p.name)
def test_export_of_a_fresh_install_is_the_pack_itself(engine, pack: Path) -> None:
    result = install(engine, pack, "原始")
    assert export_base(engine, result.base_id) == validate(load_pack(pack)).pack


def test_export_includes_what_users_added_and_changed(engine, tmp_path: Path) -> None:
    result = install(engine, SHOP_V1, "小店")
    customers = schema.get_table(engine, result.table_id("customers"))
    schema.rename_field(engine, customers.field("备注").id, "客户备注")
    schema.add_field(engine, customers.id, "wechat id", "text")
    schema.add_field(engine, customers.id, "会员等级", "single_select",
                     {"choices": [{"label": "金"}, {"label": "银"}]})
    schema.create_view(engine, customers.id, "金卡", filters={
        "field": "会员等级", "op": "=", "value": "金"}, hidden_fields=["客户备注"])
    pack = export_base(engine, result.base_id)
    fields = {f["name"]: f for f in pack["tables"][0]["fields"]}
    assert fields["客户备注"]["key"] == "note"                   # keys survive renames
    assert fields["wechat id"]["key"] == "wechat_id"              # made from the name
    assert fields["会员等级"]["key"].startswith("field_")          # made from the id
    assert fields["会员等级"]["options"] == {"choices": [{"label": "金", "color": "blue"},
                                                     {"label": "银", "color": "green"}]}
    view = pack["views"][-1]
    assert view["filter"] == {"field": "会员等级", "op": "=", "value": "金"}
    assert view["hidden"] == ["客户备注"]
    write_pack(pack, tmp_path / "mine")
    copy = install(engine, tmp_path / "mine", "副本")
    assert export_base(engine, copy.base_id) == pack


def test_export_of_a_base_made_by_hand(engine, tmp_path: Path) -> None:
    base = schema.create_base(engine, "Hand Made")
    people = schema.create_table(engine, base.id, "People", primary_field="Name",
                                 fields=[schema.FieldSpec("Age", "number", {"precision": 0})])
    orders = schema.create_table(engine, base.id, "Orders", primary_field="No")
    schema.add_field(engine, orders.id, "Buyer", "link", {"target_table_id": people.id,
                                                          "many": False, "inverse_name": "Orders"})
    schema.add_field(engine, people.id, "Order count", "rollup", {
        "link_field_id": schema.get_table(engine, people.id).field("Orders").id,
        "target_field_id": orders.primary_field.id, "function": "COUNTA"})
    pack = export_base(engine, base.id, version="2.1.0")
    assert (pack["name"], pack["version"]) == ("hand_made", "2.1.0")
    buyer = pack["tables"][1]["fields"][0]
    assert buyer == {"key": "buyer", "name": "Buyer", "type": "link", "options": {
        "target": "people", "many": False, "inverse_name": "Orders", "inverse_key": "orders",
        "inverse_many": True}}
    assert pack["tables"][0]["fields"][-1]["options"] == {"link": "Orders", "field": "No",
                                                         "function": "COUNTA"}
    text = dump_pack(pack)
    assert yaml.safe_load(text)["tables"][0]["key"] == "people"
    write_pack(pack, tmp_path / "hand")
    assert validate(load_pack(tmp_path / "hand")).pack == pack


def test_keys_that_are_not_identifiers_are_left_implicit(engine) -> None:
    result = install(engine, SHOP_V1, "小店")
    schema.add_field(engine, result.table_id("visits"), "备注", "text")
    text = dump_pack(export_base(engine, result.base_id))
    assert "key: field_" in text and "key: 备注" not in text
