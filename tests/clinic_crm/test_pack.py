"""The pack file itself: valid against the schema and the platform's formula checker, with
every table and field name of CLINIC_CRM.md."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from tessera.packs.source import load_pack
from tessera.packs.validate import validate
from tests.clinic_crm.conftest import PACK


@cache
def pack_data() -> dict[str, Any]:
    return yaml.safe_load((PACK / "pack.yaml").read_text(encoding="utf-8"))


def pack_formula(table_key: str, field_name: str) -> str:
    table = next(t for t in pack_data()["tables"] if t["key"] == table_key)
    field = next(f for f in table["fields"] if f["name"] == field_name)
    return field["options"]["formula"]


def test_pack_validates() -> None:
    validated = validate(load_pack(PACK))
    assert validated.pack["name"] == "clinic_crm"
    assert len(validated.computed_order) >= 30


SPEC_FIELDS = {
    "客户": ["姓名", "手机", "微信", "性别", "出生日期", "来源渠道", "介绍人", "主诉需求", "负责咨询师",
           "满意度", "老带新意向", "备注", "首次到院", "最近到院", "到院次数", "累计消费", "距上次到院天数",
           "价值分级", "潜客分级", "生命周期", "近12月到院次数", "近12月消费", "R分", "F分", "M分",
           "RFM分群", "积分", "会员等级", "下次召回日期", "储值余额"],
    "到院消费": ["客户", "日期", "项目", "金额", "支付方式", "医生/专家", "是否特价"],
    "项目": ["名称", "类别", "价格", "后续项目", "间隔天数", "是否新品"],
    "活动": ["名称", "类型", "日期"],
    "活动参与": ["客户", "活动", "日期", "是否购买活动商品"],
    "回访任务": ["客户", "类型", "负责人", "到期日", "状态", "邀约方案", "结果"],
    "会员等级": ["名称", "积分门槛", "折扣"],
    "积分流水": ["客户", "日期", "变动", "原因"],
    "储值流水": ["客户", "日期", "变动", "原因"],
}

SPEC_CHOICES = [
    ("客户", "来源渠道", {"网络活动", "线下活动", "转介绍", "自然到院"}),
    ("客户", "满意度", {"满意", "一般", "纠纷"}),
    ("到院消费", "支付方式", {"现金", "储值", "积分", "商保直付"}),
    ("到院消费", "医生/专家", {"本院", "外聘"}),
    ("活动", "类型", {"专家活动", "新品发布", "活动特价", "免费体验"}),
    ("回访任务", "类型", {"召回", "复诊提醒", "关怀", "生日", "邀约"}),
    ("回访任务", "状态", {"待办", "已联系", "已预约", "已到院", "无效", "已取消"}),
    ("积分流水", "原因", {"兑换", "赠送", "调整"}),
    ("储值流水", "原因", {"充值", "赠送", "消费", "退款"}),
]


def _fields(table_name: str) -> dict[str, dict[str, Any]]:
    table = next(t for t in pack_data()["tables"] if t["name"] == table_name)
    fields = {table["primary"]["name"]: table["primary"]}
    fields.update({f["name"]: f for f in table.get("fields", [])})
    for other in pack_data()["tables"]:
        for f in other.get("fields", []):
            inverse = (f.get("options") or {}).get("inverse_name")
            if f["type"] == "link" and inverse and f["options"]["target"] == table.get("key"):
                fields[inverse] = {"type": "link"}
    return fields


def test_owners_are_user_fields() -> None:
    """负责咨询师 / 负责人 hold users, so row rules compare them with CURRENT_USER()."""
    assert _fields("客户")["负责咨询师"]["type"] == "user"
    assert _fields("回访任务")["负责人"]["type"] == "user"
    mine = next(v for v in pack_data()["views"] if v["name"] == "我的今日回访")
    assert {"field": "负责人", "op": "=", "value": "@me"} in mine["filter"]["and"]


@pytest.mark.parametrize("table,names", list(SPEC_FIELDS.items()))
def test_spec_field_names(table: str, names: list[str]) -> None:
    missing = [n for n in names if n not in _fields(table)]
    assert not missing, f"{table} lacks {missing}"


@pytest.mark.parametrize("table,field,labels", SPEC_CHOICES)
def test_spec_choices(table: str, field: str, labels: set[str]) -> None:
    choices = {c["label"] for c in _fields(table)[field]["options"]["choices"]}
    assert labels <= choices


def test_views_dashboard_and_automations() -> None:
    data = pack_data()
    assert {"潜客池", "客户盘点表", "我的今日回访", "流失预警", "RFM 分群"} <= {v["name"] for v in data["views"]}
    kanban = next(v for v in data["views"] if v["name"] == "RFM 分群")
    assert (kanban["type"], kanban["group_by"]) == ("kanban", "RFM分群")
    assert next(v for v in data["views"] if v["name"] == "潜客池")["group_by"] == "潜客分级"
    widgets = [w for d in data["dashboards"] for w in d["widgets"]]
    assert {"funnel", "bar", "number"} <= {w["type"] for w in widgets}
    recall = next(a for a in data["automations"] if a["key"] == "recall")
    assert recall["trigger"] == {"type": "condition_true", "options": {"formula": "{距上次到院天数} >= 180"}}
    assert '"纠纷"' in recall["condition"]


def test_readme_explains_every_rule() -> None:
    """Each formula field and automation of the pack has its place in the admins' README."""
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    names = [f["name"] for t in pack_data()["tables"] for f in t.get("fields", [])
             if f["type"] == "formula" and t["key"] in ("customers", "services")]
    names += [a["name"] for a in pack_data()["automations"]]
    missing = [n for n in names if n not in readme]
    assert not missing, f"apps/clinic_crm/README.md does not mention {missing}"
