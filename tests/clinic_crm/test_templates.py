"""Automation templates read ``{Link}.{Field}`` the way formulas do (issue 7): the linked
records' values as a list (ARRAYJOIN, SUM, COUNTA… over them), dates as dates, ``user``
fields as usernames; in a 回访任务 automation run by the worker and in a dry run."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera.records import RecordService
from tessera.schema.catalog import get_table
from tessera.workflow.models import NOTIFICATIONS
from tessera.workflow.templates import TemplateError, link_refs, record_env, render
from tests.clinic_crm.conftest import TODAY, Clinic, days_ago


def test_link_refs_finds_lookups_in_nested_templates() -> None:
    templates = [{"message": '="您好 " & ARRAYJOIN({客户}.{姓名})', "users": "={owner}"},
                 'AND({客户} <> "", SUM({到院消费}.{金额}) > 0)', "plain text", 3]
    assert link_refs(templates) == {("客户", "姓名"), ("到院消费", "金额")}
    assert link_refs(["=1 +"]) == set()      # does not parse: nothing to load


def test_render_reads_loaded_lookups_and_refuses_missing_ones() -> None:
    assert render('="x" & ARRAYJOIN({客户}.{姓名})', {"客户.姓名": ["王芳", "李娜"]}) == "x王芳, 李娜"
    assert render('=COUNTA({客户}.{姓名})', {"客户.姓名": []}) == 0
    with pytest.raises(TemplateError):       # not loaded (no connection): an error, not blank
        render('=COUNTA({客户}.{姓名})', {"客户": "1"})


def _env(clinic: Clinic, key: str, rid: int, *templates: object) -> dict:
    with clinic.engine.connect() as conn:
        table = get_table(conn, clinic.table(key))
        record = RecordService(conn).get(table.id, rid)
        return record_env(table, record, conn=conn, templates=list(templates))


def test_lookups_evaluate_like_formulas(clinic: Clinic) -> None:
    cid = clinic.customer(姓名="王芳", 负责咨询师="张慧", 出生日期="1990-07-08")
    clinic.visit(cid, days_ago(40), 3000)
    vid = clinic.visit(cid, days_ago(10), 2000)
    tid = clinic.add("tasks", 标题="回访", 客户=[cid], 类型="关怀", 到期日=days_ago(0))
    lone = clinic.add("tasks", 标题="无客户", 类型="关怀")
    sources = {
        "name": '="回访 " & ARRAYJOIN({客户}.{姓名})',
        "owner": "=ARRAYJOIN({客户}.{负责咨询师})",
        "spent": "=SUM({客户}.{累计消费})",
        "age": "=YEAR(TODAY()) - YEAR(MAX({客户}.{出生日期}))",
        "days": "=TODAY() - MAX({客户}.{最近到院})",
        "count": "=COUNTA({客户}.{姓名})",
    }
    env = _env(clinic, "tasks", tid, sources)
    assert env["客户.出生日期"] == [dt.date(1990, 7, 8)]
    got = render(sources, env, today=TODAY)
    assert got == {"name": "回访 王芳", "owner": "张慧", "spent": 5000, "age": 36, "days": 10,
                   "count": 1}
    empty = render(sources, _env(clinic, "tasks", lone, sources), today=TODAY)
    assert (empty["name"], empty["count"], empty["spent"]) == ("回访 ", 0, 0)
    visit_env = _env(clinic, "visits", vid, "=ARRAYJOIN({客户}.{姓名})")
    assert render("=ARRAYJOIN({客户}.{姓名})", visit_env) == "王芳"


def test_an_unknown_lookup_field_is_a_template_error(clinic: Clinic) -> None:
    tid = clinic.add("tasks", 标题="回访", 客户=[clinic.customer(姓名="王芳")], 类型="关怀")
    env = _env(clinic, "tasks", tid, "=ARRAYJOIN({客户}.{不存在})")
    assert "客户.不存在" not in env
    with pytest.raises(TemplateError, match="不存在"):
        render("=ARRAYJOIN({客户}.{不存在})", env)


def test_a_task_automation_messages_the_customers_consultant(clinic: Clinic) -> None:
    aid = wf.create_automation(
        clinic.engine, base_id=clinic.result.base_id, table_id=clinic.table("tasks"),
        name="任务提醒", trigger={"type": "record_created"},
        condition='COUNTA({客户}.{姓名}) > 0', enabled=True,
        actions=[{"type": "notify", "options": {
            "users": "=ARRAYJOIN({客户}.{负责咨询师})",
            "message": '="请回访 " & ARRAYJOIN({客户}.{姓名}) & "（累计消费 " & '
                       'SUM({客户}.{累计消费}) & "）"'}}])
    cid = clinic.customer(姓名="赵敏", 负责咨询师="李婷")
    clinic.visit(cid, days_ago(3), 800)
    tid = clinic.add("tasks", 标题="回访 赵敏", 客户=[cid], 类型="关怀", 到期日=days_ago(0))
    clinic.add("tasks", 标题="无客户", 类型="关怀")
    worker = wf.Worker(clinic.engine, worker_id="test")
    worker.run_once()
    worker.run_once()
    with clinic.engine.connect() as conn:
        notes = [(r.user_name, r.message, r.record_id) for r in conn.execute(
            sa.select(NOTIFICATIONS).where(NOTIFICATIONS.c.automation_id == aid))]
    assert notes == [("李婷", "请回访 赵敏（累计消费 800）", tid)]
    preview = wf.dry_run(clinic.engine, aid, tid)
    assert preview.steps[0].options["message"] == "请回访 赵敏（累计消费 800）"
