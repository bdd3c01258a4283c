"""Campaign rules on SQLite and PostgreSQL: consent, opt-out, 纠纷 and do-not-contact
exclusions (at launch and at send time), one message per customer whatever is retried or
launched twice, caps, scheduling, retries and permanent failures."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import tessera.outreach as out
import tessera.workflow as wf
from tessera.workflow.models import EFFECTS
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import statuses, webhook_campaign

# customer values → what the delivery log must say
RULES = [
    ("plain", {"手机": "13800000001"}, "sent"),
    ("no consent", {"手机": "13800000002", "同意营销": False}, "excluded"),
    ("opted out", {"手机": "13800000003", "退订": True}, "excluded"),
    ("纠纷", {"手机": "13800000004", "满意度": "纠纷"}, "excluded"),
    ("一般 stays", {"手机": "13800000005", "满意度": "一般"}, "sent"),
    ("do not contact", {"手机": "13800000006", "勿扰": True}, "excluded"),
    ("no number", {}, "excluded"),
]


def test_audience_rules(clinic) -> None:
    ids = {label: clinic.add_customer(label, 下次召回日期="2025-04-03", **values)
           for label, values, _ in RULES}
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    got = statuses(clinic, campaign["id"])
    assert got == {ids[label]: want for label, _, want in RULES}
    assert sorted(r.json["to"] for r in fake.good) == ["13800000001", "13800000005"]
    assert all(r.verified for r in fake.received)
    assert {r.json["body"] for r in fake.good} == {"plain您好，请于4月3日前复诊",
                                                    "一般 stays您好，请于4月3日前复诊"}


def test_language_and_params(clinic) -> None:
    clinic.add_customer("Amy", 手机="1", 语言="en", 下次召回日期="2025-04-03")
    clinic.add_customer("王芳", 手机="2", 语言="fr", 下次召回日期="2025-05-01")
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    got = {r.json["to"]: (r.json["body"], r.json["params"]) for r in fake.good}
    assert got == {"1": ("Dear Amy, please come back before Apr 3", {"name": "Amy"}),
                   "2": ("王芳您好，请于5月1日前复诊", {"name": "王芳", "date": "5月1日"})}


def test_opt_out_after_launch_is_respected(clinic) -> None:
    a = clinic.add_customer("a", 手机="1")
    b = clinic.add_customer("b", 手机="2")
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        wf.Worker(clinic.engine, worker_id="t").run_once(max_runs=1)   # the launch only
        clinic.records.update(clinic.customers.id, b, {"退订": True}, actor="b")
        clinic.drain()
    assert statuses(clinic, campaign["id"]) == {a: "sent", b: "excluded"}
    assert [r.json["to"] for r in fake.received] == ["1"]


def test_one_message_per_customer_even_when_launched_and_run_again(clinic) -> None:
    ids = [clinic.add_customer(f"c{i}", 手机=str(i)) for i in range(5)]
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
        out.schedule_campaign(clinic.engine, campaign["id"])     # already sent: no-op
        wf.run_manual(clinic.engine, campaign["automation_id"], ids[:2])  # a stray button run
        with clinic.engine.begin() as conn:
            from tessera.outreach.campaigns import launch
            assert launch(conn, campaign["id"]) == {"queued": 0, "excluded": 0}
        clinic.drain()
    assert sorted(r.json["to"] for r in fake.received) == [str(i) for i in range(5)]
    keys = [r.json["idempotency_key"] for r in fake.received]
    assert len(set(keys)) == 5 and f"campaign-{campaign['id']}-record-{ids[0]}" in keys


def test_cap_limits_recipients(clinic) -> None:
    for i in range(6):
        clinic.add_customer(f"c{i}", 手机=str(i))
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url, max_recipients=4)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    got = sorted(statuses(clinic, campaign["id"]).values())
    assert got == ["excluded", "excluded", "sent", "sent", "sent", "sent"]
    assert len(fake.received) == 4


def test_segment_view_and_filter(clinic) -> None:
    from tessera.schema.views import create_view

    vip = clinic.add_customer("vip", 手机="1", 会员等级="黄金")
    clinic.add_customer("other", 手机="2", 会员等级="普通")
    view = create_view(clinic.engine, clinic.customers.id, "金卡",
                       filters={"field": "会员等级", "op": "=", "value": "黄金"})
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url, view_id=view.id)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    assert statuses(clinic, campaign["id"]) == {vip: "sent"}


def test_scheduled_campaign_waits_for_its_time(clinic) -> None:
    clinic.add_customer("a", 手机="1")
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        assert out.schedule_campaign(clinic.engine, campaign["id"], at=later)["status"] == "scheduled"
        clinic.work()
        assert fake.received == [] and out.get_campaign(clinic.engine, campaign["id"])["status"] == "scheduled"
        out.schedule_campaign(clinic.engine, campaign["id"])      # moved to now
        clinic.drain()
    assert len(fake.received) == 1
    assert out.get_campaign(clinic.engine, campaign["id"])["status"] == "sending"


# scripted answers of the receiver → delivery status, requests made, attempts recorded
RETRIES = [
    ("retried then sent", ["http500", "busy"], "sent", 3, 3),
    ("permanent refusal", ["reject"], "failed", 1, 1),
    ("attempts exhausted", ["http500", "http500", "http500"], "failed", 3, 3),
]


@pytest.mark.parametrize("script,status,requests,attempts",
                         [r[1:] for r in RETRIES], ids=[r[0] for r in RETRIES])
def test_failures_and_retries(clinic, script, status, requests, attempts) -> None:
    rid = clinic.add_customer("a", 手机="1")
    fake = Fake("webhook", webhook_verifier("hook-secret"), script=list(script))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url, max_attempts=3)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    (delivery,) = out.deliveries(clinic.engine, campaign["id"])
    assert (delivery["record_id"], delivery["status"], delivery["attempts"]) == (rid, status, attempts)
    assert len(fake.received) == requests
    assert len({r.json["idempotency_key"] for r in fake.received}) == 1
    assert (delivery["error"] is None) == (status == "sent")


def test_effect_recorded_under_the_step_key(clinic) -> None:
    clinic.add_customer("a", 手机="1")
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    with clinic.engine.connect() as conn:
        effects = conn.execute(sa.select(EFFECTS.c.kind, EFFECTS.c.status)).all()
    assert [tuple(e) for e in effects] == [("outreach_send", "sent")]


def test_cancel_stops_unsent(clinic) -> None:
    for i in range(3):
        clinic.add_customer(f"c{i}", 手机=str(i))
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        wf.Worker(clinic.engine, worker_id="t").run_once(max_runs=1)   # launch only
        out.cancel_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    assert fake.received == []
    assert set(statuses(clinic, campaign["id"]).values()) == {"cancelled"}
