"""Built-in actions: data changes (update, create, link/unlink, assign), notices, and the
control steps (wait, branch, stop). External effects (email, webhook) live in
:mod:`tessera.workflow.effects`. Options arrive already rendered (formulas evaluated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from tessera.access.context import acting_principal
from tessera.access.scope import filter_links
from tessera.errors import NotFoundError
from tessera.query import count_records
from tessera.records import RecordService, read_links
from tessera.schema.catalog import get_table, list_tables
from tessera.workflow.context import StepContext
from tessera.workflow.models import ASSIGNMENTS, NOTIFICATIONS
from tessera.workflow.registry import ActionSpec, OptionsError, define_action, param

__all__ = ["resolve_table", "target_ids"]

_VALUES = {"description": "field name → value or =formula"}


def resolve_table(conn: Any, base_id: int, ref: Any) -> Any:
    """A table of the base by id or name."""
    for t in list_tables(conn, base_id):
        if t.id == ref or t.name == ref or str(t.id) == str(ref):
            return t
    raise NotFoundError("table", ref)


def _ids(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [int(v) for v in value]
    if isinstance(value, str):
        return [int(v) for v in value.replace("，", ",").split(",") if v.strip()]
    return [int(value)]


def target_ids(ctx: StepContext, link: str | None) -> list[int]:
    """The trigger record, or the records it links to through ``link``."""
    if ctx.table is None or ctx.record is None:
        raise OptionsError("update_record", "this automation has no trigger record",
                           "此自动化没有触发记录")
    if not link:
        return [ctx.record["id"]]
    field = ctx.table.field(link)
    links = read_links(ctx.conn, field, [ctx.record["id"]])
    # only the linked records the run-as user may see (tessera/access/run_as.py)
    return filter_links(ctx.conn, acting_principal(), field, links)[ctx.record["id"]]


# --- update / create / link -----------------------------------------------------------------
def _update_record(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    link = options.get("link")
    ids = target_ids(ctx, link)
    table = ctx.table if not link else get_table(
        ctx.conn, ctx.table.field(link).options["target_table_id"])  # type: ignore[union-attr]
    svc = RecordService(ctx.conn)
    svc.bulk_update(table.id, [(rid, options["values"]) for rid in ids], actor=ctx.actor)
    return {"updated": ids}


def _create_record(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    table = resolve_table(ctx.conn, ctx.automation["base_id"], options["table"])
    created = RecordService(ctx.conn).create(table.id, options.get("values") or {},
                                             actor=ctx.actor)
    return {"id": created["id"], "table_id": table.id}


def _link(ctx: StepContext, options: dict[str, Any], *, add: bool) -> dict[str, Any]:
    if ctx.table is None or ctx.record is None:
        raise OptionsError("link", "this automation has no trigger record", "此自动化没有触发记录")
    field = ctx.table.field(options["field"])
    rid = ctx.record["id"]
    current = read_links(ctx.conn, field, [rid])[rid]
    wanted = _ids(options["records"])
    new = current + [i for i in wanted if i not in current] if add else \
        [i for i in current if i not in wanted]
    RecordService(ctx.conn).update(ctx.table.id, rid, {field.id: new}, actor=ctx.actor)
    return {"links": new}


# --- notices and assignment -----------------------------------------------------------------
def _notify(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    users = options["users"]
    users = [u.strip() for u in users.split(",")] if isinstance(users, str) else list(users)
    users = [str(u) for u in users if u]
    for user in users:
        ctx.conn.execute(sa.insert(NOTIFICATIONS).values(  # type: ignore[union-attr]
            user_name=user, automation_id=ctx.automation["id"], run_id=ctx.run["id"],
            table_id=ctx.run.get("table_id"), record_id=ctx.run.get("record_id"),
            message=str(options["message"]), created_at=ctx.now,
            idempotency_key=f"{ctx.idempotency_key}:{user}"))
    return {"users": users}


def _assign(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    """Pick a user (round robin or least open work) under the daily cap and set the field."""
    users = [str(u) for u in options["users"] if u]
    cap = options.get("daily_cap")
    day = ctx.today.isoformat()
    key = dict(automation_id=ctx.automation["id"], step_key=ctx.step_key)
    a = ASSIGNMENTS
    rows = ctx.conn.execute(sa.select(a.c.assignee, a.c.day, a.c.count).where(  # type: ignore[union-attr]
        a.c.automation_id == key["automation_id"], a.c.step_key == key["step_key"])).all()
    today_count = {r.assignee: r.count for r in rows if r.day == day}
    total = {u: 0 for u in users}
    for r in rows:
        if r.assignee in total:
            total[r.assignee] += r.count
    eligible = [u for u in users if cap is None or today_count.get(u, 0) < int(cap)]
    chosen: str | None = None
    if eligible and options.get("mode", "round_robin") == "least_open":
        target = ctx.table
        base_filter = options.get("open_filter")

        def open_work(user: str) -> int:
            cond: dict[str, Any] = {"field": options["field"], "op": "=", "value": user}
            flt = {"and": [cond, base_filter]} if base_filter else cond
            return count_records(ctx.conn, options.get("count_table_id") or target.id, filter=flt)  # type: ignore[union-attr]

        chosen = min(eligible, key=lambda u: (open_work(u), users.index(u)))
    elif eligible:
        chosen = min(eligible, key=lambda u: (total[u], users.index(u)))
    if chosen is None:
        ctx.log("assign: every user reached the daily cap; the field stays blank")
        return {"assignee": None}
    if ctx.table is not None and ctx.record is not None and options.get("set_field", True):
        RecordService(ctx.conn).update(ctx.table.id, ctx.record["id"],
                                       {options["field"]: chosen}, actor=ctx.actor)
    updated = ctx.conn.execute(sa.update(a).where(  # type: ignore[union-attr]
        a.c.automation_id == key["automation_id"], a.c.step_key == key["step_key"],
        a.c.assignee == chosen, a.c.day == day).values(count=a.c.count + 1))
    if updated.rowcount == 0:
        ctx.conn.execute(sa.insert(a).values(**key, assignee=chosen, day=day, count=1))  # type: ignore[union-attr]
    return {"assignee": chosen}


def _control(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    return {}


def wait_delta(options: dict[str, Any]) -> dt.timedelta:
    return dt.timedelta(days=float(options.get("days") or 0), hours=float(options.get("hours") or 0),
                        minutes=float(options.get("minutes") or 0),
                        seconds=float(options.get("seconds") or 0))


_LINK = param("string", "link_field", "Through link field (blank: this record)",
               "通过关联字段（留空：本记录）")
_RECORDS = param(["integer", "array", "string"], "list", "Record ids", "记录编号")
_LINK_FIELD = param("string", "link_field", "Link field", "关联字段")

define_action(ActionSpec(
    "update_record", "Update record", "更新记录",
    {"required": ["values"], "properties": {
        "values": param("object", "values", "Set fields", "设置字段", **_VALUES), "link": _LINK}},
    _update_record))
define_action(ActionSpec(
    "create_record", "Create record", "创建记录",
    {"required": ["table"], "properties": {
        "table": param(["string", "integer"], "table", "Table", "数据表"),
        "values": param("object", "values", "Set fields", "设置字段", **_VALUES)}},
    _create_record))
define_action(ActionSpec(
    "link_records", "Link records", "关联记录",
    {"required": ["field", "records"], "properties": {"field": _LINK_FIELD, "records": _RECORDS}},
    lambda ctx, o: _link(ctx, o, add=True)))
define_action(ActionSpec(
    "unlink_records", "Unlink records", "取消关联",
    {"required": ["field", "records"], "properties": {"field": _LINK_FIELD, "records": _RECORDS}},
    lambda ctx, o: _link(ctx, o, add=False)))
define_action(ActionSpec(
    "notify", "In-app notification", "站内通知",
    {"required": ["users", "message"], "properties": {
        "users": param(["array", "string"], "list", "Users", "用户"),
        "message": param("string", "template", "Message", "消息")}},
    _notify))
define_action(ActionSpec(
    "assign", "Assign a user", "分配负责人",
    {"required": ["field", "users"], "properties": {
        "field": param("string", "field", "Assignee field", "负责人字段"),
        "users": param("array", "list", "Users to pick from", "候选用户"),
        "mode": param("string", "enum", "Mode", "分配方式", enum=["round_robin", "least_open"],
                      enum_en=["Round robin", "Least open work"], enum_zh=["轮流", "待办最少"]),
        "daily_cap": param("integer", "integer", "Daily cap per user", "每人每日上限"),
        "open_filter": param("object", "json", "Open work filter", "待办筛选条件"),
        "count_table_id": param("integer", "integer", "Count open work in table (id)",
                                "统计待办的数据表（编号）"),
        "set_field": param("boolean", "boolean", "Set the field", "写入字段")}},
    _assign))
define_action(ActionSpec(
    "wait", "Wait", "等待",
    {"properties": {k: param("number", "number", en, zh) for k, en, zh in (
        ("days", "Days", "天"), ("hours", "Hours", "小时"), ("minutes", "Minutes", "分钟"),
        ("seconds", "Seconds", "秒"))}},
    _control, control="wait"))
define_action(ActionSpec(
    "branch", "Branch on a condition", "条件分支",
    {"required": ["condition"], "properties": {
        "condition": param("string", "formula", "Condition", "条件"),
        "then": param("array", "actions", "Then", "条件成立时"),
        "else": param("array", "actions", "Otherwise", "否则")}},
    _control, control="branch"))
define_action(ActionSpec("stop", "Stop", "停止", {"properties": {}}, _control, control="stop"))
