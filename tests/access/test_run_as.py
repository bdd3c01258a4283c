"""Automation "run as": runs act as their creator (or a chosen member, or SYSTEM when an owner
says so) and read and write only what that user may — row rules and field permissions apply
to the trigger record, conditions, templates and actions; a user who lost access makes the run
fail, a record outside their rule makes it skip, each with a readable log line (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

import tessera.workflow as wf
from tessera import access
from tessera.access.errors import ForbiddenError
from tessera.access.run_as import get_run_as
from tessera.auth.principal import SYSTEM, Principal
from tessera.auth.users import create_user, deactivate
from tessera.errors import NotFoundError, SchemaError
from tessera.records import RecordService
from tessera.schema.catalog import transaction
from tessera.web import create_app
from tessera.workflow.models import NOTIFICATIONS

from .conftest import World

P = "/api/v1"


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine, embedded_worker=False)) as c:
        yield c


def _automation(world: World, actor: Principal, actions: list[dict[str, Any]], *,
                run_as: dict[str, Any] | None = None, condition: str | None = None) -> int:
    return wf.create_automation(world.engine, base_id=world.base_id, name="run as",
                                table_id=world.customers.id, trigger={"type": "manual"},
                                actions=actions, condition=condition, actor=actor,
                                run_as=run_as)


def _run(world: World, automation_id: int, record_id: int) -> wf.RunInfo:
    wf.run_manual(world.engine, automation_id, [record_id])
    wf.Worker(world.engine, worker_id="run-as").run_once()
    return wf.run_history(world.engine, automation_id, limit=1)[0]


def _name(world: World, record_id: int) -> str:
    return RecordService(world.engine).get(world.customers.id, record_id)["fields"]["姓名"]


def _rename(new: str) -> list[dict[str, Any]]:
    return [{"type": "update_record", "options": {"values": {"姓名": new}}}]


def _log(run: wf.RunInfo) -> str:
    return "\n".join(line["message"] for line in run.log)


def _member(world: World, role: str) -> Principal:
    """A fresh user holding ``role`` on the world's base (for tests that take it away)."""
    name = f"{role}_{uuid.uuid4().hex[:6]}"
    uid = create_user(world.engine, name, "password-" + uuid.uuid4().hex)
    access.grant(world.engine, world.base_id, role, user_id=uid)
    return Principal(uid, name)


def test_default_run_as_is_the_creator_and_system_for_the_operator(world: World) -> None:
    admin = world.person("admin").principal
    made_by_admin = _automation(world, admin, _rename("x"))
    made_by_operator = _automation(world, SYSTEM, _rename("x"))
    with transaction(world.engine) as conn:
        mine, operators = get_run_as(conn, made_by_admin), get_run_as(conn, made_by_operator)
    assert mine is not None and operators is not None
    assert mine.to_dict() == {"kind": "user", "user_id": admin.user_id,
                              "username": admin.username, "created_by": admin.user_id}
    assert operators.to_dict()["kind"] == "system"


def test_actions_write_only_rows_the_run_as_user_sees(world: World) -> None:
    editor = world.person("editor").principal
    aid = _automation(world, world.person("admin").principal, _rename("改名了"),
                      run_as={"kind": "user", "user_id": editor.user_id})
    own, other = world.customer("editor"), world.customer("owner")
    assert _run(world, aid, own).status == "succeeded"
    assert _name(world, own) == "改名了"
    skipped = _run(world, aid, other)
    assert skipped.status == "skipped"
    assert f"outside what {editor.username}" in _log(skipped)
    assert _name(world, other) != "改名了"
    # the same automation as SYSTEM (an owner's explicit choice) reaches every row
    wf.update_automation(world.engine, aid, actor=world.person("owner").principal,
                         run_as={"kind": "system"})
    assert _run(world, aid, other).status == "succeeded"
    assert _name(world, other) == "改名了"


def test_read_only_field_stays_read_only_for_the_run(world: World) -> None:
    editor = world.person("editor").principal
    aid = _automation(world, editor, [{"type": "update_record", "options": {
        "values": {"等级": "A"}}, "retries": 1}])
    run = _run(world, aid, world.customer("editor"))
    assert run.status == "failed"
    assert "read-only" in (run.error or "")


def test_templates_and_conditions_cannot_read_hidden_fields(world: World) -> None:
    viewer, owner = world.person("viewer").principal, world.person("owner").principal
    notice = [{"type": "notify", "retries": 1,
               "options": {"users": "someone", "message": '="电话 " & {电话}'}}]
    as_viewer = _automation(world, world.person("admin").principal, notice,
                            run_as={"kind": "user", "user_id": viewer.user_id})
    as_owner = _automation(world, owner, notice)
    row = world.customer("viewer")
    assert _run(world, as_owner, row).status == "succeeded"
    failed = _run(world, as_viewer, row)
    assert failed.status == "failed" and "电话" in (failed.error or "")
    with transaction(world.engine) as conn:
        messages = list(conn.execute(sa.select(NOTIFICATIONS.c.message).where(
            NOTIFICATIONS.c.automation_id.in_([as_viewer, as_owner]))).scalars())
    assert messages == ["电话 138 0000 0000"]          # only the owner's run rendered it
    gated = _automation(world, world.person("admin").principal, _rename("门"),
                        condition='{电话} <> ""',
                        run_as={"kind": "user", "user_id": viewer.user_id})
    run = _run(world, gated, row)
    assert run.status == "failed" and "电话" in (run.error or "")
    assert _name(world, row) != "门"


