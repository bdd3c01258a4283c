"""Deleting a base moves it to the trash: closed to everyone (API, listings, access checks,
its automations), restored with tables, links, formulas, roles and automations exactly as they
were, purged by the worker after 30 days; audited (both backends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

import tessera.workflow as wf
from tessera import access, trash
from tessera import schema_ops as schema
from tessera.auth.bootstrap import bearer
from tessera.auth.models import AUDIT_LOG, TRASH
from tessera.auth.principal import Principal
from tessera.auth.tokens import create_token
from tessera.auth.users import create_user
from tessera.errors import NotFoundError
from tessera.records import RecordService
from tessera.workflow import Worker
from tessera.workflow.models import AUTOMATIONS

from .test_trash import ALICE, Clinic, _state
from .test_trash import clinic as clinic  # noqa: F401  (the fixture)

P = "/api/v1"


def _automations(c: Clinic) -> dict[str, int]:
    on = wf.create_automation(c.engine, base_id=c.base_id, name="on", table_id=c.customers,
                              trigger={"type": "record_created"},
                              actions=[{"type": "update_record",
                                        "options": {"values": {"Phone": "自动"}}}],
                              enabled=True)
    off = wf.create_automation(c.engine, base_id=c.base_id, name="off", table_id=c.customers,
                               trigger={"type": "manual"}, actions=[])
    return {"on": on, "off": off}


def _enabled(c: Clinic) -> dict[int, bool]:
    with c.engine.connect() as conn:
        return dict(conn.execute(sa.select(AUTOMATIONS.c.id, AUTOMATIONS.c.enabled).where(
            AUTOMATIONS.c.base_id == c.base_id)).all())


def test_round_trip_keeps_everything_with_its_ids(clinic: Clinic) -> None:
    autos = _automations(clinic)
    rule_user = create_user(clinic.engine, "viewer_b", "password-viewer-b")
    access.grant(clinic.engine, clinic.base_id, "viewer", user_id=rule_user)
    access.set_row_rule(clinic.engine, clinic.customers, "viewer", '{Tier} = "A"')
    view = schema.create_view(clinic.engine, clinic.visits, "大额",
                              filters={"field": "Amount", "op": ">", "value": 60})
    before = _state(clinic)
    item = trash.delete_base(clinic.engine, clinic.base_id, principal=ALICE)
    assert _enabled(clinic) == {autos["on"]: False, autos["off"]: False}
    [listed] = trash.list_items(clinic.engine, kind="base")
    assert (listed.id, listed.label, listed.deleted_by) == (item, "Clinic", "alice")

    result = trash.restore(clinic.engine, item, principal=ALICE)
    assert result["automations_enabled"] == [autos["on"]]
    assert _enabled(clinic) == {autos["on"]: True, autos["off"]: False}
    assert _state(clinic) == before                       # links, rollup, formula, lookup
    assert schema.get_view(clinic.engine, view.id).filters["value"] == 60
    assert access.row_rules(clinic.engine, clinic.customers)["viewer"].formula == '{Tier} = "A"'
    assert access.role_of(clinic.engine, Principal(rule_user, "viewer_b"),
                          clinic.base_id) == "viewer"
    with clinic.engine.connect() as conn:
        actions = list(conn.execute(sa.select(AUDIT_LOG.c.action).where(
            AUDIT_LOG.c.action.in_(["base.trash", "trash.restore"])).order_by(AUDIT_LOG.c.id))
            .scalars())
    assert actions == ["base.trash", "trash.restore"]
    # the restored base works: a new record fires the automation that was on
    rid = RecordService(clinic.engine).create(clinic.customers, {"Name": "王五"})["id"]
    Worker(clinic.engine, worker_id="t").run_once()
    assert clinic.row(clinic.customers, rid)["Phone"] == "自动"


def test_a_base_in_the_trash_is_closed_to_everyone(clinic: Clinic, app: Any) -> None:
    uid = create_user(clinic.engine, "boss", "password-boss-boss")
    access.grant(clinic.engine, clinic.base_id, "owner", user_id=uid)
    token = create_token(clinic.engine, uid, name="t")[1]
    other = schema.create_base(clinic.engine, "Other")
    access.grant(clinic.engine, other.id, "owner", user_id=uid)
    with TestClient(app, headers=bearer(token)) as api:
        assert api.delete(f"{P}/bases/{clinic.base_id}").status_code == 204
        assert [b["id"] for b in api.get(f"{P}/bases").json()] == [other.id]
        for path in (f"/bases/{clinic.base_id}", f"/bases/{clinic.base_id}/tables",
                     f"/tables/{clinic.customers}/records",
                     f"/tables/{clinic.customers}/records/{clinic.ids['zhang']}"):
            response = api.get(P + path)
            assert response.status_code == 404, (path, response.text)
        assert api.delete(f"{P}/bases/{clinic.base_id}").status_code == 404
        [item] = [i for i in api.get(f"{P}/trash").json() if i["kind"] == "base"]
        assert item["label"] == "Clinic" and item["base_id"] == clinic.base_id
        restored = api.post(f"{P}/trash/{item['id']}/restore")
        assert restored.status_code == 200, restored.text
        assert api.get(f"{P}/tables/{clinic.customers}/records").status_code == 200
        assert {b["id"] for b in api.get(f"{P}/bases").json()} == {clinic.base_id, other.id}


def test_items_inside_a_closed_base_wait_for_it(clinic: Clinic) -> None:
    record_item = trash.delete_records(clinic.engine, clinic.customers, [clinic.ids["li"]])
    base_item = trash.delete_base(clinic.engine, clinic.base_id)
    with pytest.raises(trash.RestoreConflict) as info:
        trash.restore(clinic.engine, record_item)
    assert "restore the base first" in info.value.message_en and info.value.message_zh
    trash.restore(clinic.engine, base_item)
    trash.restore(clinic.engine, record_item)
    assert clinic.row(clinic.customers, clinic.ids["li"])["Name"] == "李四"


def test_queued_runs_of_a_closed_base_skip(clinic: Clinic) -> None:
    aid = wf.create_automation(clinic.engine, base_id=clinic.base_id, name="button",
                               table_id=clinic.customers, trigger={"type": "manual"},
                               actions=[{"type": "update_record",
                                         "options": {"values": {"Phone": "不应写"}}}])
    wf.run_manual(clinic.engine, aid, [clinic.ids["zhang"]])
    trash.delete_base(clinic.engine, clinic.base_id)
    Worker(clinic.engine, worker_id="t").run_once()
    [run] = wf.run_history(clinic.engine, aid)
    assert run.status == "skipped"
    assert "in the trash" in run.log[-1]["message"]
    assert clinic.row(clinic.customers, clinic.ids["zhang"])["Phone"] == "138"


def test_worker_purges_a_base_after_30_days(clinic: Clinic) -> None:
    inside = trash.delete_records(clinic.engine, clinic.customers, [clinic.ids["li"]])
    item = trash.delete_base(clinic.engine, clinic.base_id)
    assert trash.purge_expired(clinic.engine) == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=trash.KEEP_DAYS + 1)
    assert trash.purge_expired(clinic.engine, now=later) == 2
    with pytest.raises(NotFoundError):
        schema.get_base(clinic.engine, clinic.base_id)
    with clinic.engine.connect() as conn:
        left = conn.execute(sa.select(TRASH.c.id).where(TRASH.c.id.in_([item, inside]))).all()
    assert left == []


def test_purging_by_hand_deletes_the_base(clinic: Clinic) -> None:
    item = trash.delete_base(clinic.engine, clinic.base_id)
    trash.purge(clinic.engine, item)
    with pytest.raises(NotFoundError):
        schema.get_base(clinic.engine, clinic.base_id)
    with pytest.raises(NotFoundError):
        trash.restore(clinic.engine, item)
