"""The call team's day: fair round-robin under the daily cap (rule 8), owned tasks kept,
one-click outcomes on task and customer, the evening summary and its xlsx."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tessera.outreach import call_summary, calls
from tessera.outreach.errors import ConfigError

DAY = dt.date(2025, 3, 3)
CONFIG = {"callers": ["甲", "乙", "丙"], "daily_cap": 4, "due_field": "到期日",
          "plan_field": "邀约方案", "result_field": "结果", "show_fields": ["姓名", "手机"],
          "segment": {"field": "类型", "op": "=", "value": "邀约"},
          "outcomes": {"已联系": {}, "已预约": {"customer": {"最近联系": "=TODAY()"}},
                       "无效": {"customer": {"备注": "号码无效"}}}}


def _queue(clinic, **over) -> dict:
    return calls.create_queue(clinic.engine, base_id=clinic.base_id, table_id=clinic.tasks.id,
                              name="电话邀约组", config={**CONFIG, **over})


def _tasks(clinic, n: int, **values) -> list[int]:
    out = []
    for i in range(n):
        c = clinic.add_customer(f"客户{i}", 手机=f"139{i:08d}")
        out.append(clinic.add_task(c, 到期日="2025-03-03", 邀约方案="活动特价", **values))
    return out


def test_round_robin_under_the_cap(clinic) -> None:
    tasks = _tasks(clinic, 15)
    q = _queue(clinic)
    first = calls.build_day(clinic.engine, q["id"], day=DAY)
    assert first["sizes"] == {"甲": 4, "乙": 4, "丙": 4} and first["overflow"] == 3
    owners = [clinic.task(t)["负责人"] for t in tasks]
    assert owners[:12] == ["甲", "乙", "丙"] * 4 and owners[12:] == [None] * 3
    assert calls.build_day(clinic.engine, q["id"], day=DAY)["added"] == {}   # idempotent
    lists = {c: [i["task_id"] for i in calls.day_list(clinic.engine, q["id"], c, day=DAY)]
             for c in CONFIG["callers"]}
    assert lists["甲"] == [tasks[0], tasks[3], tasks[6], tasks[9]]
    assert calls.day_list(clinic.engine, q["id"], "乙", day=DAY)[0]["customer"] == {
        "姓名": "客户1", "手机": "13900000001"}
    # next day: what was called yesterday is no longer open; the three left over are dealt
    # one each (the cap counts per day); an uncalled task would carry over to its owner
    for caller in lists:
        for item in calls.day_list(clinic.engine, q["id"], caller, day=DAY)[:-1]:
            calls.record_outcome(clinic.engine, item["item_id"], "已联系")
    second = calls.build_day(clinic.engine, q["id"], day=DAY + dt.timedelta(days=1))
    assert second["added"] == {"甲": 2, "乙": 2, "丙": 2}
    assert second["overflow"] == 0
    assert [clinic.task(t)["负责人"] for t in tasks[12:]] == ["甲", "乙", "丙"]


# what a task looks like → which list it lands in (None: no list)
PLACEMENT = [
    ("unowned", {}, "甲"),
    ("owned by a caller", {"负责人": "丙"}, "丙"),
    ("a consultant's customer", {"负责人": "顾问王"}, None),
    ("already contacted", {"状态": "已联系"}, None),
    ("due later", {"到期日": "2025-03-09"}, None),
    ("not an invitation", {"类型": "生日"}, None),
    ("no due date", {"到期日": None}, "甲"),
]


@pytest.mark.parametrize("values,caller", [p[1:] for p in PLACEMENT], ids=[p[0] for p in PLACEMENT])
def test_which_tasks_are_listed(clinic, values, caller) -> None:
    c = clinic.add_customer("王芳", 手机="1")
    task = clinic.add_task(c, **{"到期日": "2025-03-03", **values})
    q = _queue(clinic)
    result = calls.build_day(clinic.engine, q["id"], day=DAY)
    assert result["sizes"] == ({caller: 1} if caller else {})
    if caller:
        assert [i["task_id"] for i in calls.day_list(clinic.engine, q["id"], caller, day=DAY)] == [task]


def test_owned_tasks_count_toward_the_cap(clinic) -> None:
    owned = _tasks(clinic, 3, 负责人="乙")
    free = _tasks(clinic, 6)
    q = _queue(clinic, daily_cap=2)
    result = calls.build_day(clinic.engine, q["id"], day=DAY)
    assert result["sizes"] == {"乙": 2, "甲": 2, "丙": 2}
    assert result["overflow"] == 1 + 2       # one owned task over 乙's cap, two unowned
    assert [clinic.task(t)["负责人"] for t in owned] == ["乙"] * 3
    assert sorted(clinic.task(t)["负责人"] or "" for t in free) == ["", "", "丙", "丙", "甲", "甲"]


def test_outcomes_update_task_customer_and_list(clinic) -> None:
    tasks = _tasks(clinic, 3)
    q = _queue(clinic)
    calls.build_day(clinic.engine, q["id"], day=DAY)
    items = {i["task_id"]: i for c in CONFIG["callers"]
             for i in calls.day_list(clinic.engine, q["id"], c, day=DAY)}
    booked = calls.record_outcome(clinic.engine, items[tasks[0]]["item_id"], "已预约",
                                  note="周六上午")
    calls.record_outcome(clinic.engine, items[tasks[1]]["item_id"], "无效")
    calls.record_outcome(clinic.engine, items[tasks[2]]["item_id"], "已联系")
    assert clinic.task(tasks[0])["状态"] == "已预约" and clinic.task(tasks[0])["结果"] == "周六上午"
    assert clinic.customer(booked["customer_id"])["最近联系"] == "2025-03-03"
    assert clinic.task(tasks[1])["状态"] == "无效"
    assert clinic.customer(items[tasks[1]]["customer_id"])["备注"] == "号码无效"
    assert clinic.task(tasks[2])["状态"] == "已联系"
    with pytest.raises(ConfigError):
        calls.record_outcome(clinic.engine, items[tasks[2]]["item_id"], "大概吧")


def test_evening_summary_and_xlsx(clinic, tmp_path) -> None:
    tasks = _tasks(clinic, 6)
    clinic.records.update(clinic.tasks.id, tasks[5], {"邀约方案": "专家活动"}, actor="x")
    q = _queue(clinic, daily_cap=2)
    calls.build_day(clinic.engine, q["id"], day=DAY)
    items = {i["task_id"]: i for c in CONFIG["callers"]
             for i in calls.day_list(clinic.engine, q["id"], c, day=DAY)}
    # 甲: tasks 0, 3; 乙: 1, 4; 丙: 2, 5
    for task, outcome in [(0, "已预约"), (3, "已联系"), (1, "已预约"), (2, "无效"), (5, "已预约")]:
        calls.record_outcome(clinic.engine, items[tasks[task]]["item_id"], outcome)
    clinic.records.update(clinic.tasks.id, tasks[1], {"状态": "已到院"}, actor="front desk")
    summary = call_summary.day_summary(clinic.engine, q["id"], day=DAY)
    by_caller = {r["caller"]: (r["listed"], r["called"], r["booked"], r["arrived"])
                 for r in summary["by_caller"]}
    assert by_caller == {"甲": (2, 2, 1, 0), "乙": (2, 1, 1, 1), "丙": (2, 2, 1, 0)}
    by_plan = {r["plan"]: (r["called"], r["booked"], r["arrived"], r["无效"])
               for r in summary["by_plan"]}
    assert by_plan == {"活动特价": (4, 2, 1, 1), "专家活动": (1, 1, 0, 0)}
    assert summary["total"]["booking_rate"] == 0.6 and summary["total"]["arrival_rate"] == 0.3333
    path = tmp_path / "summary.xlsx"
    call_summary.export_summary_xlsx(clinic.engine, q["id"], path, day=DAY)
    sheet = openpyxl.load_workbook(path).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:4] == ["维度 / By", "名称 / Name", "名单 / Listed", "已拨打 / Called"]
    assert rows[1][:4] == ["负责人", "甲", 2, 2]
    assert rows[-1][:2] == ["合计", "2025-03-03"] and rows[-1][-2] == pytest.approx(0.6)


BAD = [("no callers", {"callers": []}), ("unknown field", {"plan_field": "方案X"}),
       ("zero cap", {"daily_cap": 0}), ("unknown setting", {"colour": "red"})]


@pytest.mark.parametrize("over", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_queue_config(clinic, over) -> None:
    with pytest.raises(ConfigError):
        _queue(clinic, **over)
