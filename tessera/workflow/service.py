"""The Python API of automations: define, switch on/off (with or without backfill), dry-run
against a record, run manually or from a webhook, and read the run history."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.access.context import acting, acting_principal, resolve
from tessera.access.run_as import run_as_principal, scoped_table, set_run_as
from tessera.auth.principal import Principal
from tessera.errors import NotFoundError, TesseraError
from tessera.records import RecordService
from tessera.schema.catalog import Bind, get_table, transaction
from tessera.workflow import timebase
from tessera.workflow.conditions import check_condition, true_ids
from tessera.workflow.models import AUTOMATIONS, RUN_LOG, RUNS, STEPS
from tessera.workflow.outbox import enqueue
from tessera.workflow.registry import ACTIONS, TRIGGERS, OptionsError, validate_options
from tessera.workflow.runner import branch_condition
from tessera.workflow.templates import record_env, render
from tessera.workflow.triggers import next_fire

__all__ = ["create_automation", "get_automation", "list_automations", "update_automation",
           "enable_automation", "disable_automation", "delete_automation", "dry_run",
           "dry_run_draft", "run_history", "run_manual", "receive_webhook", "WebhookRefused", "RunInfo",
           "DryRunStep", "DryRun"]


class WebhookRefused(TesseraError):
    http_status = 403

    def __init__(self, automation_id: int) -> None:
        super().__init__(f"Automation {automation_id} refused the webhook: the secret does not "
                         "match. Copy the URL with its secret from the automation again.",
                         f"自动化 {automation_id} 拒绝了此 Webhook：密钥不匹配。请从自动化重新复制带密钥的地址。",
                         code="workflow.webhook_secret", details={"automation_id": automation_id})


def _validate_actions(actions: Sequence[Mapping[str, Any]], where: str = "actions") -> None:
    for i, action in enumerate(actions):
        kind = action.get("type")
        spec = ACTIONS.get(str(kind))
        if spec is None:
            raise OptionsError(f"{where}[{i}]", f"unknown action {kind!r}; known: "
                               f"{', '.join(sorted(ACTIONS))}", f"未知动作 {kind!r}")
        options = dict(action.get("options") or {})
        validate_options(f"{where}[{i}] {kind}", spec.options_schema, options)
        if spec.control == "branch":
            for arm in ("then", "else"):
                _validate_actions(options.get(arm) or [], f"{where}[{i}].{arm}")


def _check(conn: Any, table_id: int | None, trigger: Mapping[str, Any],
           actions: Sequence[Mapping[str, Any]], condition: str | None) -> None:
    spec = TRIGGERS.get(str(trigger.get("type")))
    if spec is None:
        raise OptionsError("trigger", f"unknown trigger {trigger.get('type')!r}; known: "
                           f"{', '.join(sorted(TRIGGERS))}", f"未知触发器 {trigger.get('type')!r}")
    validate_options(f"trigger {spec.name}", spec.options_schema, dict(trigger.get("options") or {}))
    if spec.validate is not None:
        spec.validate(dict(trigger.get("options") or {}))
    if spec.needs_table and table_id is None:
        raise OptionsError(f"trigger {spec.name}", "this trigger needs a table",
                           "此触发器需要指定数据表")
    _validate_actions(actions)
    if table_id is not None:
        table = get_table(conn, table_id)
        if condition:
            check_condition(conn, table, condition)
        formula = (trigger.get("options") or {}).get("formula")
        if formula:
            check_condition(conn, table, formula)


def create_automation(bind: Bind, *, base_id: int, name: str, trigger: Mapping[str, Any],
                      actions: Sequence[Mapping[str, Any]], table_id: int | None = None,
                      condition: str | None = None, webhook_secret: str | None = None,
                      enabled: bool = False, backfill: bool = False,
                      actor: Principal | None = None,
                      run_as: Mapping[str, Any] | None = None) -> int:
    """Define an automation (validated); switch it on at once when ``enabled``. It runs as
    ``run_as`` (default: ``actor``, the acting principal; tessera/access/run_as.py)."""
    with transaction(bind) as conn:
        _check(conn, table_id, trigger, actions, condition)
        now = timebase.now()
        aid = conn.execute(sa.insert(AUTOMATIONS).values(
            base_id=base_id, table_id=table_id, name=name, enabled=False,
            trigger_type=trigger["type"], trigger_options=dict(trigger.get("options") or {}),
            condition=condition, actions=[dict(a) for a in actions],
            webhook_secret=webhook_secret, created_at=now, updated_at=now)
            .returning(AUTOMATIONS.c.id)).scalar_one()
        set_run_as(conn, resolve(actor), aid, base_id, run_as)
        if enabled:
            enable_automation(conn, aid, backfill=backfill)
        return aid


def get_automation(bind: Bind, automation_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id)).first()
        if row is None:
            raise NotFoundError("automation", automation_id)
        return dict(row._mapping)


def list_automations(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(AUTOMATIONS).where(
            AUTOMATIONS.c.base_id == base_id).order_by(AUTOMATIONS.c.id))]


def update_automation(bind: Bind, automation_id: int, *, name: str | None = None,
                      trigger: Mapping[str, Any] | None = None,
                      actions: Sequence[Mapping[str, Any]] | None = None,
                      condition: str | None = None, actor: Principal | None = None,
                      run_as: Mapping[str, Any] | None = None) -> dict[str, Any]:
    with transaction(bind) as conn:
        current = get_automation(conn, automation_id)
        set_run_as(conn, resolve(actor), automation_id, current["base_id"], run_as,
                   changes_program=any(v is not None for v in (trigger, actions, condition)))
        trigger = trigger or {"type": current["trigger_type"], "options": current["trigger_options"]}
        actions = actions if actions is not None else current["actions"]
        condition = condition if condition is not None else current["condition"]
        _check(conn, current["table_id"], trigger, actions or [], condition or None)
        conn.execute(sa.update(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id).values(
            name=name or current["name"], trigger_type=trigger["type"],
            trigger_options=dict(trigger.get("options") or {}), actions=list(actions or []),
            condition=condition or None, updated_at=timebase.now()))
        return get_automation(conn, automation_id)


def enable_automation(bind: Bind, automation_id: int, *, backfill: bool = False) -> None:
    """Switch on. Without backfill, records that already match only set their baseline; with
    it, they run now (condition triggers) or today's dates fire (date-relative)."""
    with transaction(bind) as conn:
        a = AUTOMATIONS
        row = conn.execute(sa.select(a).where(a.c.id == automation_id)).first()
        if row is None:
            raise NotFoundError("automation", automation_id)
        today, now = timebase.today(), timebase.now()
        values: dict[str, Any] = {"enabled": True, "enabled_at": now, "updated_at": now}
        spec = TRIGGERS[row.trigger_type]
        if spec.sweep is not None:
            start = today - dt.timedelta(days=1) if backfill and row.trigger_type == "date_relative" \
                else today
            values["last_sweep_on"] = start.isoformat()
        if spec.kind == "schedule":
            values["next_fire_at"] = next_fire(row.trigger_options or {}, now)
        if spec.on_enable is not None:
            spec.on_enable(conn, row, backfill)
        conn.execute(sa.update(a).where(a.c.id == automation_id).values(**values))


