"""The recall automation of the pack over a moving clock (CLINIC_CRM.md "Recall automation"),
and the rules after an admin edits a threshold."""

from __future__ import annotations

import datetime as dt

import pytest

import tessera.workflow as wf
from tessera import schema_ops as schema
from tests.clinic_crm.conftest import TODAY, Clinic, days_ago
from tests.clinic_crm.test_pack import pack_formula


def _move(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    monkeypatch.setenv("TESSERA_TODAY", (TODAY + dt.timedelta(days=days)).isoformat())


def _work(clinic: Clinic) -> None:
    worker = wf.Worker(clinic.engine, worker_id="test")
    worker.run_once()
    worker.run_once()


def _recalls(clinic: Clinic) -> list[tuple[str, str, str | None, str]]:
    return sorted((r["fields"]["标题"], r["fields"]["到期日"], clinic.who(r["fields"]["负责人"]),
                   r["fields"]["状态"])
                  for r in clinic.rows("tasks") if r["fields"]["类型"] == "召回")


def _lapsing(clinic: Clinic, name: str, age: int, amount: float = 100, **values: object) -> int:
    cid = clinic.customer(姓名=name, 负责咨询师="张慧", **values)
    clinic.visit(cid, days_ago(age), amount)
    return cid


def test_recall_over_a_moving_clock(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    recall = clinic.result.ids.automations["recall"]
    wf.disable_automation(clinic.engine, recall)
    _lapsing(clinic, "老客", 400)                      # lapsed before the switch-on
    _lapsing(clinic, "将流失", 179)                    # crosses 180 tomorrow (value class C)
    _lapsing(clinic, "大客户", 179, 60000)             # crosses tomorrow, class S
    _lapsing(clinic, "纠纷客", 179, 满意度="纠纷")
    busy = _lapsing(clinic, "有任务", 179)
    clinic.add("tasks", 标题="已有召回", 客户=[busy], 类型="召回", 状态="已联系", 到期日=days_ago(1))
    _lapsing(clinic, "近期", 10)
    wf.enable_automation(clinic.engine, recall)        # baseline: 老客 does not fire
    _work(clinic)
    assert _recalls(clinic) == [("已有召回", days_ago(1), None, "已联系")]

    _move(monkeypatch, 1)                              # 2026-07-01
    _work(clinic)
    _work(clinic)                                      # a second pass the same day: nothing new
    assert _recalls(clinic) == [("召回 大客户", "2026-07-04", "张慧", "待办"),
                                ("召回 将流失", "2026-07-04", "邀约专员1", "待办"),
                                ("已有召回", days_ago(1), None, "已联系")]

    _move(monkeypatch, 2)                              # still lapsed the next day: no repeat
    _work(clinic)
    assert len(_recalls(clinic)) == 3
    late = clinic.customer(姓名="后建", 负责咨询师="李婷")   # created one by one afterwards
    clinic.visit(late, days_ago(200), 100)
    clinic.update("customers", late, 备注="补录到院记录")  # its first true evaluation
    _work(clinic)
    assert ("召回 后建", "2026-07-05", "邀约专员2", "待办") in _recalls(clinic)
    assert len(_recalls(clinic)) == 4


def test_recall_follows_an_edited_threshold(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    recall = clinic.result.ids.automations["recall"]
    _lapsing(clinic, "一百二", 119)
    _lapsing(clinic, "一百八", 150)
    wf.update_automation(clinic.engine, recall, trigger={
        "type": "condition_true", "options": {"formula": "{距上次到院天数} >= 120"}})
    wf.disable_automation(clinic.engine, recall)
    wf.enable_automation(clinic.engine, recall)        # 一百八 (150 ≥ 120) is the baseline
    _move(monkeypatch, 1)
    _work(clinic)
    assert [t[0] for t in _recalls(clinic)] == ["召回 一百二"]


def test_dispute_cancels_open_tasks(clinic: Clinic) -> None:
    cid = clinic.customer(姓名="投诉客")
    states = ["待办", "已联系", "已预约", "已到院"]
    for state in states:
        clinic.add("tasks", 标题=state, 客户=[cid], 类型="关怀", 状态=state, 到期日=days_ago(0))
    clinic.update("customers", cid, 满意度="纠纷")
    _work(clinic)
    _work(clinic)
    got = sorted((r["fields"]["标题"], r["fields"]["状态"]) for r in clinic.rows("tasks"))
    assert got == sorted([("待办", "已取消"), ("已联系", "已取消"), ("已预约", "已预约"),
                          ("已到院", "已到院")])


def _edit(clinic: Clinic, field: str, old: str, new: str) -> None:
    table = schema.get_table(clinic.engine, clinic.table("customers"))
    formula = pack_formula("customers", field)
    assert old in formula
    schema.update_field_options(clinic.engine, table.field(field).id,
                                {"formula": formula.replace(old, new)})


EDIT_CASES = [
    ("价值分级", ">=30000", ">=50000", [(29999.99, "B", "B"), (30000, "A", "B"), (40000, "A", "B"),
                                          (49999.99, "A", "B"), (50000, "S", "S")]),
    ("价值分级", ">=10000", ">=8000", [(7999.99, "C", "C"), (8000, "C", "B"), (9999.99, "C", "B")]),
]


@pytest.mark.parametrize("field,old,new,cases", EDIT_CASES, ids=["A at 50000", "B at 8000"])
def test_value_class_after_threshold_edit(clinic: Clinic, field: str, old: str, new: str,
                                          cases: list[tuple[float, str, str]]) -> None:
    ids = []
    for spend, before, _ in cases:
        cid = clinic.customer()
        clinic.visit(cid, days_ago(3), spend)
        ids.append(cid)
        assert clinic.get(cid)[field] == before, spend
    _edit(clinic, field, old, new)
    assert [clinic.get(cid)[field] for cid in ids] == [after for _, _, after in cases]
    extra = clinic.customer()                          # and new data follows the new rule
    clinic.visit(extra, days_ago(1), cases[-2][0])
    assert clinic.get(extra)[field] == cases[-2][2]


def test_lifecycle_after_threshold_edit(clinic: Clinic) -> None:
    ages = [119, 120, 179, 180]
    ids = [_lapsing(clinic, f"c{age}", age) for age in ages]
    assert [clinic.get(c)["生命周期"] for c in ids] == ["活跃", "活跃", "活跃", "半流失"]
    _edit(clinic, "生命周期", ">= 180", ">= 120")
    assert [clinic.get(c)["生命周期"] for c in ids] == ["活跃", "半流失", "半流失", "半流失"]
