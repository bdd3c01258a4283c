"""The scheduler pass every worker runs before claiming work: cron automations whose time has
come, and the once-a-day sweeps of condition and date-relative triggers.

Each firing is guarded twice: the automation row is advanced with a compare-and-set in the same
transaction that queues the runs, and each run carries a dedupe key unique per automation
(``cron:<time>``, ``cond:<record>:<day>``, ``date:<record>:<date>``), so several workers and
restarts never queue a firing twice."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.workflow import timebase
from tessera.workflow.models import AUTOMATIONS
from tessera.workflow.outbox import enqueue
from tessera.workflow.registry import TRIGGERS
from tessera.workflow.triggers import next_fire

__all__ = ["tick", "sweep_automation"]


def sweep_automation(engine: Engine, automation_id: int, *, today: dt.date | None = None) -> int:
    """Run the daily sweep of one automation for ``today`` unless it already ran; runs queued."""
    today = today or timebase.today()
    a = AUTOMATIONS
    with engine.begin() as conn:
        row = conn.execute(sa.select(a).where(a.c.id == automation_id)).one()
        spec = TRIGGERS[row.trigger_type]
        if spec.sweep is None or not row.enabled or row.last_sweep_on == today.isoformat():
            return 0
        if row.last_sweep_on is not None and row.last_sweep_on > today.isoformat():
            return 0
        claimed = conn.execute(sa.update(a).where(
            a.c.id == automation_id,
            a.c.last_sweep_on.is_(None) if row.last_sweep_on is None
            else a.c.last_sweep_on == row.last_sweep_on).values(last_sweep_on=today.isoformat()))
        if claimed.rowcount != 1:
            return 0
        last = dt.date.fromisoformat(row.last_sweep_on) if row.last_sweep_on else None
        return spec.sweep(conn, row, last, today)


def _fire_schedule(engine: Engine, row: sa.Row, now: dt.datetime) -> int:
    a = AUTOMATIONS
    with engine.begin() as conn:
        claimed = conn.execute(sa.update(a).where(
            a.c.id == row.id, a.c.next_fire_at == row.next_fire_at).values(
            next_fire_at=next_fire(row.trigger_options or {}, now)))
        if claimed.rowcount != 1:
            return 0
        fired = row.next_fire_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return enqueue(conn, row, [None], trigger_type="schedule",
                       payload={None: {"fired_at": fired}}, dedupe={None: f"cron:{fired}"})


def tick(engine: Engine) -> int:
    """One scheduler pass; returns the number of runs queued."""
    today, now = timebase.today(), timebase.now()
    a = AUTOMATIONS
    with engine.connect() as conn:
        rows = conn.execute(sa.select(a).where(a.c.enabled.is_(True))).all()
    queued = 0
    for row in rows:
        spec = TRIGGERS.get(row.trigger_type)
        if spec is None:
            continue
        if spec.sweep is not None and row.last_sweep_on != today.isoformat():
            queued += sweep_automation(engine, row.id, today=today)
        elif spec.kind == "schedule" and row.next_fire_at is not None and row.next_fire_at <= now:
            queued += _fire_schedule(engine, row, now)
    return queued
