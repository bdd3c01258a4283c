"""Effects that leave the database: email to a local SMTP server, webhooks to a local HTTP
server — with idempotency keys, signatures, retries and backoff."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera.auth.outbound import set_allowed_hosts
from tessera.workflow import timebase
from tessera.workflow.models import EFFECTS, RUNS

from .servers import Hook, smtp_server, webhook_server


@pytest.fixture(autouse=True)
def allow_local_servers(clinic) -> None:
    """The fake SMTP and HTTP servers listen on 127.0.0.1, which the outbound guard refuses
    unless an administrator allows it (tests/auth/test_outbound.py shows the refusal)."""
    set_allowed_hosts(clinic.engine, ["127.0.0.1"])


def test_send_email_with_message_id_from_the_idempotency_key(clinic) -> None:
    with smtp_server() as (port, inbox):
        aid = clinic.create_automation(
            trigger={"type": "record_created"}, enabled=True,
            actions=[{"type": "send_email", "options": {
                "to": "={邮箱}", "subject": '="您好 " & {姓名}', "body": "欢迎到院",
                "smtp_host": "127.0.0.1", "smtp_port": port}}])
        clinic.add_customer(姓名="李雷", 邮箱="lilei@example.com")
        clinic.work()
    [run] = clinic.runs(aid)
    [mail] = inbox
    assert mail["To"] == "lilei@example.com"
    assert mail["Subject"] == "您好 李雷"
    assert mail["Message-ID"] == f"<{run.id}.0@tessera.workflow>"
    assert mail["X-Tessera-Idempotency-Key"] == f"{run.id}:0"
    assert mail.get_content().strip() == "欢迎到院"
    assert run.status == "succeeded"


def test_webhook_is_signed_and_carries_an_idempotency_key(clinic) -> None:
    hook = Hook()
    with webhook_server(hook) as url:
        aid = clinic.create_automation(
            trigger={"type": "record_created"}, enabled=True,
            actions=[{"type": "webhook", "name": "call", "options": {
                "url": url, "secret": "k3y", "body": {"name": "={姓名}", "fixed": 1}}},
                {"type": "update_record", "options": {"values": {"备注": "={call.status}"}}}])
        rid = clinic.add_customer(姓名="韩梅梅")
        clinic.work()
    [req] = hook.requests
    [run] = clinic.runs(aid)
    assert req["json"] == {"name": "韩梅梅", "fixed": 1}
    assert req["headers"]["Idempotency-Key"] == f"{run.id}:0"
    expected = "sha256=" + hmac.new(b"k3y", req["body"], hashlib.sha256).hexdigest()
    assert req["headers"]["X-Tessera-Signature"] == expected
    assert clinic.customer(rid)["备注"] == "200"


def test_failing_webhook_retries_with_backoff_then_succeeds(clinic) -> None:
    hook = Hook(fail_first=2)
    with webhook_server(hook) as url:
        aid = clinic.create_automation(
            trigger={"type": "record_created"}, enabled=True,
            actions=[{"type": "webhook", "options": {"url": url}}])
        clinic.add_customer(姓名="x")
        delays = []
        for _ in range(3):
            clinic.work()
            [run] = clinic.runs(aid)
            if run.status == "retry":
                delays.append((run.run_after - timebase.now()).total_seconds())
                with clinic.engine.begin() as conn:   # let the backoff elapse at once
                    conn.execute(sa.update(RUNS).values(run_after=dt.datetime(2000, 1, 1)))
    [run] = clinic.runs(aid)
    assert run.status == "succeeded" and run.attempts == 2
    assert len(delays) == 2 and 0 < delays[0] < delays[1] <= 4.5   # 2 s, then 4 s
    keys = {r["headers"]["Idempotency-Key"] for r in hook.requests}
    assert len(hook.requests) == 3 and keys == {f"{run.id}:0"}


def test_unreachable_webhook_fails_after_its_attempts(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "webhook", "retries": 2, "options": {
            "url": "http://127.0.0.1:9/closed", "timeout": 1}}])
    clinic.add_customer(姓名="x")
    for _ in range(2):
        clinic.work()
        with clinic.engine.begin() as conn:
            conn.execute(sa.update(RUNS).values(run_after=dt.datetime(2000, 1, 1)))
    [run] = wf.run_history(clinic.engine, aid)
    assert run.status == "failed" and "could not be reached" in run.error
    assert [s["attempts"] for s in run.steps] == [2]


def test_an_effect_already_sent_is_not_sent_again(clinic) -> None:
    """A worker died after the webhook answered and the effect was marked sent, but before the
    step completed: the retry finds the effect sent and does not call again."""
    hook = Hook()
    with webhook_server(hook) as url:
        aid = clinic.create_automation(
            trigger={"type": "record_created"}, enabled=True,
            actions=[{"type": "webhook", "options": {"url": url}}])
        clinic.add_customer(姓名="x")
        [run] = clinic.runs(aid)
        with clinic.engine.begin() as conn:
            conn.execute(sa.insert(EFFECTS).values(
                idempotency_key=f"{run.id}:0", kind="webhook", status="sent", attempts=1,
                detail={"status": 200}, created_at=dt.datetime.now(dt.UTC)))
        clinic.work()
    assert hook.requests == []
    assert clinic.runs(aid)[0].status == "succeeded"
