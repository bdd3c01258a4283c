"""The two workflow actions behind campaigns (registered in the workflow's action registry):

``outreach_launch`` (a database step): writes the delivery log and queues the sender runs,
in the step's own transaction (see campaigns.launch).

``outreach_send`` (an external step, so the runner brackets it in ``wf_effects``): re-checks the
recipient against the audience rules (an opt-out after the launch still counts), renders the
template, waits for the channel's rate limit and calls the channel with the idempotency key
``campaign-<id>-record-<id>``. Permanent refusals end the delivery as ``failed`` without
retries; transient ones are raised so the runner retries with backoff, until the channel's
``max_attempts``. A delivery already ``sent`` is never sent again, even if the worker died
before the runner recorded the effect. Fresh sender runs claimed together go through the
batched path of batch_send.py (same outcomes, a few transactions per batch); ``_send`` is the
per-run path for retries and replays after a crash."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.auth.outbound import OutboundRefused, allowed_hosts
from tessera.outreach.audience import Audience, excluded_reason
from tessera.outreach.batch_send import run_batch
from tessera.outreach.channel_store import LoadedChannel, check_targets, load
from tessera.outreach.channels import Message, SendResult
from tessera.outreach.errors import ChannelError, ConfigError, TemplateRenderError
from tessera.outreach.message_templates import render_message
from tessera.outreach.models import CAMPAIGNS, DELIVERIES, TEMPLATES
from tessera.outreach.ratelimit import acquire
from tessera.schema.catalog import TableInfo, get_table
from tessera.workflow import timebase
from tessera.workflow.context import StepContext
from tessera.workflow.registry import ActionSpec, define_action
from tessera.workflow.templates import record_env

__all__ = ["delivery_key", "send_now", "clear_cache", "SETUP_TTL_SECONDS"]

SETUP_TTL_SECONDS = 5.0
FINAL = ("sent", "failed", "excluded", "cancelled")


def delivery_key(campaign_id: int, record_id: int) -> str:
    return f"campaign-{campaign_id}-record-{record_id}"


@dataclass(frozen=True)
class _Setup:
    campaign: dict[str, Any]
    template: dict[str, Any]
    channel: LoadedChannel
    table: TableInfo
    audience: Audience
    allowed_hosts: list[str]


_cache: dict[tuple[str, int], tuple[float, _Setup]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget cached set-ups (called when a template or channel changes in this process)."""
    with _cache_lock:
        _cache.clear()


def _setup(engine: Engine, campaign_id: int) -> _Setup:
    """A campaign's template, channel (secrets decrypted) and table, kept a few seconds per
    process so a large campaign does not re-read them for every recipient."""
    now = time.monotonic()
    key = (engine.url.render_as_string(hide_password=True), campaign_id)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < SETUP_TTL_SECONDS:
            return hit[1]
    with engine.begin() as conn:
        campaign = dict(conn.execute(sa.select(CAMPAIGNS).where(
            CAMPAIGNS.c.id == campaign_id)).one()._mapping)
        template = dict(conn.execute(sa.select(TEMPLATES).where(
            TEMPLATES.c.id == campaign["template_id"])).one()._mapping)
        channel = load(conn, campaign["channel_id"])
        table = get_table(conn, campaign["table_id"])
    setup = _Setup(campaign, template, channel, table,
                   Audience.parse(table, campaign["audience"]), allowed_hosts(engine))
    with _cache_lock:
        _cache[key] = (now, setup)
    return setup


def _mark(engine: Engine, campaign_id: int, record_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(DELIVERIES).where(DELIVERIES.c.campaign_id == campaign_id,
                                                 DELIVERIES.c.record_id == record_id)
                     .values(**values))


