"""Campaigns: a segment of a customer table, a template, a channel and a schedule.

Sending rides on the workflow engine's queue (no second queue). Each campaign owns two
automations with a ``manual`` trigger: the *launcher* (one run, due at the scheduled time) and
the *sender* (one run per recipient). Launching is one transaction: the delivery log gets a
row per member of the segment (``queued``, or ``excluded`` by the audience rules) and the
sender gets one run per queued row with the dedupe key ``c<campaign>:r<record>`` — the
``(automation_id, dedupe_key)`` unique constraint makes "one message per customer per
campaign" hold whatever happens to workers afterwards. The send itself is an external step,
bracketed in ``wf_effects`` under its idempotency key (see sending.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

import tessera.workflow as wf
from tessera.errors import NotFoundError
from tessera.outreach.audience import Audience, rules_filter, segment_filter
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import CAMPAIGNS, CHANNELS, DELIVERIES, TEMPLATES
from tessera.schema.catalog import Bind, get_table, get_view, sa_table, transaction
from tessera.workflow import timebase
from tessera.workflow.models import AUTOMATIONS, RUNS
from tessera.workflow.outbox import enqueue

__all__ = ["create_campaign", "update_campaign", "get_campaign", "list_campaigns",
           "delete_campaign", "schedule_campaign", "launch", "cancel_campaign",
           "deliveries", "record_reply", "dedupe_prefix"]


def dedupe_prefix(campaign_id: int) -> str:
    return f"c{campaign_id}:r"


def _row(conn: sa.Connection, campaign_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id)).first()
    if row is None:
        raise NotFoundError("campaign", campaign_id)
    return dict(row._mapping)


def _check(conn: sa.Connection, base_id: int, table_id: int, template_id: int,
           channel_id: int, view_id: int | None, segment: Any,
           audience: Mapping[str, Any]) -> None:
    table = get_table(conn, table_id)
    template = conn.execute(sa.select(TEMPLATES).where(TEMPLATES.c.id == template_id)).first()
    if template is None or template.base_id != base_id:
        raise NotFoundError("template", template_id)
    if template.table_id != table_id:
        raise ConfigError("The template is written for another table; choose a template of "
                          f"table {table.name!r}.",
                          f"该模板属于另一张表，请选择表「{table.name}」的模板。")
    channel = conn.execute(sa.select(CHANNELS).where(CHANNELS.c.id == channel_id)).first()
    if channel is None or channel.base_id != base_id:
        raise NotFoundError("channel", channel_id)
    from tessera.outreach.channels import get_kind

    parsed = Audience.parse(table, audience)
    if get_kind(channel.kind).address != "none" and not parsed.address_field:
        raise ConfigError(f"Channel {channel.name!r} sends to a personal address; set the "
                          "audience's address_field (e.g. 手机 or 邮箱).",
                          f"渠道「{channel.name}」需要个人地址，请设置受众的 address_field（如 手机、邮箱）。")
    if view_id is not None and get_view(conn, view_id).table_id != table_id:
        raise ConfigError("The segment view belongs to another table.", "分群视图属于另一张表。")
    rules_filter(conn, table, segment_filter(conn, view_id, segment))   # validates the filter


def create_campaign(bind: Bind, *, base_id: int, table_id: int, name: str, template_id: int,
                    channel_id: int, view_id: int | None = None,
                    segment: Mapping[str, Any] | None = None,
                    audience: Mapping[str, Any] | None = None,
                    max_recipients: int | None = None) -> dict[str, Any]:
    audience = dict(audience or {})
    with transaction(bind) as conn:
        _check(conn, base_id, table_id, template_id, channel_id, view_id, segment, audience)
        channel = conn.execute(sa.select(CHANNELS).where(CHANNELS.c.id == channel_id)).one()
        sender = wf.create_automation(
            conn, base_id=base_id, table_id=table_id, name=f"campaign {name}: send",
            trigger={"type": "manual", "options": {"label": name}},
            actions=[{"type": "outreach_send", "retries": channel.max_attempts,
                      "options": {"campaign_id": 0}}])
        launcher = wf.create_automation(
            conn, base_id=base_id, table_id=table_id, name=f"campaign {name}: launch",
            trigger={"type": "manual", "options": {"label": name}},
            actions=[{"type": "outreach_launch", "options": {"campaign_id": 0}}])
        now = timebase.now()
        cid = conn.execute(sa.insert(CAMPAIGNS).values(
            base_id=base_id, table_id=table_id, name=name, view_id=view_id,
            segment=dict(segment) if segment else None, template_id=template_id,
            channel_id=channel_id, audience=audience, max_recipients=max_recipients,
            status="draft", automation_id=sender, launcher_id=launcher, created_at=now,
            updated_at=now).returning(CAMPAIGNS.c.id)).scalar_one()
        for aid, kind in ((sender, "outreach_send"), (launcher, "outreach_launch")):
            retries = channel.max_attempts if kind == "outreach_send" else 3
            conn.execute(sa.update(AUTOMATIONS).where(AUTOMATIONS.c.id == aid).values(
                actions=[{"type": kind, "retries": retries, "options": {"campaign_id": cid}}]))
        return _row(conn, cid)


def update_campaign(bind: Bind, campaign_id: int, **changes: Any) -> dict[str, Any]:
    """Change a draft or scheduled campaign (name, template, channel, segment, audience, cap)."""
    allowed = {"name", "template_id", "channel_id", "view_id", "segment", "audience",
               "max_recipients"}
    unknown = set(changes) - allowed
    if unknown:
        raise ConfigError(f"These campaign settings cannot be changed: {sorted(unknown)}.",
                          f"这些活动设置不能修改：{sorted(unknown)}。")
    _forget()
    with transaction(bind) as conn:
        row = _row(conn, campaign_id)
        if row["status"] not in ("draft", "scheduled"):
            raise ConfigError("A campaign that has started sending cannot be changed; copy it "
                              "into a new campaign instead.",
                              "已开始发送的活动不能修改，请复制为新活动。")
        new = {**row, **{k: v for k, v in changes.items() if v is not None}}
        _check(conn, row["base_id"], row["table_id"], new["template_id"], new["channel_id"],
               new["view_id"], new["segment"], new["audience"] or {})
        conn.execute(sa.update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
            **{k: new[k] for k in allowed}, updated_at=timebase.now()))
        return _row(conn, campaign_id)


def get_campaign(bind: Bind, campaign_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        return _row(conn, campaign_id)


def list_campaigns(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(CAMPAIGNS).where(CAMPAIGNS.c.base_id == base_id).order_by(CAMPAIGNS.c.id))]


def delete_campaign(bind: Bind, campaign_id: int) -> None:
    with transaction(bind) as conn:
        row = _row(conn, campaign_id)
        conn.execute(sa.delete(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id))
        for aid in (row["automation_id"], row["launcher_id"]):
            if aid is not None:
                wf.delete_automation(conn, aid)


def schedule_campaign(bind: Bind, campaign_id: int, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """Queue the launch at ``at`` (now when None); a worker launches it when due. Scheduling
    again before the launch moves the time; after the launch it changes nothing."""
    with transaction(bind) as conn:
        row = _row(conn, campaign_id)
        if row["status"] not in ("draft", "scheduled"):
            return row
        when = at or timebase.now()
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        launcher = conn.execute(sa.select(AUTOMATIONS).where(
            AUTOMATIONS.c.id == row["launcher_id"])).one()
        moved = conn.execute(sa.update(RUNS).where(
            RUNS.c.automation_id == launcher.id, RUNS.c.dedupe_key == "launch",
            RUNS.c.status == "queued").values(run_after=when))
        if moved.rowcount == 0:
            enqueue(conn, launcher, [None], trigger_type="manual", dedupe={None: "launch"})
            conn.execute(sa.update(RUNS).where(RUNS.c.automation_id == launcher.id,
                                               RUNS.c.dedupe_key == "launch")
                         .values(run_after=when))
        conn.execute(sa.update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
            status="scheduled", scheduled_at=when, updated_at=timebase.now()))
        return _row(conn, campaign_id)


def launch(conn: sa.Connection, campaign_id: int) -> dict[str, int]:
    """Write the delivery log and queue one sender run per recipient (one transaction)."""
    row = _row(conn, campaign_id)
    if row["status"] not in ("draft", "scheduled"):
        return {"queued": 0, "excluded": 0}
    table = get_table(conn, row["table_id"])
    audience = Audience.parse(table, row["audience"])
    t = sa_table(table)
    segment = rules_filter(conn, table, segment_filter(conn, row["view_id"], row["segment"]), t)
    eligible = rules_filter(conn, table, audience.to_filter(), t)
    now = timebase.now()
    plan = (t.c[table.field(audience.plan_field).column] if audience.plan_field
            else sa.null())
    address = (t.c[table.field(audience.address_field).column] if audience.address_field
               else sa.null())
    d = DELIVERIES
    columns = ["campaign_id", "record_id", "plan", "address", "status", "attempts", "queued_at"]

    def rows(status: str) -> Any:
        from tessera.fields.sqltypes import UtcDateTime

        return sa.select(sa.literal(campaign_id), t.c.id, sa.cast(plan, sa.String),
                         sa.cast(address, sa.String), sa.literal(status, sa.String),
                         sa.literal(0), sa.literal(now, UtcDateTime()))

    # the eligible members (the first max_recipients by id), then the rest of the segment as
    # excluded: an anti-join on the (campaign_id, record_id) unique index, never NOT IN
    chosen = rows("queued").where(segment, eligible).order_by(t.c.id)
    if row["max_recipients"]:
        chosen = chosen.limit(int(row["max_recipients"]))
    conn.execute(sa.insert(d).from_select(columns, chosen))
    already = sa.select(d.c.id).where(d.c.campaign_id == campaign_id, d.c.record_id == t.c.id)
    conn.execute(sa.insert(d).from_select(columns, rows("excluded").where(
        segment, ~sa.exists(already))))
    counts = dict(conn.execute(sa.select(d.c.status, sa.func.count()).where(
        d.c.campaign_id == campaign_id).group_by(d.c.status)).all())
    queued, excluded = counts.get("queued", 0), counts.get("excluded", 0)
    _enqueue_senders(conn, row, now)
    conn.execute(sa.update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
        status="sending", launched_at=now, updated_at=now))
    return {"queued": queued, "excluded": excluded}


def _enqueue_senders(conn: sa.Connection, row: Mapping[str, Any], now: dt.datetime) -> None:
    """One sender run per queued delivery, straight into the workflow's ``wf_runs`` with the
    dedupe key ``c<campaign>:r<record>``. No "already queued?" step: the launch runs once
    (status check in this transaction, a single launcher run), and the unique
    ``(automation_id, dedupe_key)`` would refuse a repeat, rolling the launch back."""
    from tessera.fields.sqltypes import UtcDateTime

    d = DELIVERIES
    key = sa.literal(dedupe_prefix(row["id"]), sa.String) + sa.cast(d.c.record_id, sa.String)
    runs = sa.select(sa.literal(row["automation_id"]), sa.literal(row["table_id"]), d.c.record_id,
                     sa.literal("manual", sa.String), key, sa.literal("queued", sa.String),
                     sa.literal(0), sa.literal(0), sa.literal(now, UtcDateTime()),
                     sa.literal(now, UtcDateTime())).where(
        d.c.campaign_id == row["id"], d.c.status == "queued")
    conn.execute(sa.insert(RUNS).from_select(
        ["automation_id", "table_id", "record_id", "trigger_type", "dedupe_key", "status",
         "depth", "attempts", "run_after", "created_at"], runs))


def cancel_campaign(bind: Bind, campaign_id: int) -> dict[str, Any]:
    """Stop what has not been sent: queued runs are cancelled, their deliveries too."""
    with transaction(bind) as conn:
        row = _row(conn, campaign_id)
        for aid in (row["automation_id"], row["launcher_id"]):
            conn.execute(sa.update(RUNS).where(RUNS.c.automation_id == aid,
                                               RUNS.c.status.in_(("queued", "retry")))
                         .values(status="cancelled", finished_at=timebase.now()))
        conn.execute(sa.update(DELIVERIES).where(
            DELIVERIES.c.campaign_id == campaign_id,
            DELIVERIES.c.status.in_(("queued", "retrying"))).values(status="cancelled"))
        conn.execute(sa.update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
            status="cancelled", updated_at=timebase.now()))
        return _row(conn, campaign_id)


def deliveries(bind: Bind, campaign_id: int, *, status: str | None = None,
               limit: int = 100, after_id: int = 0) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        _row(conn, campaign_id)
        q = sa.select(DELIVERIES).where(DELIVERIES.c.campaign_id == campaign_id,
                                        DELIVERIES.c.id > after_id)
        if status:
            q = q.where(DELIVERIES.c.status == status)
        return [dict(r._mapping) for r in conn.execute(q.order_by(DELIVERIES.c.id).limit(limit))]


def record_reply(bind: Bind, campaign_id: int, record_id: int) -> bool:
    """A recipient answered (an inbound SMS, a reply email): counted in the results."""
    with transaction(bind) as conn:
        done = conn.execute(sa.update(DELIVERIES).where(
            DELIVERIES.c.campaign_id == campaign_id, DELIVERIES.c.record_id == record_id,
            DELIVERIES.c.replied_at.is_(None)).values(replied_at=timebase.now()))
        return done.rowcount == 1


def _forget() -> None:
    from tessera.outreach.sending import clear_cache

    clear_cache()