def test_lost_access_fails_the_run_with_a_clear_log(world: World) -> None:
    for how in ("revoked", "disabled"):
        member = _member(world, "editor")
        aid = _automation(world, member, _rename(f"不应改名 {how}"))
        row = world.customer(None)
        with transaction(world.engine) as conn:   # give the member the row: the rule is
            RecordService(conn).update(world.customers.id, row, {"负责人": member.user_id})
        if how == "revoked":
            access.revoke(world.engine, world.base_id, user_id=member.user_id)
        else:
            deactivate(world.engine, member.user_id)
        run = _run(world, aid, row)
        assert run.status == "failed"
        expected = "no longer holds a role" if how == "revoked" else "is disabled"
        assert expected in (run.error or "") and expected in _log(run)
        assert _name(world, row) != f"不应改名 {how}"


@pytest.mark.parametrize("chooser, target, allowed", [
    ("owner", "system", True), ("admin", "system", False),
    ("owner", "owner", True), ("admin", "owner", False), ("admin", "admin", True),
    ("admin", "editor", True), ("admin", "viewer", True), ("owner", "outsider", False),
])
def test_who_may_choose_whom(world: World, chooser: str, target: str, allowed: bool) -> None:
    run_as = {"kind": "system"} if target == "system" else {
        "kind": "user", "user_id": world.person(target).user_id}
    actor = world.person(chooser).principal
    if allowed:
        aid = _automation(world, actor, _rename("x"), run_as=run_as)
        with transaction(world.engine) as conn:
            found = get_run_as(conn, aid)
        assert found is not None and found.to_dict()["kind"] == run_as["kind"]
    else:
        with pytest.raises((ForbiddenError, SchemaError)) as info:
            _automation(world, actor, _rename("x"), run_as=run_as)
        assert info.value.message_zh


def test_editing_the_steps_needs_the_right_to_act_as_its_user(world: World) -> None:
    owner, admin = world.person("owner").principal, world.person("admin").principal
    aid = _automation(world, owner, _rename("x"))
    wf.update_automation(world.engine, aid, name="renamed only", actor=admin)
    with pytest.raises(ForbiddenError):
        wf.update_automation(world.engine, aid, actions=_rename("y"), actor=admin)
    updated = wf.update_automation(world.engine, aid, actions=_rename("y"), actor=admin,
                                   run_as={"kind": "user", "user_id": admin.user_id})
    assert updated["actions"] == _rename("y")
    with transaction(world.engine) as conn:
        found = get_run_as(conn, aid)
    assert found is not None and (found.user_id, found.created_by) == (admin.user_id,
                                                                       owner.user_id)


def test_rest_api_reads_and_sets_run_as(world: World, client: TestClient) -> None:
    owner, admin = world.person("owner"), world.person("admin")
    url = f"{P}/bases/{world.base_id}/automations"
    body = {"name": "api", "table_id": world.customers.id, "trigger": {"type": "manual"},
            "actions": _rename("api")}
    made = client.post(url, json=body, headers=admin.headers)
    assert made.status_code == 201, made.text
    assert made.json()["run_as"] == {"kind": "user", "user_id": admin.user_id,
                                     "username": admin.username, "created_by": admin.user_id}
    refused = client.post(url, json={**body, "run_as": {"kind": "system"}},
                          headers=admin.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    aid = made.json()["id"]
    changed = client.patch(f"{P}/automations/{aid}", headers=owner.headers,
                           json={"run_as": {"kind": "system"}})
    assert changed.status_code == 200 and changed.json()["run_as"]["kind"] == "system"
    listed = client.get(url, headers=owner.headers).json()
    assert {a["id"]: a["run_as"]["kind"] for a in listed}[aid] == "system"
    bad = client.patch(f"{P}/automations/{aid}", headers=owner.headers,
                       json={"run_as": {"kind": "robot"}})
    assert bad.status_code == 400


def test_dry_run_sees_what_the_run_as_user_sees(world: World) -> None:
    editor = world.person("editor").principal
    aid = _automation(world, world.person("admin").principal, _rename("预演"),
                      run_as={"kind": "user", "user_id": editor.user_id})
    own, other = world.customer("editor"), world.customer("owner")
    assert wf.dry_run(world.engine, aid, own).steps[0].options == {"values": {"姓名": "预演"}}
    with pytest.raises(NotFoundError):
        wf.dry_run(world.engine, aid, other)