def _launch(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    from tessera.outreach.campaigns import launch

    return launch(ctx.conn, int(options["campaign_id"]))  # type: ignore[arg-type]


def _attempts_so_far(engine: Engine, campaign_id: int, record_id: int) -> int | None:
    """Attempts made so far on an unfinished delivery; None when it is finished or absent.
    (A read: the attempt is counted when its outcome is written, in the same statement.)"""
    d = DELIVERIES
    with engine.connect() as conn:
        return conn.execute(sa.select(d.c.attempts).where(
            d.c.campaign_id == campaign_id, d.c.record_id == record_id,
            d.c.status.not_in(FINAL))).scalar()


def _finished(engine: Engine, campaign_id: int, record_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        row = conn.execute(sa.select(DELIVERIES.c.status, DELIVERIES.c.provider_id).where(
            DELIVERIES.c.campaign_id == campaign_id, DELIVERIES.c.record_id == record_id)).first()
    if row is None:
        return {"status": "not_in_campaign"}
    return {"status": row.status, "provider_id": row.provider_id}


def _send(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    cid, rid = int(options["campaign_id"]), ctx.run["record_id"]
    s = _setup(ctx.engine, cid)
    fields = (ctx.record or {}).get("fields") or {}
    reason = excluded_reason(s.audience, fields) if ctx.record is not None else "record deleted"
    if reason:
        with ctx.engine.begin() as conn:
            conn.execute(sa.update(DELIVERIES).where(
                DELIVERIES.c.campaign_id == cid, DELIVERIES.c.record_id == rid,
                DELIVERIES.c.status.not_in(FINAL)).values(status="excluded", error=reason))
        return {**_finished(ctx.engine, cid, rid), "reason": reason}
    key = delivery_key(cid, rid)
    try:
        rendered = render_message(s.template, record_env(s.table, ctx.record),
                                  language=fields.get(s.audience.language_field or ""),
                                  today=ctx.today)
    except TemplateRenderError as exc:
        _mark(ctx.engine, cid, rid, status="failed", error=exc.message("en"),
              idempotency_key=key)
        return {"status": "failed", "error": exc.message("en")}
    acquire(ctx.engine, s.channel.id, s.channel.rate_per_second)
    done_before = _attempts_so_far(ctx.engine, cid, rid)
    if done_before is None:              # already sent, failed, cancelled, or not ours
        return _finished(ctx.engine, cid, rid)
    attempts = done_before + 1
    address = fields.get(s.audience.address_field) if s.audience.address_field else None
    message = Message(str(address) if address else None, rendered.subject, rendered.body, key,
                      rendered.params)
    try:
        check_targets(ctx.engine, s.channel, s.allowed_hosts)
        result = s.channel.spec.send(s.channel.config, s.channel.secrets, message)
    except (ChannelError, ConfigError, OutboundRefused) as exc:
        error = exc.message("en")
        final = not getattr(exc, "transient", False) or attempts >= s.channel.max_attempts
        _mark(ctx.engine, cid, rid, status="failed" if final else "retrying", error=error,
              attempts=attempts, idempotency_key=key)
        if final:
            return {"status": "failed", "error": error}
        raise
    _mark(ctx.engine, cid, rid, status="sent", provider_id=result.provider_id, error=None,
          sent_at=timebase.now(), attempts=attempts, idempotency_key=key)
    return {"status": "sent", "provider_id": result.provider_id, "key": key}


def send_now(engine: Engine, channel_id: int, message: Message) -> SendResult:
    """Send one message through a configured channel (the "send a test" button)."""
    with engine.begin() as conn:
        channel = load(conn, channel_id)
    check_targets(engine, channel)
    return channel.spec.send(channel.config, channel.secrets, message)


_CAMPAIGN_OPTION = {"required": ["campaign_id"],
                    "properties": {"campaign_id": {"type": "integer"}}}

define_action(ActionSpec("outreach_launch", "Launch a campaign", "启动营销活动",
                         _CAMPAIGN_OPTION, _launch))
define_action(ActionSpec("outreach_send", "Send a campaign message", "发送活动消息",
                         _CAMPAIGN_OPTION, _send, external=True, max_attempts=5,
                         extra={"run_batch": run_batch}))
