"""The phone team (pack role 电话邀约, base role commenter) records a call on its own follow-up
tasks (issue 7): 状态 and 结果 are ``editable`` for it, so a caller changes them through the
REST API and the grid — only on the tasks assigned to them, and nothing else (other fields,
new or deleted tasks, customers). `pack upgrade` from 1.2.0, which lacked the grant, adds it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import tessera.workflow as wf
from tessera import access
from tessera.auth.bootstrap import bearer
from tessera.auth.tokens import create_token
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.packs.install import install
from tessera.packs.roles import assign_role
from tessera.packs.upgrade import upgrade_pack
from tessera.records import RecordService
from tessera.samples.catalog import CALLERS, CONSULTANTS
from tessera.samples.staff import ensure_users
from tessera.testing.databases import migrated_engine
from tests.clinic_crm.conftest import PACK, TODAY, Clinic

ME, OTHER_CALLER = "邀约专员1", "邀约专员2"
BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql")
            .split(",") if b.strip()]


@pytest.fixture(scope="module", params=BACKENDS)
def installed(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """The clinic pack installed once per module and backend (installing takes seconds);
    two callers in the phone team and a consultant. Tests make their own tasks."""
    server = request.getfixturevalue("pg_server_url") if request.param == "postgresql" else None
    with pytest.MonkeyPatch.context() as mp, migrated_engine(
            request.param, sqlite_dir=tmp_path_factory.mktemp("caller"), pg_server_url=server,
            prefix="cal_") as engine:
        mp.setenv("TESSERA_TODAY", TODAY.isoformat())
        wf.install()
        result = install(engine, PACK, "诊所")
        with engine.begin() as conn:
            staff = ensure_users(conn, [*CONSULTANTS, *CALLERS])
        clinic = Clinic(engine, result, RecordService(engine), staff)
        for name in (ME, OTHER_CALLER):
            assign_role(engine, result.base_id, "电话邀约", name)
        assign_role(engine, result.base_id, "咨询师", "张慧")
        yield clinic


@pytest.fixture
def calls(installed: Clinic) -> Iterator[tuple[Clinic, TestClient, dict[str, int]]]:
    """A fresh task for each caller and one of a consultant's; a client signed in as the
    first caller."""
    clinic = installed
    customer = clinic.customer(姓名="C 客户")
    tasks = {who: clinic.add("tasks", 标题=f"召回 {who}", 客户=[customer], 类型="召回",
                             负责人=who, 到期日=TODAY.isoformat(), 状态="待办")
             for who in (ME, OTHER_CALLER, "张慧")}
    token = create_token(clinic.engine, clinic.staff[ME], name="t")[1]
    with TestClient(create_app_for(clinic), headers=bearer(token),
                    raise_server_exceptions=False) as client:
        yield clinic, client, tasks


def create_app_for(clinic: Clinic) -> Any:
    from tessera.web import create_app

    return create_app(engine=clinic.engine, embedded_worker=False)


def _task(clinic: Clinic, rid: int) -> dict[str, Any]:
    return RecordService(clinic.engine).get(clinic.table("tasks"), rid)["fields"]


# whose task, values, expected status, the field a refusal names
CASES = [
    (ME, {"状态": "已联系"}, 200, None),
    (ME, {"状态": "已预约", "结果": "周六上午到院"}, 200, None),
    (ME, {"标题": "改标题"}, 403, "标题"),
    (ME, {"状态": "已联系", "到期日": "2026-07-03"}, 403, "到期日"),
    (ME, {"负责人": OTHER_CALLER}, 403, "负责人"),
    (OTHER_CALLER, {"状态": "已联系"}, 404, None),    # another caller's task does not exist
    ("张慧", {"结果": "x"}, 404, None),               # nor a consultant's
]


@pytest.mark.parametrize(("whose", "values", "status", "names"), CASES,
                         ids=[f"{c[0]}-{'+'.join(c[1])}-{c[2]}" for c in CASES])
@pytest.mark.parametrize("path", ["api", "grid"])
def test_caller_updates_status_and_result_of_own_tasks(
        calls: Any, path: str, whose: str, values: dict[str, Any], status: int,
        names: str | None) -> None:
    clinic, client, tasks = calls
    rid, table = tasks[whose], clinic.table("tasks")
    before = _task(clinic, rid)
    if path == "api":
        response = client.patch(f"/api/v1/tables/{table}/records/{rid}", json={"fields": values})
    else:
        response = client.post(f"/ui/tables/{table}/grid/update",
                                json={"records": [{"id": rid, "fields": values}]})
    assert response.status_code == status, response.text
    after = _task(clinic, rid)
    if status != 200:
        assert after == before
        if names is not None:
            message = response.json()["error"]["message"]
            assert f"{names}: not editable for your role" in message
            assert "您的角色不能修改该字段" in message
        return
    assert {k: after[k] for k in values} == values
    assert after["已预约或到院"] is (values["状态"] == "已预约")   # formulas follow the write


def test_caller_may_not_create_delete_or_edit_customers(calls: Any) -> None:
    clinic, client, tasks = calls
    table, customers = clinic.table("tasks"), clinic.table("customers")
    made = client.post(f"/api/v1/tables/{table}/records",
                       json={"fields": {"标题": "新任务", "负责人": ME, "状态": "待办"}})
    gone = client.delete(f"/api/v1/tables/{table}/records/{tasks[ME]}")
    visible = client.get(f"/api/v1/tables/{customers}/records").json()["rows"]
    assert {r["fields"]["姓名"] for r in visible} == {"C 客户"}         # the C list
    renamed = client.patch(f"/api/v1/tables/{customers}/records/{visible[0]['id']}",
                           json={"fields": {"姓名": "改名"}})
    assert [made.status_code, gone.status_code, renamed.status_code] == [403, 403, 403]
    assert "may not change records" in renamed.json()["error"]["message"]
    assert _task(clinic, tasks[ME])["标题"] == f"召回 {ME}"
    assert clinic.get(visible[0]["id"])["姓名"] == "C 客户"


def test_consultant_is_unaffected(calls: Any) -> None:
    clinic, _client, tasks = calls
    token = create_token(clinic.engine, clinic.staff["张慧"], name="t")[1]
    with TestClient(create_app_for(clinic), headers=bearer(token)) as client:
        changed = client.patch(f"/api/v1/tables/{clinic.table('tasks')}/records/{tasks['张慧']}",
                               json={"fields": {"标题": "复诊提醒", "状态": "已联系"}})
    assert changed.status_code == 200, changed.text
    assert _task(clinic, tasks["张慧"])["标题"] == "复诊提醒"


# --- upgrade from 1.2.0 ---------------------------------------------------------------------
def _pack_1_2(tmp_path: Path) -> Path:
    """apps/clinic_crm as 1.2.0 shipped it: the phone team without editable task fields."""
    text = (PACK / "pack.yaml").read_text(encoding="utf-8")
    text, versions = re.subn(r"(?m)^version: .*$", "version: 1.2.0", text, count=1)
    text, grants = re.subn(r"(?m)^      tasks: \{状态: editable, 结果: editable\}\n", "", text)
    assert versions == grants == 1
    old = tmp_path / "clinic_crm_1_2"
    old.mkdir()
    (old / "pack.yaml").write_text(text, encoding="utf-8")
    return old


def _caller_task_perms(engine: Any, table_id: int) -> dict[str, str]:
    from tessera import schema_ops as schema

    names = {f.id: f.name for f in schema.get_table(engine, table_id).fields}
    return {names[f]: m for f, m in access.field_permissions(engine, table_id, "commenter").items()}


def test_upgrade_from_1_2_lets_callers_update_their_tasks(
        backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_TODAY", TODAY.isoformat())
    engine = create_engine(backend_url)
    try:
        upgrade(engine)
        result = install(engine, _pack_1_2(tmp_path), "诊所")
        with engine.begin() as conn:
            staff = ensure_users(conn, CALLERS)
        assign_role(engine, result.base_id, "电话邀约", ME)
        tasks = result.table_id("tasks")
        rid = RecordService(engine).create(tasks, {"标题": "召回", "负责人": ME,
                                                   "状态": "待办"})["id"]
        caller = RecordService(engine, principal=_principal(staff[ME], ME))
        with pytest.raises(access.ForbiddenError):
            caller.update(tasks, rid, {"状态": "已联系"})
        assert _caller_task_perms(engine, tasks) == {}
        report = upgrade_pack(engine, PACK, result.base_id)
        assert ("role", "caller", "update") in [(i.kind, i.key, i.action) for i in report.items]
        assert report.conflicts == [] and report.to_version == "1.3.0"
        assert _caller_task_perms(engine, tasks) == {"状态": "editable", "结果": "editable"}
        caller.update(tasks, rid, {"状态": "已联系", "结果": "下周再打"})
        got = RecordService(engine).get(tasks, rid)["fields"]
        assert (got["状态"], got["结果"]) == ("已联系", "下周再打")
        assert upgrade_pack(engine, PACK, result.base_id, dry_run=True).items == []
    finally:
        engine.dispose()


def _principal(user_id: int, name: str) -> Any:
    from tessera.auth.principal import Principal

    return Principal(user_id, name)