def disable_automation(bind: Bind, automation_id: int) -> None:
    with transaction(bind) as conn:
        conn.execute(sa.update(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id).values(
            enabled=False, updated_at=timebase.now()))


def delete_automation(bind: Bind, automation_id: int) -> None:
    with transaction(bind) as conn:
        conn.execute(sa.delete(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id))


# --- manual and webhook triggers ------------------------------------------------------------
def run_manual(bind: Bind, automation_id: int, record_ids: Sequence[int], *,
               user: str | None = None) -> list[int]:
    """The button: one run per selected record. Returns the run ids."""
    with transaction(bind) as conn:
        row = conn.execute(sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id)).one()
        if row.trigger_type != "manual":
            raise OptionsError("manual", "this automation is not started by a button",
                               "此自动化不是由按钮触发的")
        first = conn.execute(sa.select(sa.func.max(RUNS.c.id))).scalar() or 0
        enqueue(conn, row, list(record_ids), trigger_type="manual",
                payload={rid: {"user": user} for rid in record_ids})
        return list(conn.execute(sa.select(RUNS.c.id).where(
            RUNS.c.automation_id == automation_id, RUNS.c.id > first).order_by(RUNS.c.id)).scalars())


def receive_webhook(bind: Bind, automation_id: int, secret: str, payload: Mapping[str, Any],
                    *, delivery_id: str | None = None) -> int | None:
    """An incoming webhook: checks the secret (constant time) and queues one run. A repeated
    ``delivery_id`` (the caller's idempotency key) queues nothing and returns None."""
    with transaction(bind) as conn:
        row = conn.execute(sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id == automation_id)).first()
        if row is None or row.trigger_type != "webhook" or not row.enabled:
            raise NotFoundError("automation", automation_id)
        if not row.webhook_secret or not hmac.compare_digest(row.webhook_secret, secret):
            raise WebhookRefused(automation_id)
        record_id = payload.get("record_id") if row.table_id else None
        dedupe = {record_id: f"hook:{delivery_id}"} if delivery_id else None
        if not enqueue(conn, row, [record_id], trigger_type="webhook",
                       payload={record_id: dict(payload)}, dedupe=dedupe):
            return None
        return conn.execute(sa.select(sa.func.max(RUNS.c.id)).where(
            RUNS.c.automation_id == automation_id)).scalar_one()


