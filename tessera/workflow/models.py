"""Workflow tables (SQLAlchemy Core, on the metadata schema's ``Model.metadata``).

wf_automations   one automation: trigger, optional condition formula, ordered actions
wf_runs          one durable run: the outbox rows a record change writes in its own transaction
wf_steps         one executed action of a run, keyed ``<run id>:<step key>`` (its idempotency key)
wf_run_log       the readable log of a run
wf_effects       effects that leave the database (email, webhook), recorded before and after
wf_condition_state   per automation and record: the last evaluation of a "becomes true" condition
wf_notifications in-app notices to users
wf_assignments   assignments per automation step, user and day (round robin, daily caps)
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.models import Model

__all__ = [
    "AUTOMATIONS", "RUNS", "STEPS", "RUN_LOG", "EFFECTS", "CONDITION_STATE", "NOTIFICATIONS",
    "ASSIGNMENTS", "RUN_STATUSES",
]

meta = Model.metadata

RUN_STATUSES = ("queued", "running", "waiting", "retry", "succeeded", "failed", "skipped",
                "stopped", "cancelled")

AUTOMATIONS = sa.Table(
    "wf_automations", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("base_id", sa.Integer, sa.ForeignKey("bases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("table_id", sa.Integer, nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=False),
    sa.Column("trigger_type", sa.String(40), nullable=False),
    sa.Column("trigger_options", JsonValue, nullable=True),
    sa.Column("condition", sa.Text, nullable=True),
    sa.Column("actions", JsonValue, nullable=True),
    sa.Column("webhook_secret", sa.String(200), nullable=True),
    sa.Column("enabled_at", UtcDateTime(), nullable=True),
    sa.Column("last_sweep_on", sa.String(10), nullable=True),
    sa.Column("next_fire_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index(None, "table_id", "enabled"),
)

RUNS = sa.Table(
    "wf_runs", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("automation_id", sa.Integer,
              sa.ForeignKey("wf_automations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("table_id", sa.Integer, nullable=True),
    sa.Column("record_id", sa.Integer, nullable=True),
    sa.Column("trigger_type", sa.String(40), nullable=False),
    sa.Column("payload", JsonValue, nullable=True),
    sa.Column("dedupe_key", sa.String(200), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("depth", sa.Integer, nullable=False, default=0),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("run_after", UtcDateTime(), nullable=False),
    sa.Column("locked_by", sa.String(100), nullable=True),
    sa.Column("locked_until", UtcDateTime(), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("automation_id", "dedupe_key"),
    sa.Index(None, "status", "run_after"),
    sa.Index(None, "automation_id", "id"),
)

STEPS = sa.Table(
    "wf_steps", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("wf_runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("step_key", sa.String(100), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("idempotency_key", sa.String(140), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("output", JsonValue, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("wait_until", UtcDateTime(), nullable=True),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Index(None, "run_id"),
)

RUN_LOG = sa.Table(
    "wf_run_log", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("wf_runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index(None, "run_id"),
)

EFFECTS = sa.Table(
    "wf_effects", meta,
    sa.Column("idempotency_key", sa.String(140), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),   # sending | sent
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("detail", JsonValue, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime(), nullable=True),
)

CONDITION_STATE = sa.Table(
    "wf_condition_state", meta,
    sa.Column("automation_id", sa.Integer,
              sa.ForeignKey("wf_automations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("value", sa.Boolean, nullable=False),
    sa.Column("evaluated_on", sa.String(10), nullable=False),
)

NOTIFICATIONS = sa.Table(
    "wf_notifications", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("automation_id", sa.Integer, nullable=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Column("table_id", sa.Integer, nullable=True),
    sa.Column("record_id", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.String(160), nullable=True, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("read_at", UtcDateTime(), nullable=True),
    sa.Index(None, "user_name", "read_at"),
)

ASSIGNMENTS = sa.Table(
    "wf_assignments", meta,
    sa.Column("automation_id", sa.Integer,
              sa.ForeignKey("wf_automations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("step_key", sa.String(100), primary_key=True),
    sa.Column("assignee", sa.String(200), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)
