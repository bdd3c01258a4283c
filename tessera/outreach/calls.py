"""The call team's day (CLINIC_CRM.md rule 8, seed 003): a queue per caller built each day from
a segment of open tasks, under a daily cap, round-robin — through the workflow's own
``assign`` action, so the caps and fairness counts live in ``wf_assignments`` like any
automation's. One click records an outcome (已联系 / 已预约 / 无效) on the task, on the
customer and in the day's list.

Queue configuration (``config``): ``callers`` (names), ``daily_cap``, ``caller_field``
(负责人), ``status_field`` (状态) with ``open_values`` ([待办]), ``due_field`` (到期日: only
tasks due by the day), ``plan_field`` (邀约方案), ``customer_field`` (客户), ``result_field``
(结果: the note), ``segment`` (a filter on the tasks) or ``view_id``, ``outcomes`` (name →
``{"task": {field: value}, "customer": {field: value or =formula}}``), ``booked_outcomes``
([已预约]), ``arrived_values`` ([已到院]) and ``show_fields`` (customer fields in the list).
Tasks already owned by a caller stay with that caller (counted in the cap); unowned tasks
are dealt round-robin; tasks of anyone else (a consultant's S/A/B customers) are left alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

import tessera.workflow as wf
from tessera.errors import NotFoundError
from tessera.outreach.audience import owner_of, rules_filter, segment_filter
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import CALL_QUEUES, QUEUE_ITEMS
from tessera.records import RecordService, read_links
from tessera.schema.catalog import Bind, TableInfo, get_table, sa_table, transaction
from tessera.workflow import timebase
from tessera.workflow.context import StepContext
from tessera.workflow.models import ASSIGNMENTS, AUTOMATIONS
from tessera.workflow.registry import ACTIONS
from tessera.workflow.templates import record_env, render

__all__ = ["create_queue", "get_queue", "list_queues", "update_queue", "build_day",
           "day_list", "record_outcome", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    "caller_field": "负责人", "status_field": "状态", "open_values": ["待办"],
    "due_field": None, "plan_field": None, "customer_field": "客户", "result_field": None,
    "segment": None, "view_id": None, "daily_cap": 150, "show_fields": [],
    "outcomes": {"已联系": {}, "已预约": {}, "无效": {}}, "booked_outcomes": ["已预约"],
    "arrived_values": ["已到院"],
}
STEP_KEY = "0"


def _config(table: TableInfo, raw: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(raw) - set(DEFAULTS) - {"callers"}
    if unknown:
        raise ConfigError(f"Unknown queue setting(s) {sorted(unknown)}.",
                          f"未知队列设置 {sorted(unknown)}。")
    config = {**DEFAULTS, **raw}
    if not config.get("callers"):
        raise ConfigError("A call queue needs at least one caller in 'callers'.",
                          "呼叫队列至少需要一名话务员（callers）。")
    for key in ("caller_field", "status_field", "due_field", "plan_field", "customer_field",
                "result_field"):
        if config[key]:
            try:
                table.field(config[key])
            except NotFoundError as exc:
                raise ConfigError(f"The queue setting {key} names {config[key]!r}, which table "
                                  f"{table.name!r} does not have.",
                                  f"队列设置 {key} 引用的字段「{config[key]}」在表「{table.name}」中不存在。"
                                  ) from exc
    if int(config["daily_cap"]) < 1:
        raise ConfigError("daily_cap must be at least 1.", "每日上限（daily_cap）至少为 1。")
    return config


def _row(conn: sa.Connection, queue_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(CALL_QUEUES).where(CALL_QUEUES.c.id == queue_id)).first()
    if row is None:
        raise NotFoundError("call queue", queue_id)
    return dict(row._mapping)


def _assign_options(config: Mapping[str, Any]) -> dict[str, Any]:
    return {"field": config["caller_field"], "users": list(config["callers"]),
            "mode": "round_robin", "daily_cap": int(config["daily_cap"])}


def create_queue(bind: Bind, *, base_id: int, table_id: int, name: str,
                 config: Mapping[str, Any]) -> dict[str, Any]:
    with transaction(bind) as conn:
        table = get_table(conn, table_id)
        cfg = _config(table, config)
        rules_filter(conn, table, segment_filter(conn, cfg["view_id"], cfg["segment"]))
        aid = wf.create_automation(conn, base_id=base_id, table_id=table_id,
                                   name=f"call queue {name}: assign",
                                   trigger={"type": "manual", "options": {"label": name}},
                                   actions=[{"type": "assign", "options": _assign_options(cfg)}])
        qid = conn.execute(sa.insert(CALL_QUEUES).values(
            base_id=base_id, name=name, table_id=table_id, config=cfg, automation_id=aid,
            created_at=timebase.now()).returning(CALL_QUEUES.c.id)).scalar_one()
        return _row(conn, qid)


def update_queue(bind: Bind, queue_id: int, config: Mapping[str, Any]) -> dict[str, Any]:
    with transaction(bind) as conn:
        row = _row(conn, queue_id)
        cfg = _config(get_table(conn, row["table_id"]), {**row["config"], **config})
        conn.execute(sa.update(CALL_QUEUES).where(CALL_QUEUES.c.id == queue_id).values(config=cfg))
        conn.execute(sa.update(AUTOMATIONS).where(AUTOMATIONS.c.id == row["automation_id"]).values(
            actions=[{"type": "assign", "options": _assign_options(cfg)}]))
        return _row(conn, queue_id)


def get_queue(bind: Bind, queue_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        return _row(conn, queue_id)


def list_queues(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(CALL_QUEUES).where(
            CALL_QUEUES.c.base_id == base_id).order_by(CALL_QUEUES.c.id))]


def _count_kept(conn: sa.Connection, automation_id: int, caller: str, day: str) -> None:
    """A task its caller already owned takes a place under the same cap as dealt ones."""
    a = ASSIGNMENTS
    key = (a.c.automation_id == automation_id, a.c.step_key == STEP_KEY,
           a.c.assignee == caller, a.c.day == day)
    if conn.execute(sa.update(a).where(*key).values(count=a.c.count + 1)).rowcount == 0:
        conn.execute(sa.insert(a).values(automation_id=automation_id, step_key=STEP_KEY,
                                         assignee=caller, day=day, count=1))


def build_day(bind: Bind, queue_id: int, *, day: dt.date | None = None) -> dict[str, Any]:
    """Fill the day's lists (idempotent: tasks already listed today stay where they are)."""
    day = day or timebase.today()
    day_s = day.isoformat()
    with transaction(bind) as conn:
        q = _row(conn, queue_id)
        cfg, aid = q["config"], q["automation_id"]
        table = get_table(conn, q["table_id"])
        t = sa_table(table)
        col = {k: t.c[table.field(cfg[k]).column] for k in ("caller_field", "status_field",
                                                           "due_field", "plan_field") if cfg[k]}
        owner = owner_of(conn, aid, q["base_id"])   # the queue's creator's row rules apply
        where = [rules_filter(conn, table, segment_filter(conn, cfg["view_id"], cfg["segment"]), t,
                              principal=owner),
                 col["status_field"].in_([str(v) for v in cfg["open_values"]])]
        order = [t.c.id]
        if "due_field" in col:
            where.append(sa.or_(col["due_field"].is_(None), col["due_field"] <= day))
            order = [col["due_field"].is_(None), col["due_field"], t.c.id]
        listed = sa.select(QUEUE_ITEMS.c.task_id).where(QUEUE_ITEMS.c.queue_id == queue_id,
                                                        QUEUE_ITEMS.c.day == day_s)
        plan = col.get("plan_field", sa.null())
        rows = conn.execute(sa.select(t.c.id, col["caller_field"], plan).where(
            *where, t.c.id.not_in(listed)).order_by(*order)).all()
        counts = dict(conn.execute(sa.select(QUEUE_ITEMS.c.caller, sa.func.count()).where(
            QUEUE_ITEMS.c.queue_id == queue_id, QUEUE_ITEMS.c.day == day_s)
            .group_by(QUEUE_ITEMS.c.caller)).all())
        callers, cap = [str(c) for c in cfg["callers"]], int(cfg["daily_cap"])
        automation = dict(conn.execute(sa.select(AUTOMATIONS).where(
            AUTOMATIONS.c.id == aid)).one()._mapping)
        options = automation["actions"][0]["options"]
        added: dict[str, int] = {}
        overflow, everyone_full = 0, False
        for task_id, owner, plan_value in rows:
            caller: str | None = None
            if owner and str(owner) in callers:
                if counts.get(str(owner), 0) < cap:
                    caller = str(owner)
                    _count_kept(conn, aid, caller, day_s)
            elif not owner and not everyone_full:
                ctx = StepContext(conn.engine, conn, automation, {"id": 0, "table_id": table.id,
                                  "record_id": task_id}, table, {"id": task_id, "fields": {}},
                                  {}, STEP_KEY, f"queue:{queue_id}:{day_s}:{task_id}", day,
                                  timebase.now())
                caller = ACTIONS["assign"].run(ctx, options)["assignee"]
                everyone_full = caller is None
            elif owner:
                continue                     # someone else's customer (rule 8): not ours
            if caller is None:
                overflow += 1
                continue
            counts[caller] = counts.get(caller, 0) + 1
            added[caller] = added.get(caller, 0) + 1
            conn.execute(sa.insert(QUEUE_ITEMS).values(
                queue_id=queue_id, day=day_s, caller=caller, task_id=task_id,
                position=counts[caller], plan=None if plan_value is None else str(plan_value)))
        return {"day": day_s, "added": added, "sizes": counts, "overflow": overflow}


