"""Clock-based triggers with the clock moved by TESSERA_TODAY: they fire on the right day, once."""

from __future__ import annotations

import datetime as dt

import pytest

import tessera.workflow as wf

RECALL = 'AND(TODAY() - {最近到院} >= 180, {满意度} <> "纠纷")'


def _days_ago(n: int, today: str = "2025-03-01") -> str:
    return (dt.date.fromisoformat(today) - dt.timedelta(days=n)).isoformat()


def _recall(clinic, formula: str = RECALL, **kw) -> int:
    return clinic.create_automation(
        trigger={"type": "condition_true", "options": {"formula": formula}},
        actions=[{"type": "create_record", "options": {"table": "回访任务", "values": {
            "标题": '="召回 " & {姓名}', "类型": "召回", "到期日": "=TODAY()+3",
            "客户": "={id}", "状态": "待办"}}}], **kw)


def _recalled(clinic) -> list[tuple[str, str]]:
    return sorted((t["fields"]["标题"], t["fields"]["到期日"]) for t in clinic.task_rows())


@pytest.mark.parametrize("formula", [
    RECALL,
    'AND({最近到院} <= TODAY() - 180, {满意度} <> "纠纷")',
    'AND(180 <= TODAY() - {最近到院}, {满意度} <> "纠纷")',
    'AND(TODAY() - {最近到院} > 179, {满意度} <> "纠纷")',
    'IF({满意度} = "纠纷", FALSE, TODAY() - {最近到院} >= 180)',
], ids=["days-since>=", "date<=today-N", "N<=days-since", "days-since>", "full-scan-form"])
def test_recall_worked_example(clinic, monkeypatch, formula) -> None:
    lapsed_before = clinic.add_customer(姓名="老客", 最近到院=_days_ago(400))
    almost = clinic.add_customer(姓名="将流失", 最近到院=_days_ago(179))
    dispute = clinic.add_customer(姓名="纠纷客", 最近到院=_days_ago(179), 满意度="纠纷")
    recent = clinic.add_customer(姓名="新客", 最近到院=_days_ago(10))
    aid = _recall(clinic, formula)
    wf.enable_automation(clinic.engine, aid)            # no backfill: 老客 only sets a baseline
    with wf.bulk_import():                              # imported lapsed: baseline, no run
        clinic.records.bulk_create(clinic.customers.id, [
            {"姓名": "导入老客", "最近到院": _days_ago(300)},
            {"姓名": "导入将流失", "最近到院": _days_ago(179)}], actor="import")
    clinic.add_customer(姓名="手工新建", 最近到院=_days_ago(200))   # one by one: fires at once
    clinic.work()
    clinic.work()
    assert _recalled(clinic) == [("召回 手工新建", "2025-03-04")]

    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")   # 将流失 crosses 180 days today
    clinic.work()
    clinic.work()                                       # a second pass the same day: nothing new
    assert _recalled(clinic) == [("召回 导入将流失", "2025-03-05"), ("召回 将流失", "2025-03-05"),
                                 ("召回 手工新建", "2025-03-04")]
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-03")
    clinic.work()
    assert len(clinic.task_rows()) == 3
    runs = clinic.runs(aid)
    assert {r.record_id for r in runs}.isdisjoint({lapsed_before, dispute, recent})
    assert almost in {r.record_id for r in runs}
    assert all(r.status == "succeeded" for r in runs)


def test_sweep_catches_up_missed_days(clinic, monkeypatch) -> None:
    a = clinic.add_customer(姓名="A", 最近到院=_days_ago(179))
    b = clinic.add_customer(姓名="B", 最近到院=_days_ago(178))
    aid = _recall(clinic, enabled=True)
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-05")   # the server was off for three days
    clinic.work()
    assert sorted(r.record_id for r in clinic.runs(aid)) == [a, b]


def test_enable_with_backfill_runs_for_records_already_matching(clinic) -> None:
    old = clinic.add_customer(姓名="老客", 最近到院=_days_ago(400))
    clinic.add_customer(姓名="新客", 最近到院=_days_ago(3))
    aid = _recall(clinic)
    wf.enable_automation(clinic.engine, aid, backfill=True)
    clinic.work()
    assert [r.record_id for r in clinic.runs(aid)] == [old]
    assert _recalled(clinic) == [("召回 老客", "2025-03-04")]


def test_non_clock_condition_flips_on_updates_and_refires_after_going_false(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "condition_true", "options": {"formula": "{积分} >= 100"}}, enabled=True,
        actions=[{"type": "notify", "options": {"users": ["owner"], "message": '="升级 " & {姓名}'}}])
    rid = clinic.add_customer(姓名="甲", 积分=10)
    clinic.records.update(clinic.customers.id, rid, {"积分": 120})
    clinic.records.update(clinic.customers.id, rid, {"积分": 150})   # still true: no new run
    clinic.work()
    clinic.records.update(clinic.customers.id, rid, {"积分": 50})
    clinic.records.update(clinic.customers.id, rid, {"积分": 200})   # false → true again
    clinic.work()
    assert [n.message for n in clinic.notifications()] == ["升级 甲", "升级 甲"]
    assert len(clinic.runs(aid)) == 2