# --- dry run --------------------------------------------------------------------------------
@dataclass
class DryRunStep:
    key: str
    action: str
    label_en: str
    label_zh: str
    options: Any
    note: str = ""


@dataclass
class DryRun:
    condition_passed: bool
    steps: list[DryRunStep] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dry_run(engine: Engine, automation_id: int, record_id: int | None = None) -> DryRun:
    """What the automation would do for ``record_id``: its condition and each step with its
    options evaluated, as its run-as user would see them. Nothing is written or sent."""
    automation = get_automation(engine, automation_id)
    with transaction(engine) as conn:   # RunAsRefused (400) says why it could not run
        principal = run_as_principal(conn, automation_id, automation["base_id"])
    with acting(principal):
        return _dry_run(engine, automation, record_id)


def dry_run_draft(engine: Engine, draft: Mapping[str, Any], record_id: int | None = None) -> DryRun:
    """:func:`dry_run` of an automation not saved yet (``table_id``, ``trigger``, ``condition``,
    ``actions``), checked first exactly as saving it would be."""
    with transaction(engine) as conn:
        _check(conn, draft.get("table_id"), draft["trigger"], draft.get("actions") or [],
               draft.get("condition"))
    return _dry_run(engine, {"table_id": draft.get("table_id"), "condition": draft.get("condition"),
                             "actions": draft.get("actions") or []}, record_id)


def _dry_run(engine: Engine, automation: Mapping[str, Any], record_id: int | None) -> DryRun:
    today = timebase.today()
    with engine.connect() as conn:
        table = scoped_table(conn, acting_principal(), get_table(
            conn, automation["table_id"])) if automation["table_id"] else None
        record = RecordService(conn).get(table.id, record_id) if table and record_id else None
        env = record_env(table, record, conn=conn,
                         templates=[automation["actions"], automation["condition"]])
        passed = True
        if automation["condition"] and table is not None and record_id is not None:
            passed = record_id in true_ids(conn, table, automation["condition"], today=today,
                                           ids=[record_id])
        conn.rollback()
    result = DryRun(passed)
    if not passed:
        return result
    try:
        _dry_walk(automation["actions"] or [], "", env, today, result)
    except Exception as exc:  # noqa: BLE001 - shown to the user as the dry run's outcome
        result.error = str(exc)
    return result


def _dry_walk(actions: list[dict[str, Any]], prefix: str, env: dict[str, Any], today: dt.date,
              result: DryRun) -> bool:
    for i, action in enumerate(actions):
        key = f"{prefix}{i}"
        spec = ACTIONS[action["type"]]
        if spec.control == "branch":
            took = "then" if branch_condition(action, env, today) else "else"
            result.steps.append(DryRunStep(key, spec.name, spec.label_en, spec.label_zh,
                                           {"condition": action["options"]["condition"]},
                                           f"takes {took}"))
            if not _dry_walk((action.get("options") or {}).get(took) or [], f"{key}.{took}.",
                             env, today, result):
                return False
            continue
        options = render(action.get("options") or {}, env, today=today) \
            if spec.control != "wait" else action.get("options")
        note = {"wait": "the run would pause here", "stop": "the run would end here"}.get(
            spec.control or "", "would send (not sent in a dry run)" if spec.external
            else "would write (not written in a dry run)")
        result.steps.append(DryRunStep(key, spec.name, spec.label_en, spec.label_zh, options, note))
        if spec.control == "stop":
            return False
    return True


# --- history --------------------------------------------------------------------------------
@dataclass
class RunInfo:
    id: int
    automation_id: int
    record_id: int | None
    trigger_type: str
    status: str
    attempts: int
    error: str | None
    created_at: Any
    finished_at: Any
    steps: list[dict[str, Any]]
    log: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_history(bind: Bind, automation_id: int, *, limit: int = 50,
                record_id: int | None = None) -> list[RunInfo]:
    """The latest runs (newest first) with their steps and readable log."""
    with transaction(bind) as conn:
        q = sa.select(RUNS).where(RUNS.c.automation_id == automation_id)
        if record_id is not None:
            q = q.where(RUNS.c.record_id == record_id)
        runs = conn.execute(q.order_by(RUNS.c.id.desc()).limit(limit)).all()
        out = []
        for r in runs:
            steps = [dict(s._mapping) for s in conn.execute(
                sa.select(STEPS).where(STEPS.c.run_id == r.id).order_by(STEPS.c.id))]
            logs = [{"at": x.at, "level": x.level, "message": x.message} for x in conn.execute(
                sa.select(RUN_LOG).where(RUN_LOG.c.run_id == r.id).order_by(RUN_LOG.c.id))]
            out.append(RunInfo(r.id, r.automation_id, r.record_id, r.trigger_type, r.status,
                               r.attempts, r.error, r.created_at, r.finished_at, steps, logs))
        return out