def day_list(bind: Bind, queue_id: int, caller: str, *, day: dt.date | None = None) -> list[dict[str, Any]]:
    """A caller's list for the day: the task, its customer's shown fields and the outcome."""
    day_s = (day or timebase.today()).isoformat()
    with transaction(bind) as conn:
        q = _row(conn, queue_id)
        cfg = q["config"]
        table = get_table(conn, q["table_id"])
        items = conn.execute(sa.select(QUEUE_ITEMS).where(
            QUEUE_ITEMS.c.queue_id == queue_id, QUEUE_ITEMS.c.day == day_s,
            QUEUE_ITEMS.c.caller == caller).order_by(QUEUE_ITEMS.c.position)).all()
        svc = RecordService(conn)
        link = table.field(cfg["customer_field"])
        customers = read_links(conn, link, [i.task_id for i in items])
        target = link.options["target_table_id"]
        out = []
        for item in items:
            task = svc.get(table.id, item.task_id)
            cust_ids = customers.get(item.task_id) or []
            shown: dict[str, Any] = {}
            if cust_ids and cfg["show_fields"]:
                fields = svc.get(target, cust_ids[0])["fields"]
                shown = {name: fields.get(name) for name in cfg["show_fields"]}
            out.append({"item_id": item.id, "position": item.position, "task_id": item.task_id,
                        "customer_id": cust_ids[0] if cust_ids else None, "customer": shown,
                        "task": task["fields"], "plan": item.plan, "outcome": item.outcome,
                        "note": item.note})
        return out


