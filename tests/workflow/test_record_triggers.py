"""Record triggers and the data actions, on every backend."""

from __future__ import annotations

import pytest

import tessera.workflow as wf


def test_created_trigger_creates_task_with_formula_values(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "create_record", "name": "task", "options": {
            "table": "回访任务", "values": {"标题": '="回访 " & {姓名}', "类型": "关怀",
                                          "到期日": "=TODAY()+3", "客户": "={id}"}}},
                 {"type": "update_record", "options": {"values": {"备注": '="任务 " & {task.id}'}}}])
    rid = clinic.add_customer(姓名="李雷")
    assert [r.status for r in clinic.runs(aid)] == ["queued"]
    stats = clinic.work()
    assert stats.statuses == {"succeeded": 1}
    [task] = clinic.task_rows()
    assert task["fields"]["标题"] == "回访 李雷"
    assert task["fields"]["到期日"] == "2025-03-04"
    assert task["fields"]["客户"] == [rid]
    assert clinic.customer(rid)["备注"] == f"任务 {task['id']}"
    # nothing runs twice
    assert clinic.work().claimed == 0
    assert len(clinic.task_rows()) == 1


@pytest.mark.parametrize(("changed", "fires"), [
    ({"备注": "x"}, False),
    ({"满意度": "纠纷"}, True),
    ({"满意度": "纠纷", "备注": "y"}, True),
], ids=["other-field", "watched-field", "both"])
def test_updated_trigger_only_for_given_fields(clinic, changed, fires) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_updated", "options": {"fields": ["满意度"]}}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"负责人": "投诉组"}}}])
    rid = clinic.add_customer(姓名="韩梅梅", 满意度="满意")
    clinic.records.update(clinic.customers.id, rid, changed, actor="alice")
    clinic.work()
    assert len(clinic.runs(aid)) == (1 if fires else 0)
    assert clinic.customer(rid)["负责人"] == ("投诉组" if fires else None)


def test_update_without_a_real_change_does_not_fire(clinic) -> None:
    aid = clinic.create_automation(trigger={"type": "record_updated"}, enabled=True,
                                   actions=[{"type": "stop"}])
    rid = clinic.add_customer(姓名="A", 备注="same")
    clinic.records.update(clinic.customers.id, rid, {"备注": "same"})
    assert clinic.runs(aid) == []


def test_deleted_trigger_sees_the_deleted_record(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_deleted"}, enabled=True,
        actions=[{"type": "create_record", "options": {
            "table": "回访任务", "values": {"标题": '="已删除 " & {姓名}'}}}])
    rid = clinic.add_customer(姓名="王五")
    clinic.records.delete(clinic.customers.id, rid, actor="alice")
    clinic.work()
    assert [t["fields"]["标题"] for t in clinic.task_rows()] == ["已删除 王五"]
    assert [r.status for r in clinic.runs(aid)] == ["succeeded"]


@pytest.mark.parametrize(("how", "fires"), [
    ("one-by-one", True),
    ("bulk_import-context", False),
    ("bulk_import-run_automations", True),
    ("actor-import", False),
    ("actor-import-file", False),
    ("actor-import+automations", True),
], ids=lambda v: str(v))
def test_bulk_imports_do_not_fire_record_triggers(clinic, how, fires) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[{"type": "stop"}])
    rows = [{"姓名": "甲"}, {"姓名": "乙"}]
    if how == "one-by-one":
        for r in rows:
            clinic.records.create(clinic.customers.id, r, actor="alice")
    elif how.startswith("bulk_import"):
        with wf.bulk_import(run_automations=how.endswith("run_automations")):
            clinic.records.bulk_create(clinic.customers.id, rows, actor="someone")
    else:
        actor = {"actor-import": "import", "actor-import-file": "import:clinic.xlsx",
                 "actor-import+automations": "import+automations:clinic.xlsx (alice)"}[how]
        clinic.records.bulk_create(clinic.customers.id, rows, actor=actor)
    assert len(clinic.runs(aid)) == (2 if fires else 0)


def test_condition_gate_skips_runs(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, condition='{满意度} <> "纠纷"', enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "ok"}}}])
    good = clinic.add_customer(姓名="甲", 满意度="满意")
    bad = clinic.add_customer(姓名="乙", 满意度="纠纷")
    clinic.work()
    statuses = {r.record_id: r.status for r in clinic.runs(aid)}
    assert statuses == {good: "succeeded", bad: "skipped"}
    assert clinic.customer(good)["备注"] == "ok" and clinic.customer(bad)["备注"] is None


