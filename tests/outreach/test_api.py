"""The REST API end to end (authenticated with an API token): templates with preview,
channels whose secrets never come back, a campaign scheduled and sent through a fake, its
results, the call queue with a one-click outcome and the summary xlsx, member links; and the
routes are in the OpenAPI document."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import openpyxl
import pytest
from starlette.testclient import TestClient

from tessera.auth.bootstrap import admin_token, bearer
from tessera.web import create_app
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import AUDIENCE, BODIES

API = "/api/v1"


@pytest.fixture
def api(clinic) -> Iterator[TestClient]:
    app = create_app(engine=clinic.engine, embedded_worker=False)
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(admin_token(clinic.engine))) as client:
        yield client


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def test_campaign_through_the_api(clinic, api) -> None:
    a = clinic.add_customer("王芳", 手机="1", 下次召回日期="2025-04-03", 邀约方案="活动特价")
    clinic.add_customer("李雷", 手机="2", 满意度="纠纷")
    base = f"{API}/bases/{clinic.base_id}"
    tpl = _ok(api.post(base + "/message-templates", json={
        "name": "recall", "table_id": clinic.customers.id, "bodies": BODIES}), 201)
    preview = _ok(api.post(f"{API}/message-templates/{tpl['id']}/preview",
                           json={"record_ids": [a]}))
    assert preview[0]["body"] == "王芳您好，请于4月3日前复诊"
    fake = Fake("webhook", webhook_verifier("s3cret-value"))
    with fake_server(fake):
        ch = _ok(api.post(base + "/channels", json={
            "name": "hook", "kind": "webhook", "config": {"url": fake.url + "/hook"},
            "secrets": {"secret": "s3cret-value"}, "max_attempts": 2}), 201)
        listed = api.get(base + "/channels").text + api.get(f"{API}/channels/{ch['id']}").text
        assert "s3cret-value" not in listed and ch["secrets_set"] == ["secret"]
        _ok(api.post(f"{API}/channels/{ch['id']}/test", json={"body": "ping", "to": "x"}))
        camp = _ok(api.post(base + "/campaigns", json={
            "name": "spring", "table_id": clinic.customers.id, "template_id": tpl["id"],
            "channel_id": ch["id"], "audience": AUDIENCE}), 201)
        assert _ok(api.post(f"{API}/campaigns/{camp['id']}/schedule", json={}))["status"] == "scheduled"
        clinic.drain()
    assert [r.json["body"] for r in fake.good] == ["ping", "王芳您好，请于4月3日前复诊"]
    log = _ok(api.get(f"{API}/campaigns/{camp['id']}/deliveries"))
    assert [(d["record_id"], d["status"]) for d in log] == [(a, "sent"), (a + 1, "excluded")]
    _ok(api.post(f"{API}/campaigns/{camp['id']}/replies", json={"record_id": a}))
    results = _ok(api.get(f"{API}/campaigns/{camp['id']}/results"))
    assert results["totals"]["sent"] == 1 and results["totals"]["replied"] == 1
    assert results["by_plan"][0]["plan"] == "" and results["by_plan"][1]["plan"] == "活动特价"
    kinds = {k["kind"] for k in _ok(api.get(f"{API}/outreach/channel-kinds"))}
    assert {"aliyun_sms", "tencent_sms", "email", "wecom_bot", "dingtalk_bot", "webhook"} <= kinds


def test_call_queue_and_member_link_through_the_api(clinic, api) -> None:
    c = clinic.add_customer("王芳", 手机="1", 积分=10)
    task = clinic.add_task(c, 到期日="2025-03-03", 邀约方案="免费体验")
    q = _ok(api.post(f"{API}/bases/{clinic.base_id}/call-queues", json={
        "name": "电话组", "table_id": clinic.tasks.id,
        "config": {"callers": ["甲", "乙"], "daily_cap": 100, "plan_field": "邀约方案",
                   "show_fields": ["姓名"]}}), 201)
    built = _ok(api.post(f"{API}/call-queues/{q['id']}/build", json={"day": "2025-03-03"}))
    assert built["sizes"] == {"甲": 1}
    (item,) = _ok(api.get(f"{API}/call-queues/{q['id']}/list?caller=甲&day=2025-03-03"))
    assert item["task_id"] == task and item["customer"] == {"姓名": "王芳"}
    _ok(api.post(f"{API}/queue-items/{item['item_id']}/outcome", json={"outcome": "已预约"}))
    assert clinic.task(task)["状态"] == "已预约"
    summary = _ok(api.get(f"{API}/call-queues/{q['id']}/summary?day=2025-03-03"))
    assert summary["total"]["booked"] == 1
    xlsx = _ok(api.get(f"{API}/call-queues/{q['id']}/summary.xlsx?day=2025-03-03"))
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"]))).active
    assert sheet["B2"].value == "甲"
    bad = api.post(f"{API}/queue-items/{item['item_id']}/outcome", json={"outcome": "??"},
                   headers={"Accept-Language": "zh"})
    assert bad.status_code == 400 and "未知结果" in bad.text
    _ok(api.post(f"{API}/tables/{clinic.customers.id}/member-page",
                 json={"fields": [{"field": "积分"}]}))
    link = _ok(api.post(f"{API}/tables/{clinic.customers.id}/records/{c}/member-link",
                        json={}), 201)
    anonymous = TestClient(api.app)
    assert anonymous.get(f"/m/{link['token']}").status_code == 200
    _ok(api.delete(f"{API}/tables/{clinic.customers.id}/records/{c}/member-link"))
    assert anonymous.get(f"/m/{link['token']}").status_code == 404


def test_routes_need_login_and_are_documented(clinic, api) -> None:
    anonymous = TestClient(api.app)
    assert anonymous.get(f"{API}/bases/{clinic.base_id}/campaigns").status_code == 401
    doc = json.loads(anonymous.get(f"{API}/openapi.json").text)
    for path in ("/api/v1/bases/{base_id}/campaigns", "/api/v1/campaigns/{campaign_id}/results",
                 "/api/v1/bases/{base_id}/channels", "/api/v1/call-queues/{queue_id}/build",
                 "/api/v1/queue-items/{item_id}/outcome",
                 "/api/v1/message-templates/{template_id}/preview"):
        assert path in doc["paths"], path