def record_outcome(bind: Bind, item_id: int, outcome: str, *, note: str | None = None,
                   actor: str | None = None) -> dict[str, Any]:
    """One click: the task's status (and note), the customer's configured fields and the
    day's list change together, in one transaction; clicking again replaces the outcome."""
    with transaction(bind) as conn:
        item = conn.execute(sa.select(QUEUE_ITEMS).where(QUEUE_ITEMS.c.id == item_id)).first()
        if item is None:
            raise NotFoundError("queue item", item_id)
        q = _row(conn, item.queue_id)
        cfg = q["config"]
        if outcome not in cfg["outcomes"]:
            raise ConfigError(f"Unknown outcome {outcome!r}; use one of: "
                              f"{', '.join(cfg['outcomes'])}.",
                              f"未知结果 {outcome!r}，可用：{'、'.join(cfg['outcomes'])}。")
        spec = cfg["outcomes"][outcome] or {}
        table = get_table(conn, q["table_id"])
        svc = RecordService(conn)
        actor = actor or f"caller:{item.caller}"
        task_values = {cfg["status_field"]: outcome, **(spec.get("task") or {})}
        if cfg["result_field"] and note is not None:
            task_values[cfg["result_field"]] = note
        svc.update(table.id, item.task_id, task_values, actor=actor)
        link = table.field(cfg["customer_field"])
        customer_ids = read_links(conn, link, [item.task_id]).get(item.task_id) or []
        if spec.get("customer") and customer_ids:
            target = get_table(conn, link.options["target_table_id"])
            env = record_env(target, svc.get(target.id, customer_ids[0]))
            values = render(dict(spec["customer"]), env, today=timebase.today())
            svc.update(target.id, customer_ids[0], values, actor=actor)
        conn.execute(sa.update(QUEUE_ITEMS).where(QUEUE_ITEMS.c.id == item_id).values(
            outcome=outcome, note=note, outcome_at=timebase.now()))
        return {"item_id": item_id, "task_id": item.task_id, "outcome": outcome,
                "customer_id": customer_ids[0] if customer_ids else None}
