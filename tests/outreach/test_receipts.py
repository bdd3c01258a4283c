"""Delivery receipts and inbound SMS through the public callback endpoints (SQLite and
PostgreSQL): the Aliyun, Tencent and generic formats update the delivery log, replies are
matched by phone, TD / T / 退订 / N opt the customer out, repeats change nothing, and wrong
tokens, signatures and bodies get clear 4xx answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

import tessera.outreach as out
from tessera.auth.bootstrap import admin_token, bearer
from tessera.outreach.models import DELIVERIES, INBOUND, RECEIPTS
from tessera.outreach.receipts import issue_callback_token, normalise_phone
from tessera.web import create_app
from tests.outreach.helpers import AUDIENCE, BODIES

CHANNELS = {
    "aliyun_sms": ({"sign_name": "微笑口腔", "template_code": "SMS_1"},
                   {"access_key_id": "id", "access_key_secret": "s"}),
    "tencent_sms": ({"sdk_app_id": "1400", "sign_name": "微笑口腔", "template_id": "1"},
                    {"secret_id": "id", "secret_key": "k"}),
    "webhook": ({"url": "http://127.0.0.1:9/hook"}, {"secret": "cb-secret"}),
}


@pytest.fixture
def client(clinic) -> Iterator[TestClient]:
    app = create_app(engine=clinic.engine, embedded_worker=False)
    with TestClient(app, raise_server_exceptions=False) as c:   # no login: public endpoints
        yield c


def _sent_campaign(clinic, kind: str, phones: list[str]) -> tuple[dict[str, Any], list[int]]:
    """A campaign on a ``kind`` channel whose messages went out (delivery rows ``sent``, as
    the sender leaves them: address, idempotency key, provider id)."""
    config, secrets = CHANNELS[kind]
    tpl = out.create_template(clinic.engine, base_id=clinic.base_id, table_id=clinic.customers.id,
                              name=f"t-{kind}", bodies=BODIES)
    ch = out.create_channel(clinic.engine, base_id=clinic.base_id, name=kind, kind=kind,
                            config=config, secrets=secrets)
    campaign = out.create_campaign(clinic.engine, base_id=clinic.base_id,
                                   table_id=clinic.customers.id, name=f"c-{kind}",
                                   template_id=tpl["id"], channel_id=ch["id"], audience=AUDIENCE)
    ids = [clinic.add_customer(f"c{i}", 手机=p) for i, p in enumerate(phones)]
    with clinic.engine.begin() as conn:
        for rid, phone in zip(ids, phones, strict=True):
            conn.execute(sa.insert(DELIVERIES).values(
                campaign_id=campaign["id"], record_id=rid, address=phone, status="sent",
                attempts=1, idempotency_key=f"campaign-{campaign['id']}-record-{rid}",
                provider_id=f"P{rid}", queued_at=sa.func.now(), sent_at=sa.func.now()))
    return campaign, ids


def _delivery(clinic, campaign_id: int, rid: int) -> dict[str, Any]:
    return next(d for d in out.deliveries(clinic.engine, campaign_id) if d["record_id"] == rid)


def test_aliyun_receipts_and_replies(clinic, client) -> None:
    campaign, (a, b, c) = _sent_campaign(clinic, "aliyun_sms", ["13800000001", "13800000002",
                                                                "13800000003"])
    hook = issue_callback_token(clinic.engine, campaign["channel_id"])
    report = [{"phone_number": "13800000001", "send_time": "2026-12-07 10:00:00",
               "report_time": "2026-12-07 10:00:05", "success": True, "err_code": "DELIVERED",
               "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "P0",
               "out_id": f"campaign-{campaign['id']}-record-{a}"},
              {"phone_number": "13800000002", "send_time": "2026-12-07 10:00:00",
               "report_time": "2026-12-07 10:00:06", "success": False, "err_code": "MOBILE_NOT_ON_SERVICE",
               "err_msg": "停机", "sms_size": "1", "biz_id": f"P{b}", "out_id": ""}]
    r = client.post(hook["receipts_path"], content=json.dumps(report, ensure_ascii=False))
    assert r.status_code == 200, r.text
    assert (r.json()["code"], r.json()["applied"]) == (0, 2)
    assert (_delivery(clinic, campaign["id"], a)["receipt"],
            _delivery(clinic, campaign["id"], b)["receipt_code"]) == ("delivered",
                                                                     "MOBILE_NOT_ON_SERVICE")
    assert _delivery(clinic, campaign["id"], b)["receipt"] == "failed"
    # the same push again (providers retry): nothing changes
    again = client.post(hook["receipts_path"], content=json.dumps(report, ensure_ascii=False))
    assert again.json()["applied"] == 0
    up = [{"phone_number": "8613800000003", "send_time": "2026-12-07 11:00:00",
           "content": " td ", "sign_name": "微笑口腔", "dest_code": "1", "sequence_id": 7},
          {"phone_number": "13800000001", "send_time": "2026-12-07 11:01:00",
           "content": "周六上午可以吗", "sign_name": "微笑口腔", "dest_code": "1", "sequence_id": 8}]
    r = client.post(hook["inbound_path"], content=json.dumps(up, ensure_ascii=False))
    assert (r.status_code, r.json()["optouts"], r.json()["replies"]) == (200, 1, 1)
    assert clinic.customer(c)["退订"] is True and clinic.customer(a)["退订"] is not True
    results = out.campaign_results(clinic.engine, campaign["id"])["totals"]
    assert (results["replied"], results["delivered"], results["undelivered"]) == (1, 1, 1)
    r = client.post(hook["inbound_path"], content=json.dumps(up, ensure_ascii=False))
    assert r.json()["applied"] == 0
    with clinic.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(INBOUND)).scalar_one() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(RECEIPTS)).scalar_one() == 2


@pytest.mark.parametrize("word", ["TD", "t", "退订", " n\n", "N"])
def test_opt_out_words(clinic, client, word) -> None:
    campaign, (a,) = _sent_campaign(clinic, "tencent_sms", ["13900000001"])
    hook = issue_callback_token(clinic.engine, campaign["channel_id"])
    reply = {"extend": "", "mobile": "13900000001", "nationcode": "86", "sign": "微笑口腔",
             "text": word, "time": 1765100000}
    r = client.post(hook["inbound_path"], json=reply)
    assert (r.status_code, r.json()["result"], r.json()["optouts"]) == (200, 0, 1)
    assert clinic.customer(a)["退订"] is True
    assert _delivery(clinic, campaign["id"], a)["replied_at"] is None


def test_tencent_receipt_and_unmatched_reply(clinic, client) -> None:
    campaign, (a,) = _sent_campaign(clinic, "tencent_sms", ["13900000002"])
    hook = issue_callback_token(clinic.engine, campaign["channel_id"])
    status = [{"user_receive_time": "2026-12-07 08:03:04", "nationcode": "86",
               "mobile": "13900000002", "report_status": "SUCCESS", "errmsg": "DELIVRD",
               "description": "用户短信送达成功", "sid": f"P{a}"}]
    assert client.post(hook["receipts_path"], json=status).json()["applied"] == 1
    d = _delivery(clinic, campaign["id"], a)
    assert (d["receipt"], d["receipt_code"]) == ("delivered", "DELIVRD")
    stranger = {"mobile": "13700000000", "nationcode": "86", "text": "谁？", "time": 1}
    r = client.post(hook["inbound_path"], json=stranger)
    assert (r.status_code, r.json()["applied"], r.json()["replies"]) == (200, 1, 0)
    with clinic.engine.connect() as conn:
        assert conn.execute(sa.select(INBOUND.c.kind)).scalar_one() == "unmatched"


def _signed(secret: str, body: bytes, stamp: int | None = None) -> dict[str, str]:
    ts = str(stamp if stamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Tessera-Timestamp": ts, "X-Tessera-Signature": "sha256=" + mac,
            "Content-Type": "application/json"}


def test_generic_format_is_signed(clinic, client) -> None:
    campaign, (a,) = _sent_campaign(clinic, "webhook", ["+8613800000009"])
    hook = issue_callback_token(clinic.engine, campaign["channel_id"])
    body = json.dumps({"receipts": [{"idempotency_key": f"campaign-{campaign['id']}-record-{a}",
                                     "status": "failed", "code": "E42"}]}).encode()
    unsigned = client.post(hook["receipts_path"], content=body)
    forged = client.post(hook["receipts_path"], content=body, headers=_signed("wrong", body))
    stale = client.post(hook["receipts_path"], content=body,
                        headers=_signed("cb-secret", body, int(time.time()) - 3600))
    for r in (unsigned, forged, stale):
        assert r.status_code == 401 and r.json()["error"]["message_zh"], r.text
    assert _delivery(clinic, campaign["id"], a)["receipt"] is None
    ok = client.post(hook["receipts_path"], content=body, headers=_signed("cb-secret", body))
    assert (ok.status_code, ok.json()["applied"]) == (200, 1)
    assert _delivery(clinic, campaign["id"], a)["receipt_code"] == "E42"
    reply = json.dumps({"messages": [{"from": "13800000009", "text": "好的", "id": "m1"}]}).encode()
    r = client.post(hook["inbound_path"], content=reply, headers=_signed("cb-secret", reply))
    assert r.json()["replies"] == 1
    assert _delivery(clinic, campaign["id"], a)["replied_at"] is not None


def test_refusals(clinic, client) -> None:
    campaign, _ = _sent_campaign(clinic, "aliyun_sms", ["13800000001"])
    hook = issue_callback_token(clinic.engine, campaign["channel_id"])
    wrong_token = hook["receipts_path"].replace(hook["token"], "x" * 43)
    assert client.post(wrong_token, json=[]).status_code == 404
    newer = issue_callback_token(clinic.engine, campaign["channel_id"])   # the old one stops
    assert client.post(hook["receipts_path"], json=[{"success": True}]).status_code == 404
    not_json = client.post(newer["receipts_path"], content=b"\xff{")
    missing = client.post(newer["inbound_path"], json=[{"phone_number": "1"}])
    empty = client.post(newer["receipts_path"], json=[])
    for r in (not_json, missing, empty):
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "outreach.callback"
    big = client.post(newer["receipts_path"], content=b"[" + b" " * (1 << 20) + b"]")
    assert big.status_code == 413


def test_token_through_the_api(clinic) -> None:
    campaign, _ = _sent_campaign(clinic, "aliyun_sms", ["13800000001"])
    app = create_app(engine=clinic.engine, embedded_worker=False)
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(admin_token(clinic.engine))) as api:
        r = api.post(f"/api/v1/channels/{campaign['channel_id']}/callback-token")
        assert r.status_code == 200, r.text
        assert r.json()["receipts_path"].endswith("/receipts")
        shown = api.get(f"/api/v1/channels/{campaign['channel_id']}").json()
    assert "callback_token_hash" not in shown and r.json()["token"] not in json.dumps(shown)


def test_normalise_phone() -> None:
    cases = {"+86 138-0000-0001": "13800000001", "008613800000001": "13800000001",
             "8613800000001": "13800000001", "13800000001": "13800000001", "8612": "8612"}
    assert {k: normalise_phone(k) for k in cases} == cases
