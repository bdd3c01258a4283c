"""The dashboard 诊所概览 computed over hand-made data: lifecycle funnel, value classes,
expected arrivals next month, invitation conversion by status, caller, day and plan."""

from __future__ import annotations

from typing import Any

from tessera.dashboards import list_dashboards
from tessera.web.dashboards_page import widget_points
from tests.clinic_crm.conftest import Clinic, days_ago


def _points(clinic: Clinic) -> dict[str, dict[str, float]]:
    with clinic.engine.begin() as conn:
        [board] = list_dashboards(conn, clinic.result.base_id)
        out: dict[str, dict[str, float]] = {}
        for w in board.widgets:
            title: Any = w.get("title")
            name = title.get("en") if isinstance(title, dict) else title
            out[name] = {p.label: p.value for p in widget_points(conn, w, "(blank)")}
        return out


def test_overview(clinic: Clinic) -> None:
    clean = clinic.service("洗牙", 180)
    clinic.customer(姓名="潜客")
    new = clinic.customer(姓名="新客")
    clinic.visit(new, days_ago(10), 60000)
    lapsed = clinic.customer(姓名="活跃")
    clinic.visit(lapsed, "2026-01-05", 300, 项目=[clean])       # recall 2026-07-04: next month
    for title, who, plan, state, due in (("a", "邀约专员1", "活动特价", "已联系", days_ago(1)),
                                         ("b", "邀约专员1", "活动特价", "已预约", days_ago(1)),
                                         ("c", "邀约专员2", "专家活动", "已到院", days_ago(2)),
                                         ("d", "邀约专员2", "专家活动", "待办", days_ago(0))):
        clinic.add("tasks", 标题=title, 客户=[new], 类型="邀约", 负责人=who, 邀约方案=plan,
                   状态=state, 到期日=due)
    got = _points(clinic)
    cases = [
        ("Lifecycle funnel", {"潜客": 1, "新客": 1, "活跃": 1}),
        ("Customers by value class", {"S": 1, "C": 2}),
        ("Expected arrivals next month", {"records": 1}),
        ("Invitation conversion (calls → bookings → arrivals)", {"待办": 1, "已联系": 1, "已预约": 1, "已到院": 1}),
        ("Bookings by caller", {"邀约专员1": 1, "邀约专员2": 1}),
        ("Bookings per day", {days_ago(1): 1, days_ago(2): 1}),
        ("Arrivals by invitation plan", {"专家活动": 1}),
    ]
    wrong = [f"{name}: {got.get(name)} != {expected}" for name, expected in cases
             if got.get(name) != expected]
    assert not wrong, "\n".join(wrong)
