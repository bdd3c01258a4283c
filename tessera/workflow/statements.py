"""The run's hot-path statements, built once with bind parameters.

Why: building a Core statement (``sa.update(RUNS).where(...).values(...)``) costs about as much
CPU as executing it on SQLite; a run issues the same handful of bookkeeping statements every
time, so they are constructed at import and executed with parameters (SQLAlchemy's compiled
cache then serves them too). Only the runner and the worker use them."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.workflow.models import AUTOMATIONS, RUNS, STEPS

__all__ = ["DUE_STATUSES", "HOLD", "HOLD_RETURNING", "FINISH", "INSERT_STEP", "AUTOMATION",
           "RUN_STEPS", "ENABLED_AUTOMATIONS"]

# statuses a run may be in when a worker picks it up (besides ``running`` under a dead lease)
DUE_STATUSES = ("queued", "waiting", "retry")

_now = sa.bindparam("now", type_=UtcDateTime())

# the hold: our reservation is still ours; mark the run running and renew its lease
HOLD = sa.update(RUNS).where(
    RUNS.c.id == sa.bindparam("run_id"), RUNS.c.locked_by == sa.bindparam("worker"),
    sa.or_(RUNS.c.status == "running",
           sa.and_(RUNS.c.status.in_(DUE_STATUSES), RUNS.c.run_after <= _now))).values(
    status="running", locked_until=sa.bindparam("until", type_=UtcDateTime()),
    started_at=sa.func.coalesce(RUNS.c.started_at, _now))
HOLD_RETURNING = HOLD.returning(*RUNS.c)

FINISH = sa.update(RUNS).where(RUNS.c.id == sa.bindparam("run_id")).values(
    status=sa.bindparam("end_status", type_=sa.String()),
    error=sa.bindparam("end_error", type_=sa.Text()), finished_at=_now, locked_by=None,
    locked_until=None)

INSERT_STEP = sa.insert(STEPS).values(
    run_id=sa.bindparam("step_run_id"), step_key=sa.bindparam("key"),
    action=sa.bindparam("action_name", type_=sa.String()),
    idempotency_key=sa.bindparam("idem", type_=sa.String()),
    status=sa.bindparam("step_status", type_=sa.String()), attempts=1,
    output=sa.bindparam("out", type_=JsonValue),
    wait_until=sa.bindparam("until", type_=UtcDateTime()), started_at=_now,
    finished_at=sa.bindparam("done_at", type_=UtcDateTime()))

AUTOMATION = sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id == sa.bindparam("automation_id"))

RUN_STEPS = sa.select(STEPS).where(STEPS.c.run_id == sa.bindparam("run_id"))

ENABLED_AUTOMATIONS = sa.select(AUTOMATIONS).where(
    AUTOMATIONS.c.table_id == sa.bindparam("table_id"), AUTOMATIONS.c.enabled.is_(True))
