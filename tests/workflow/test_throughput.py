"""The runner's own cost (issue 5): batch reservations, one transaction per run of database
steps, a failing step rolled back alone, template formulas given only what they read, and
the sweep's crossing ids aggregated in the database."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera.workflow import timebase, triggers
from tessera.workflow.models import RUN_LOG, RUNS, STEPS
from tessera.workflow.runner import execute_run
from tessera.workflow.templates import references, render

TASK = {"type": "create_record", "name": "task", "options": {
    "table": "回访任务", "values": {"标题": '="回访 " & {姓名}', "客户": "={id}"}}}


def _statuses(clinic, aid: int) -> list[str]:
    return [r.status for r in clinic.runs(aid)]


@pytest.mark.parametrize("batch, created, first_claim", [(1, 3, 1), (3, 5, 3), (8, 5, 5)])
def test_a_claim_reserves_a_batch_that_stays_queued_until_started(clinic, batch, created,
                                                                  first_claim) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[{"type": "stop"}])
    for i in range(created):
        clinic.add_customer(姓名=f"c{i}")
    worker = wf.Worker(clinic.engine, worker_id="w1", batch=batch)
    ids = worker.claim()
    assert len(ids) == first_claim
    assert _statuses(clinic, aid) == ["queued"] * created        # reserved, not running
    other = wf.Worker(clinic.engine, worker_id="w2", batch=10)
    assert set(other.claim()).isdisjoint(ids)                     # a live reservation is kept
    assert execute_run(clinic.engine, ids[0], "w1", fresh=True) == "stopped"
    assert _statuses(clinic, aid)[0] == "stopped"


def test_an_expired_reservation_taken_over_is_lost_to_the_first_worker(clinic) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[TASK])
    clinic.add_customer(姓名="x")
    [run_id] = wf.Worker(clinic.engine, worker_id="slow", lease_seconds=-1).claim()
    [again] = wf.Worker(clinic.engine, worker_id="fast").claim()  # the lease already expired
    assert again == run_id
    assert execute_run(clinic.engine, run_id, "slow", fresh=True) == "lost"
    assert _statuses(clinic, aid) == ["queued"] and clinic.task_rows() == []
    assert execute_run(clinic.engine, run_id, "fast", fresh=True) == "succeeded"
    assert len(clinic.task_rows()) == 1


def test_run_once_respects_max_runs_with_a_larger_batch(clinic) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[{"type": "stop"}])
    for i in range(4):
        clinic.add_customer(姓名=f"c{i}")
    stats = wf.Worker(clinic.engine, worker_id="w", batch=8).run_once(max_runs=1)
    assert stats.claimed == 1
    assert sorted(_statuses(clinic, aid)) == ["queued"] * 3 + ["stopped"]


@pytest.mark.parametrize("actions, condition, status", [
    ([TASK, {"type": "update_record", "options": {"values": {"备注": "={task.id}"}}}],
     None, "succeeded"),
    ([{"type": "notify", "options": {"users": "王", "message": "hi"}}, {"type": "stop"}],
     None, "stopped"),
    ([{"type": "branch", "options": {"condition": '{姓名} = "x"', "then": [TASK]}}],
     '{姓名} <> ""', "succeeded"),
    ([TASK], '{姓名} = "nobody"', "skipped"),
], ids=["create+update", "notify+stop", "gate+branch+create", "gate-false"])
def test_a_run_of_database_steps_is_one_transaction(clinic, actions, condition, status) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=actions, condition=condition)
    clinic.add_customer(姓名="x")
    [run_id] = wf.Worker(clinic.engine, worker_id="w").claim()
    begun: list[int] = []
    listener = lambda conn: begun.append(1)  # noqa: E731
    sa.event.listen(clinic.engine, "begin", listener)
    try:
        assert execute_run(clinic.engine, run_id, "w", fresh=True) == status
    finally:
        sa.event.remove(clinic.engine, "begin", listener)
    assert len(begun) == 1
    [run] = clinic.runs(aid)
    assert run.status == status and run.locked_by is None and run.started_at is not None
    with clinic.engine.connect() as conn:
        logged = list(conn.execute(sa.select(RUN_LOG.c.message).where(
            RUN_LOG.c.run_id == run_id).order_by(RUN_LOG.c.id)).scalars())
    assert logged[-1].startswith(("run ", "a stop step", "condition not met"))


def test_a_failing_step_rolls_back_alone_and_earlier_steps_are_not_repeated(clinic) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[TASK, {"type": "update_record", "options": {"values": {"没有这个字段": 1}}}])
    rid = clinic.add_customer(姓名="x")
    for _ in range(3):
        clinic.work()
        with clinic.engine.begin() as conn:          # let the backoff elapse at once
            conn.execute(sa.update(RUNS).values(run_after=dt.datetime(2000, 1, 1,
                                                                      tzinfo=dt.UTC)))
    [run] = clinic.runs(aid)
    assert run.status == "failed" and run.attempts == 3
    with clinic.engine.connect() as conn:
        steps = {s.step_key: (s.status, s.attempts) for s in conn.execute(
            sa.select(STEPS).where(STEPS.c.run_id == run.id))}
    assert steps == {"0": ("succeeded", 1), "1": ("failed", 3)}
    tasks = clinic.task_rows()
    assert [t["fields"]["客户"] for t in tasks] == [[rid]]   # created once, kept


def test_a_resumed_run_reads_its_steps_back(clinic, monkeypatch) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[TASK, {"type": "wait", "options": {"days": 1}},
                 {"type": "update_record", "options": {"values": {"备注": "={task.id}"}}}])
    rid = clinic.add_customer(姓名="x")
    clinic.work()
    assert _statuses(clinic, aid) == ["waiting"]
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-02")
    clinic.work()
    [task] = clinic.task_rows()
    assert _statuses(clinic, aid) == ["succeeded"]
    assert clinic.customer(rid)["备注"] == str(task["id"])


@pytest.mark.parametrize("source, names", [
    ('"回访 " & {姓名}', {"姓名"}),
    ("{task.id} + {payload.n}", {"task.id", "payload.n"}),
    ("TODAY() + 3", set()),
    ('COUNTIFS({任务}.{类型}, "召回")', {("任务", "类型")}),   # a link lookup: the pair
    ('{姓名} & ARRAYJOIN({客户}.{姓名})', {"姓名", ("客户", "姓名")}),
    ("(", None),                                   # does not parse: every value is passed
])
def test_template_references(source, names) -> None:
    assert references(source) == (None if names is None else frozenset(names))


@pytest.mark.parametrize("template, env, expected", [
    ('="您好 " & {姓名}', {"姓名": "王", "备注": None, "生日": dt.date(1990, 1, 1)}, "您好 王"),
    ("={a} + {b}", {"a": 1, "b": 2, "c": [1, 2]}, 3),
    ("=TODAY()", {"x": 1}, "2025-03-01"),
    ("plain", {}, "plain"),
])
def test_render_with_only_the_referenced_values(template, env, expected) -> None:
    assert render(template, env, today=dt.date(2025, 3, 1)) == expected


@pytest.mark.parametrize("last, today, expected", [
    ("2025-03-01", "2025-03-02", ["179 days"]),
    ("2025-02-27", "2025-03-02", ["179 days", "180 days"]),     # missed days caught up
    ("2025-03-02", "2025-03-02", []),
])
def test_boundary_crossings_are_the_sweeps_ids_in_order(clinic, last, today, expected) -> None:
    recall = 'AND(TODAY() - {最近到院} >= 180, {满意度} <> "纠纷")'
    base = dt.date(2025, 3, 1)
    names = {}
    for days in (176, 177, 178, 179, 180, 200):
        visit = (base - dt.timedelta(days=days)).isoformat()
        names[clinic.add_customer(姓名=f"{days} days", 最近到院=visit)] = f"{days} days"
        clinic.add_customer(姓名=f"{days} dispute", 最近到院=visit, 满意度="纠纷")
    with clinic.engine.connect() as conn:
        found = triggers.boundary_crossings(conn, clinic.customers, recall,
                                            dt.date.fromisoformat(last),
                                            dt.date.fromisoformat(today))
        select = triggers.crossing_select(conn, clinic.customers, recall,
                                          dt.date.fromisoformat(last),
                                          dt.date.fromisoformat(today))
        as_rows = sorted(conn.execute(select).scalars())
    assert found == as_rows
    assert [names[i] for i in found] == expected
    assert found == sorted(found)
    with clinic.engine.connect() as conn:
        assert triggers.boundary_crossings(conn, clinic.customers, '{姓名} = "x"',
                                           base, base) is None


def test_a_run_reserved_by_a_live_worker_is_left_alone(clinic) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[TASK])
    for i in range(3):
        clinic.add_customer(姓名=f"c{i}")
    with clinic.engine.begin() as conn:   # another worker holds the second run, live
        second = sorted(r.id for r in clinic.runs(aid))[1]
        conn.execute(sa.update(RUNS).where(RUNS.c.id == second).values(
            locked_by="other", locked_until=timebase.now() + dt.timedelta(minutes=5)))
    stats = wf.Worker(clinic.engine, worker_id="me").run_once()
    assert stats.statuses == {"succeeded": 2}
    assert sorted(_statuses(clinic, aid)) == ["queued", "succeeded", "succeeded"]



@pytest.mark.parametrize("grade, matches", [("金", False), ("", True)])
def test_compiled_conditions_are_cached_until_the_schema_changes(clinic, grade, matches) -> None:
    from tessera import schema_ops as schema
    from tessera.schema.catalog import sa_table
    from tessera.workflow.conditions import ConditionError, condition_clause, true_ids

    plain, graded = "{积分} > 5", 'AND({积分} > 5, {等级} = "")'
    rid = clinic.add_customer(姓名="x", 积分=9)
    today = dt.date(2025, 3, 1)
    table = schema.get_table(clinic.engine, clinic.customers.id)
    with clinic.engine.connect() as conn:
        first = condition_clause(conn, table, plain, sa_table(table), today)
        assert condition_clause(conn, table, plain, sa_table(table), today) is first
        assert true_ids(conn, table, plain, today=today, ids=[rid]) == {rid}
        with pytest.raises(ConditionError):       # 等级 does not exist yet
            condition_clause(conn, table, graded, sa_table(table), today)
    schema.add_field(clinic.engine, clinic.customers.id, "等级", "text")
    clinic.records.update(clinic.customers.id, rid, {"等级": grade}, actor="alice")
    changed = schema.get_table(clinic.engine, clinic.customers.id)
    assert changed is not table
    with clinic.engine.connect() as conn:
        assert condition_clause(conn, changed, plain, sa_table(changed), today) is not first
        found = true_ids(conn, changed, graded, today=today, ids=[rid])
    assert found == ({rid} if matches else set())