@pytest.mark.parametrize(("options", "field_value", "fire_day"), [
    ({"field": "生日", "offset_days": -7, "annual": True}, "1990-03-08", "2025-03-01"),
    ({"field": "生日", "annual": True}, "1988-03-02", "2025-03-02"),
    ({"field": "最近到院", "offset_days": 3}, "2025-02-27", "2025-03-02"),
    ({"field": "最近到院", "offset_days": -1}, "2025-03-04", "2025-03-03"),
], ids=["birthday-week-before", "birthday", "3-days-after-visit", "day-before"])
def test_date_relative_fires_on_its_day_once(clinic, monkeypatch, options, field_value,
                                             fire_day) -> None:
    field = options["field"]
    rid = clinic.add_customer(姓名="x", **{field: field_value})
    clinic.add_customer(姓名="other", **{field: "1970-06-15"})
    aid = clinic.create_automation(
        trigger={"type": "date_relative", "options": options}, enabled=True, backfill=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": '="fired " & TODAY()'}}}])
    fired = []
    for day in ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]:
        monkeypatch.setenv("TESSERA_TODAY", day)
        clinic.work()
        clinic.work()
        fired += [day] * (len(clinic.runs(aid)) - len(fired))
    assert fired == [fire_day]
    assert [r.record_id for r in clinic.runs(aid)] == [rid]
    assert clinic.customer(rid)["备注"] == f"fired {fire_day}"


def test_schedule_fires_once_per_cron_time(clinic, monkeypatch) -> None:
    aid = clinic.create_automation(
        table_id=None, trigger={"type": "schedule", "options": {
            "cron": "0 9 * * *", "timezone": "Asia/Shanghai"}}, enabled=True,
        actions=[{"type": "notify", "options": {"users": ["boss"], "message": "日报"}}])
    first = wf.get_automation(clinic.engine, aid)["next_fire_at"]
    assert first.astimezone(dt.UTC).hour == 1          # 09:00 in Shanghai
    clinic.work()
    assert clinic.runs(aid) == []
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    clinic.work()
    runs = clinic.runs(aid)
    assert len(runs) == 1 and runs[0].status == "succeeded"
    assert runs[0].dedupe_key == "cron:" + first.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert wf.get_automation(clinic.engine, aid)["next_fire_at"] > first


def test_disabled_automations_do_nothing(clinic, monkeypatch) -> None:
    clinic.add_customer(姓名="A", 最近到院=_days_ago(179))
    aid = _recall(clinic, enabled=True)
    wf.disable_automation(clinic.engine, aid)
    clinic.add_customer(姓名="B", 最近到院=_days_ago(300))
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    assert clinic.runs(aid) == []


@pytest.mark.parametrize("condition", [
    '{距上次到院天数} >= 180',
    'AND({距上次到院天数} >= 180, {满意度} <> "纠纷")',
], ids=["formula-field", "formula-field-and-gate"])
def test_recall_on_a_materialized_days_since_formula_field(clinic, monkeypatch, condition) -> None:
    from tessera import schema_ops as schema
    from tessera.workflow.conditions import clock_boundary

    schema.add_field(clinic.engine, clinic.customers.id, "距上次到院天数", "formula",
                     {"formula": "TODAY() - {最近到院}"})
    table = schema.get_table(clinic.engine, clinic.customers.id)
    boundary = clock_boundary(table, condition)
    assert boundary is not None and (boundary.field, boundary.days) == ("最近到院", 180)
    clinic.add_customer(姓名="老客", 最近到院=_days_ago(400))
    almost = clinic.add_customer(姓名="将流失", 最近到院=_days_ago(179))
    aid = _recall(clinic, condition, enabled=True)
    clinic.work()
    assert clinic.runs(aid) == []
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    clinic.work()
    assert [r.record_id for r in clinic.runs(aid)] == [almost]
    assert _recalled(clinic) == [("召回 将流失", "2025-03-05")]


def test_recall_gate_skips_customers_with_an_open_recall_task(clinic, monkeypatch) -> None:
    """The worked example's last rule: no 召回 task of theirs is open (待办 or 已联系)."""
    busy = clinic.add_customer(姓名="已有任务", 最近到院=_days_ago(179))
    free = clinic.add_customer(姓名="无任务", 最近到院=_days_ago(179))
    clinic.records.create(clinic.tasks.id, {"标题": "旧", "类型": "召回", "状态": "已联系",
                                            "客户": [busy]})
    aid = _recall(clinic, enabled=True, condition=(
        'COUNTIFS({任务}.{类型}, "召回", {任务}.{状态}, "待办")'
        ' + COUNTIFS({任务}.{类型}, "召回", {任务}.{状态}, "已联系") = 0'))
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    assert {r.record_id: r.status for r in clinic.runs(aid)} == {busy: "skipped", free: "succeeded"}
    assert ("召回 无任务", "2025-03-05") in _recalled(clinic)
    assert not any(title == "召回 已有任务" for title, _ in _recalled(clinic))


@pytest.mark.parametrize(("term", "note", "fires"), [
    ('{备注} <> "不联系"', "不联系", False),
    ('{备注} <> "不联系"', None, True),
    ('{备注} <> "不联系"', "可以联系", True),
    ('{备注} = "重点"', "重点", True),
    ('{备注} = "重点"', None, False),
    ('{备注} <> "VIP"', "vip", False),          # ASCII: case-insensitive like every formula
    ('"不联系" <> {备注}', "不联系", False),
], ids=["ne-match", "ne-blank", "ne-other", "eq-match", "eq-blank", "ascii-case", "swapped"])
def test_sweep_other_terms_follow_formula_semantics(clinic, monkeypatch, term, note, fires) -> None:
    rid = clinic.add_customer(姓名="x", 最近到院=_days_ago(179), 备注=note)
    aid = _recall(clinic, f"AND(TODAY() - {{最近到院}} >= 180, {term})", enabled=True)
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    assert [r.record_id for r in clinic.runs(aid)] == ([rid] if fires else [])