def test_update_linked_records_and_link_unlink(clinic) -> None:
    c1 = clinic.add_customer(姓名="甲")
    c2 = clinic.add_customer(姓名="乙")
    clinic.create_automation(
        table_id=clinic.tasks.id, trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"link": "客户",
                                                       "values": {"备注": '="有任务 " & {标题}'}}}])
    clinic.records.create(clinic.tasks.id, {"标题": "T1", "客户": [c1]})
    clinic.work()
    assert clinic.customer(c1)["备注"] == "有任务 T1"
    assert clinic.customer(c2)["备注"] is None
    t2 = clinic.records.create(clinic.tasks.id, {"标题": "T2"})["id"]
    link = clinic.create_automation(
        trigger={"type": "manual"}, enabled=True,
        actions=[{"type": "link_records", "options": {"field": "任务", "records": f"={t2}"}}])
    unlink = clinic.create_automation(
        trigger={"type": "manual"}, enabled=True,
        actions=[{"type": "unlink_records", "options": {"field": "任务", "records": [t2]}}])
    wf.run_manual(clinic.engine, link, [c2], user="alice")
    clinic.work()
    assert clinic.customer(c2)["任务"] == [t2]
    wf.run_manual(clinic.engine, unlink, [c2], user="alice")
    clinic.work()
    assert clinic.customer(c2)["任务"] == []


def test_notify_users(clinic) -> None:
    clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "notify", "options": {"users": ["alice", "bob"],
                                                "message": '="新客户 " & {姓名}'}}])
    rid = clinic.add_customer(姓名="赵六")
    clinic.work()
    notes = clinic.notifications()
    assert [(n.user_name, n.message, n.record_id) for n in notes] == [
        ("alice", "新客户 赵六", rid), ("bob", "新客户 赵六", rid)]


def test_assign_round_robin_with_daily_cap(clinic, monkeypatch) -> None:
    clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "assign", "name": "who", "options": {
            "field": "负责人", "users": ["张", "李"], "daily_cap": 2}}])
    ids = [clinic.add_customer(姓名=f"c{i}") for i in range(5)]
    clinic.work()
    assert [clinic.customer(i)["负责人"] for i in ids] == ["张", "李", "张", "李", None]
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")   # caps reset the next day
    later = clinic.add_customer(姓名="c5")
    clinic.work()
    assert clinic.customer(later)["负责人"] == "张"


def test_assign_least_open_work(clinic) -> None:
    for owner, status in [("张", "待办"), ("张", "待办"), ("李", "待办"), ("李", "已到院"),
                          ("李", "已到院")]:
        clinic.records.create(clinic.tasks.id, {"标题": "x", "负责人": owner, "状态": status})
    clinic.create_automation(
        table_id=clinic.tasks.id, trigger={"type": "manual"}, enabled=True,
        actions=[{"type": "assign", "options": {
            "field": "负责人", "users": ["张", "李"], "mode": "least_open",
            "open_filter": {"field": "状态", "op": "=", "value": "待办"}}}])
    new = clinic.records.create(clinic.tasks.id, {"标题": "new", "状态": "待办"})["id"]
    aid = wf.list_automations(clinic.engine, clinic.base_id)[-1]["id"]
    wf.run_manual(clinic.engine, aid, [new])
    clinic.work()
    assert clinic.records.get(clinic.tasks.id, new)["fields"]["负责人"] == "李"


@pytest.mark.parametrize(("satisfaction", "expected"), [
    ("满意", "感谢"), ("纠纷", "安抚"), (None, "感谢"),
], ids=["then", "else", "blank"])
def test_branch(clinic, satisfaction, expected) -> None:
    clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "branch", "options": {
            "condition": '={满意度} = "纠纷"',
            "then": [{"type": "update_record", "options": {"values": {"备注": "安抚"}}}],
            "else": [{"type": "update_record", "options": {"values": {"备注": "感谢"}}}]}}])
    rid = clinic.add_customer(姓名="x", 满意度=satisfaction)
    clinic.work()
    assert clinic.customer(rid)["备注"] == expected


def test_stop_ends_the_run(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "1"}}},
                 {"type": "stop"},
                 {"type": "update_record", "options": {"values": {"备注": "2"}}}])
    rid = clinic.add_customer(姓名="x")
    clinic.work()
    assert clinic.customer(rid)["备注"] == "1"
    assert [r.status for r in clinic.runs(aid)] == ["stopped"]


def test_wait_resumes_on_the_right_day(clinic, monkeypatch) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "day0"}}},
                 {"type": "wait", "options": {"days": 3}},
                 {"type": "update_record", "options": {"values": {"备注": '="day " & TODAY()'}}}])
    rid = clinic.add_customer(姓名="x")
    clinic.work()
    assert [r.status for r in clinic.runs(aid)] == ["waiting"]
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-03")
    clinic.work()
    assert clinic.customer(rid)["备注"] == "day0"
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-04")
    clinic.work()
    assert [r.status for r in clinic.runs(aid)] == ["succeeded"]
    assert clinic.customer(rid)["备注"] == "day 2025-03-04"


