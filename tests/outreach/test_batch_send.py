"""The batched sender (tessera/outreach/batch_send.py) on SQLite and PostgreSQL: one worker
pass sends a campaign's fresh runs together with the same outcomes as the per-run path —
exclusions decided at send time, permanent refusals, transient failures left to the runner's
retry — and the workflow's records (effects, steps, runs) as the runner writes them."""

from __future__ import annotations

import collections

import sqlalchemy as sa

import tessera.outreach as out
import tessera.workflow as wf
from tessera.outreach.models import DELIVERIES
from tessera.workflow.models import EFFECTS, RUNS, STEPS
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import statuses, webhook_campaign


def _runs(clinic, automation_id: int) -> dict[int, str]:
    with clinic.engine.connect() as conn:
        return dict(conn.execute(sa.select(RUNS.c.record_id, RUNS.c.status).where(
            RUNS.c.automation_id == automation_id)).all())


def test_one_pass_sends_the_batch_like_the_runner(clinic) -> None:
    plain = [clinic.add_customer(f"c{i}", 手机=f"1380000{i:04d}") for i in range(6)]
    late_optout = clinic.add_customer("late", 手机="13900000001")
    late_dispute = clinic.add_customer("dispute", 手机="13900000002")
    # the receiver: the first request fails transiently, the second is refused for good
    fake = Fake("webhook", webhook_verifier("hook-secret"), script=["http500", "reject"])
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url, max_attempts=3)
        out.schedule_campaign(clinic.engine, campaign["id"])
        wf.Worker(clinic.engine, worker_id="t").run_once(max_runs=1)          # the launch
        clinic.records.update(clinic.customers.id, late_optout, {"退订": True}, actor="alice")
        clinic.records.update(clinic.customers.id, late_dispute, {"满意度": "纠纷"}, actor="alice")
        stats = wf.Worker(clinic.engine, worker_id="t", batch=20).run_once()
        assert stats.batched == stats.claimed == 8
        assert stats.statuses == {"succeeded": 7, "suspended": 1}
        after_pass = statuses(clinic, campaign["id"])
        runs = _runs(clinic, campaign["automation_id"])
        clinic.drain()
    assert after_pass[late_optout] == after_pass[late_dispute] == "excluded"
    assert collections.Counter(after_pass[c] for c in plain) == {"sent": 4, "failed": 1,
                                                                 "retrying": 1}
    assert collections.Counter(runs.values()) == {"succeeded": 7, "retry": 1}
    # after the retry: the transient one is sent, the refused one stays failed
    final = statuses(clinic, campaign["id"])
    assert collections.Counter(final[c] for c in plain) == {"sent": 5, "failed": 1}
    keys = collections.Counter(r.json["idempotency_key"] for r in fake.received)
    assert set(keys) == {f"campaign-{campaign['id']}-record-{c}" for c in plain}
    assert sorted(keys.values()) == [1] * 5 + [2]          # only the transient one twice
    with clinic.engine.connect() as conn:
        effects = conn.execute(sa.select(EFFECTS.c.status)).scalars().all()
        steps = conn.execute(sa.select(STEPS.c.status, sa.func.count()).group_by(
            STEPS.c.status)).all()
        outputs = conn.execute(sa.select(STEPS.c.output).where(
            STEPS.c.action == "outreach_send")).scalars().all()
    assert effects == ["sent"] * 8
    assert dict(steps) == {"succeeded": 9}                  # launch + eight sends
    assert collections.Counter(o["status"] for o in outputs) == {"sent": 5, "excluded": 2,
                                                                 "failed": 1}


def test_batch_skips_what_is_already_final(clinic) -> None:
    """A delivery already final (sent by a worker that died before recording its run) is not
    sent again by the batch; its run completes with the recorded outcome."""
    customers = [clinic.add_customer(f"c{i}", 手机=str(i)) for i in range(3)]
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        wf.Worker(clinic.engine, worker_id="t").run_once(max_runs=1)
        with clinic.engine.begin() as conn:
            conn.execute(sa.update(DELIVERIES).where(DELIVERIES.c.record_id == customers[0])
                         .values(status="sent", provider_id="earlier", attempts=1))
        stats = wf.Worker(clinic.engine, worker_id="t", batch=20).run_once()
    assert stats.batched == 3
    assert len(fake.received) == 2
    assert statuses(clinic, campaign["id"]) == {c: "sent" for c in customers}
    assert {r.json["idempotency_key"] for r in fake.received} == {
        f"campaign-{campaign['id']}-record-{c}" for c in customers[1:]}
    assert out.deliveries(clinic.engine, campaign["id"])[0]["provider_id"] == "earlier"
