"""Metadata tables for message templates, channels, campaigns, call queue, member links
(SQLAlchemy Core on ``Model.metadata``; the matching migration is
tessera/migrations/versions/0007_outreach.py).

out_templates       a message template: per-language subject/body/params with placeholders
out_channels        a configured channel (kind from the channel registry); secrets encrypted
out_campaigns       segment + template + channel + schedule + audience rules; its automation
out_deliveries      one row per recipient per campaign: the delivery log (unique pair)
out_rate_windows    sends per channel per one-second window, shared by all workers
out_call_queues     a caller team's queue: task segment, callers, daily cap, outcomes
out_queue_items     one task in one caller's list for one day, with the outcome clicked
out_member_pages    per customer table: which fields the self-service page shows
out_member_links    a customer's self-service link: only the token's SHA-256 is stored
out_receipts        delivery receipts from the providers' callbacks (0011_outreach_receipts)
out_inbound         inbound messages (SMS replies) from the callbacks, matched to a customer
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.models import Model

__all__ = ["TEMPLATES", "CHANNELS", "CAMPAIGNS", "DELIVERIES", "RATE_WINDOWS", "CALL_QUEUES",
           "QUEUE_ITEMS", "MEMBER_PAGES", "MEMBER_LINKS", "RECEIPTS", "INBOUND",
           "OUTREACH_TABLES"]

meta = Model.metadata


def _base_fk() -> sa.Column[int]:
    return sa.Column("base_id", sa.Integer, sa.ForeignKey("bases.id", ondelete="CASCADE"),
                     nullable=False)


TEMPLATES = sa.Table(
    "out_templates", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    _base_fk(),
    sa.Column("table_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("default_language", sa.String(10), nullable=False),
    sa.Column("bodies", JsonValue, nullable=False),   # {lang: {subject, body, params}}
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("base_id", "name"),
)

CHANNELS = sa.Table(
    "out_channels", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    _base_fk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("config", JsonValue, nullable=False),
    sa.Column("secrets", sa.Text, nullable=True),      # Fernet token of a JSON object
    sa.Column("rate_per_second", sa.Float, nullable=True),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # 0011: messages one worker sends at once (None = 1) and the callbacks' URL token hash
    sa.Column("concurrency", sa.Integer, nullable=True),
    sa.Column("callback_token_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("base_id", "name"),
)

CAMPAIGNS = sa.Table(
    "out_campaigns", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    _base_fk(),
    sa.Column("table_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("view_id", sa.Integer, nullable=True),
    sa.Column("segment", JsonValue, nullable=True),    # extra filter (query JSON)
    sa.Column("template_id", sa.Integer, sa.ForeignKey("out_templates.id"), nullable=False),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("out_channels.id"), nullable=False),
    sa.Column("audience", JsonValue, nullable=False),  # address/consent/opt-out/exclusions/plan
    sa.Column("max_recipients", sa.Integer, nullable=True),
    sa.Column("scheduled_at", UtcDateTime(), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # draft | scheduled | sending | sent
    sa.Column("automation_id", sa.Integer, nullable=True),   # one run per recipient
    sa.Column("launcher_id", sa.Integer, nullable=True),     # one run: the launch
    sa.Column("launched_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

DELIVERIES = sa.Table(
    "out_deliveries", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("out_campaigns.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("plan", sa.String(200), nullable=True),
    sa.Column("address", sa.String(300), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # queued|sent|failed|retrying|excluded
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.String(140), nullable=True),
    sa.Column("provider_id", sa.String(200), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("queued_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("replied_at", UtcDateTime(), nullable=True),
    # 0011: the provider's delivery receipt (delivered | undelivered) and its code
    sa.Column("receipt", sa.String(20), nullable=True),
    sa.Column("receipt_code", sa.String(100), nullable=True),
    sa.Column("receipt_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("campaign_id", "record_id"),
    sa.Index(None, "campaign_id", "status"),
    sa.Index(None, "idempotency_key"),
    sa.Index(None, "provider_id"),
)

RECEIPTS = sa.Table(
    "out_receipts", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("out_channels.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("dedupe_key", sa.String(64), nullable=False),     # SHA-256 of the report
    sa.Column("delivery_id", sa.Integer, nullable=True),
    sa.Column("provider_id", sa.String(200), nullable=True),
    sa.Column("outcome", sa.String(20), nullable=False),        # delivered | undelivered
    sa.Column("code", sa.String(100), nullable=True),
    sa.Column("detail", JsonValue, nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("channel_id", "dedupe_key"),
)

INBOUND = sa.Table(
    "out_inbound", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("out_channels.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("dedupe_key", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),           # optout | reply | unmatched
    sa.Column("campaign_id", sa.Integer, nullable=True),
    sa.Column("record_id", sa.Integer, nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("channel_id", "dedupe_key"),
)

RATE_WINDOWS = sa.Table(
    "out_rate_windows", meta,
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("slot", sa.BigInteger, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

CALL_QUEUES = sa.Table(
    "out_call_queues", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    _base_fk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("table_id", sa.Integer, nullable=False),    # the tasks table
    sa.Column("config", JsonValue, nullable=False),
    sa.Column("automation_id", sa.Integer, nullable=True),  # holds wf_assignments counts
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("base_id", "name"),
)

QUEUE_ITEMS = sa.Table(
    "out_queue_items", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("queue_id", sa.Integer, sa.ForeignKey("out_call_queues.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("caller", sa.String(200), nullable=False),
    sa.Column("task_id", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("plan", sa.String(200), nullable=True),
    sa.Column("outcome", sa.String(40), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("outcome_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("queue_id", "day", "task_id"),
    sa.Index(None, "queue_id", "day", "caller"),
)

MEMBER_PAGES = sa.Table(
    "out_member_pages", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    _base_fk(),
    sa.Column("table_id", sa.Integer, nullable=False, unique=True),
    sa.Column("config", JsonValue, nullable=False),     # title, fields, contact
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

MEMBER_LINKS = sa.Table(
    "out_member_links", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.Integer, sa.ForeignKey("out_member_pages.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Index(None, "page_id", "record_id"),
)

OUTREACH_TABLES = (TEMPLATES, CHANNELS, CAMPAIGNS, DELIVERIES, RATE_WINDOWS, CALL_QUEUES,
                   QUEUE_ITEMS, MEMBER_PAGES, MEMBER_LINKS, RECEIPTS, INBOUND)
