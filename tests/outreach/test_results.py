"""Results per campaign and per invitation plan: sent, failed, excluded, replied, booked and
arrived (booked/arrived read from the tasks table)."""

from __future__ import annotations

import tessera.outreach as out
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import webhook_campaign

# name, customer values, task status after the campaign (None: no task), replied
PEOPLE = [
    ("a", {"手机": "1", "邀约方案": "活动特价"}, "已预约", True),
    ("b", {"手机": "2", "邀约方案": "活动特价"}, "已到院", False),
    ("c", {"手机": "3", "邀约方案": "专家活动"}, "待办", True),
    ("d", {"手机": "4", "邀约方案": "专家活动"}, None, False),
    ("e", {"手机": "5", "邀约方案": "专家活动", "退订": True}, "已到院", False),  # not sent
]


def test_results_by_plan(clinic) -> None:
    ids = {name: clinic.add_customer(name, **values) for name, values, _, _ in PEOPLE}
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    for name, _, task_status, replied in PEOPLE:
        if task_status:
            clinic.add_task(ids[name], 状态=task_status, 到期日="2025-03-05")
        if replied:
            assert out.record_reply(clinic.engine, campaign["id"], ids[name])
    assert not out.record_reply(clinic.engine, campaign["id"], ids["a"])   # counted once
    result = out.campaign_results(clinic.engine, campaign["id"])
    totals = result["totals"]
    assert {k: totals[k] for k in ("total", "sent", "excluded", "failed", "replied", "booked",
                                   "arrived")} == {"total": 5, "sent": 4, "excluded": 1,
                                                   "failed": 0, "replied": 2, "booked": 2,
                                                   "arrived": 1}
    plans = {p["plan"]: (p["sent"], p["replied"], p["booked"], p["arrived"], p["excluded"])
             for p in result["by_plan"]}
    assert plans == {"活动特价": (2, 1, 2, 1, 0), "专家活动": (2, 1, 0, 0, 1)}