def test_loops_between_automations_are_bounded(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_updated", "options": {"fields": ["积分"]}}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"积分": "={积分} + 1"}}}])
    rid = clinic.add_customer(姓名="x", 积分=0)
    clinic.records.update(clinic.customers.id, rid, {"积分": 1})
    for _ in range(wf.MAX_DEPTH + 3):
        clinic.work()
    runs = clinic.runs(aid)
    assert len(runs) == wf.MAX_DEPTH + 1
    assert clinic.customer(rid)["积分"] == 1 + wf.MAX_DEPTH + 1
    history = wf.run_history(clinic.engine, aid, limit=1)
    assert any("loop bounded" in line["message"] for line in history[0].log)


def test_dry_run_writes_nothing(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "manual"}, condition='{满意度} <> "纠纷"',
        actions=[{"type": "create_record", "options": {"table": "回访任务",
                                                       "values": {"标题": '="回访 " & {姓名}'}}},
                 {"type": "webhook", "options": {"url": "http://127.0.0.1:9/none"}},
                 {"type": "branch", "options": {"condition": "={积分} > 10",
                                                "then": [{"type": "stop"}]}},
                 {"type": "notify", "options": {"users": ["a"], "message": "never"}}])
    rid = clinic.add_customer(姓名="孙七", 积分=50, 满意度="满意")
    result = wf.dry_run(clinic.engine, aid, rid)
    assert result.condition_passed
    assert [s.action for s in result.steps] == ["create_record", "webhook", "branch", "stop"]
    assert result.steps[0].options["values"]["标题"] == "回访 孙七"
    assert result.steps[2].note == "takes then"
    assert clinic.task_rows() == [] and clinic.runs(aid) == []
    bad = clinic.add_customer(姓名="x", 满意度="纠纷")
    assert wf.dry_run(clinic.engine, aid, bad).condition_passed is False


def test_run_history_has_steps_and_log(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "x"}}}])
    clinic.add_customer(姓名="x")
    clinic.work()
    [run] = wf.run_history(clinic.engine, aid)
    assert run.status == "succeeded"
    assert [(s["step_key"], s["status"], s["idempotency_key"]) for s in run.steps] == [
        ("0", "succeeded", f"{run.id}:0")]
    assert [line["message"] for line in run.log][-1] == "run succeeded"


def test_template_error_fails_the_run_with_a_readable_message(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "={没有这个字段}"}}}])
    clinic.add_customer(姓名="x")
    clinic.work()
    [run] = wf.run_history(clinic.engine, aid)
    assert run.status == "failed" and "没有这个字段" in run.error


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"trigger": {"type": "nope"}, "actions": []}, "workflow.options"),
    ({"trigger": {"type": "record_created"}, "actions": [{"type": "explode"}]}, "workflow.options"),
    ({"trigger": {"type": "record_created"},
      "actions": [{"type": "create_record", "options": {}}]}, "workflow.options"),
    ({"trigger": {"type": "condition_true", "options": {"formula": "{missing} > 1"}},
      "actions": []}, "workflow.condition"),
    ({"trigger": {"type": "schedule", "options": {"cron": "every day"}}, "actions": [],
      "enabled": True, "table_id": None}, "workflow.options"),
], ids=["trigger", "action", "required-option", "condition", "cron"])
def test_invalid_automations_are_refused(clinic, kwargs, code) -> None:
    from tessera.errors import TesseraError

    with pytest.raises(TesseraError) as info:
        clinic.create_automation(**kwargs)
    assert info.value.code == code
    assert info.value.message("zh")


def test_manual_and_incoming_webhook_triggers(clinic) -> None:
    rid = clinic.add_customer(姓名="x")
    hook = clinic.create_automation(
        trigger={"type": "webhook"}, webhook_secret="s3cret", enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "={payload.note}"}}}])
    with pytest.raises(wf.WebhookRefused):
        wf.receive_webhook(clinic.engine, hook, "wrong", {"record_id": rid, "note": "x"})
    first = wf.receive_webhook(clinic.engine, hook, "s3cret", {"record_id": rid, "note": "来自外部"},
                               delivery_id="d1")
    again = wf.receive_webhook(clinic.engine, hook, "s3cret", {"record_id": rid, "note": "来自外部"},
                               delivery_id="d1")
    assert first is not None and again is None
    clinic.work()
    assert clinic.customer(rid)["备注"] == "来自外部"
