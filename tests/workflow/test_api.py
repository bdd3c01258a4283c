"""The automations REST routes (tessera/api/workflow_routes.py) through the web app."""

from __future__ import annotations

from starlette.testclient import TestClient

from tessera.auth.bootstrap import admin_token, bearer
from tessera.web import create_app


def test_rest_create_enable_dry_run_manual_run_and_history(clinic) -> None:
    rid = clinic.add_customer(姓名="周八", 积分=5)
    with TestClient(create_app(engine=clinic.engine),
                    headers=bearer(admin_token(clinic.engine))) as client:
        created = client.post(f"/api/v1/bases/{clinic.base_id}/automations", json={
            "name": "按钮", "table_id": clinic.customers.id, "trigger": {"type": "manual"},
            "actions": [{"type": "update_record", "options": {"values": {"备注": '="按了 " & {姓名}'}}}]})
        assert created.status_code == 201, created.text
        aid = created.json()["id"]
        assert created.json()["trigger"] == {"type": "manual", "options": {}}
        assert client.post(f"/api/v1/automations/{aid}/enable", json={}).json()["enabled"] is True
        dry = client.post(f"/api/v1/automations/{aid}/dry-run", json={"record_id": rid}).json()
        assert dry["steps"][0]["options"]["values"]["备注"] == "按了 周八"
        ran = client.post(f"/api/v1/automations/{aid}/run", json={"record_ids": [rid]})
        assert ran.status_code == 201 and len(ran.json()["run_ids"]) == 1
        clinic.work()
        runs = client.get(f"/api/v1/automations/{aid}/runs").json()
        assert [r["status"] for r in runs] == ["succeeded"]
        listed = client.get(f"/api/v1/bases/{clinic.base_id}/automations").json()
        assert [a["name"] for a in listed] == ["按钮"]
        bad = client.post(f"/api/v1/bases/{clinic.base_id}/automations", json={
            "table_id": clinic.customers.id, "trigger": {"type": "nope"}, "actions": []})
        assert bad.status_code == 400 and "nope" in bad.text
    assert clinic.customer(rid)["备注"] == "按了 周八"


def test_rest_incoming_webhook(clinic) -> None:
    aid = clinic.create_automation(table_id=None, trigger={"type": "webhook"},
                                   webhook_secret="abc", enabled=True,
                                   actions=[{"type": "notify", "options": {
                                       "users": ["ops"], "message": "={payload.text}"}}])
    with TestClient(create_app(engine=clinic.engine)) as client:
        assert client.post(f"/api/v1/automations/{aid}/webhook/wrong", json={}).status_code == 403
        ok = client.post(f"/api/v1/automations/{aid}/webhook/abc?delivery_id=7",
                         json={"text": "外部事件"})
        assert ok.status_code == 202 and ok.json()["duplicate"] is False
        again = client.post(f"/api/v1/automations/{aid}/webhook/abc?delivery_id=7",
                            json={"text": "外部事件"})
        assert again.json()["duplicate"] is True
    clinic.work()
    assert [n.message for n in clinic.notifications()] == ["外部事件"]
