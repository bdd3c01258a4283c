"""The pack's other automations (CLINIC_CRM.md "Automations"), run by the worker with the
clock fixed and moved: tier-upgrade notice, aftercare call, revisit reminder on the recall
date, birthday care, referral points."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera.workflow.models import NOTIFICATIONS
from tests.clinic_crm.conftest import TODAY, Clinic, days_ago


def _work(clinic: Clinic) -> None:
    worker = wf.Worker(clinic.engine, worker_id="test")
    worker.run_once()
    worker.run_once()


def _tasks(clinic: Clinic, kind: str) -> list[tuple[str, str, str | None]]:
    return sorted((r["fields"]["标题"], r["fields"]["到期日"], clinic.who(r["fields"]["负责人"]))
                  for r in clinic.rows("tasks") if r["fields"]["类型"] == kind)


def _notices(clinic: Clinic) -> list[tuple[str, str]]:
    with clinic.engine.connect() as conn:
        return [(r.user_name, r.message) for r in conn.execute(
            sa.select(NOTIFICATIONS).order_by(NOTIFICATIONS.c.id))]


def test_tier_upgrade_notice_once_per_tier(clinic: Clinic) -> None:
    cid = clinic.customer(姓名="王芳", 负责咨询师="张慧")
    steps = [(3000, []), (2000, [("张慧", "客户 王芳 升级为 白银 会员")]), (100, []),
             (15000, [("张慧", "客户 王芳 升级为 黄金 会员")])]
    expected: list[tuple[str, str]] = []
    for amount, new in steps:
        clinic.visit(cid, days_ago(1), amount)
        _work(clinic)
        expected += new
        assert _notices(clinic) == expected, amount
    assert clinic.get(cid)["已通知等级"] == "黄金"
    assert _tasks(clinic, "召回") == []


def test_aftercare_call_after_a_service_with_interval(clinic: Clinic) -> None:
    clean = clinic.service("洗牙", 180)
    consult = clinic.service("咨询")
    cid = clinic.customer(姓名="李娜", 负责咨询师="陈静")
    clinic.visit(cid, "2026-06-28", 300, 项目=[clean])
    clinic.visit(cid, "2026-06-29", 0, 项目=[consult])
    _work(clinic)
    assert _tasks(clinic, "关怀") == [("关怀 李娜", "2026-07-01", "陈静")]
    task = next(r for r in clinic.rows("tasks") if r["fields"]["类型"] == "关怀")
    assert task["fields"]["客户"] == [cid]


def test_revisit_reminder_on_the_recall_date(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    clean = clinic.service("洗牙", 180)
    clinic.update("services", clean, 后续项目=[clean])
    cid = clinic.customer(姓名="赵敏", 负责咨询师="李婷")
    clinic.visit(cid, "2026-01-02", 300, 项目=[clean])        # recall date 2026-07-01
    _work(clinic)
    assert _tasks(clinic, "复诊提醒") == []
    monkeypatch.setenv("TESSERA_TODAY", "2026-07-01")
    _work(clinic)
    _work(clinic)
    assert _tasks(clinic, "复诊提醒") == [("复诊提醒 赵敏 洗牙", "2026-07-01", "李婷")]


def test_birthday_care_seven_days_before(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    clinic.customer(姓名="寿星", 出生日期="1990-07-08", 负责咨询师="张慧")
    clinic.customer(姓名="纠纷寿星", 出生日期="1985-07-08", 满意度="纠纷")
    clinic.customer(姓名="别人", 出生日期="1990-07-09")
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        monkeypatch.setenv("TESSERA_TODAY", day.isoformat())
        _work(clinic)
    assert _tasks(clinic, "生日") == [("生日 寿星", "2026-07-08", "张慧")]


def test_referral_gives_points_to_the_referrer(clinic: Clinic) -> None:
    referrer = clinic.customer(姓名="老客户")
    clinic.visit(referrer, days_ago(20), 1000)
    clinic.customer(姓名="新朋友", 介绍人=[referrer])
    _work(clinic)
    later = clinic.customer(姓名="再介绍")
    clinic.update("customers", later, 介绍人=[referrer])
    _work(clinic)
    got = clinic.get(referrer)
    assert (got["累计积分"], got["积分"], got["会员等级"]) == (1000, 2000, "普通")
    ledger = sorted(r["fields"]["摘要"] for r in clinic.rows("points_ledger"))
    assert ledger == ["转介绍 再介绍", "转介绍 新朋友"]
