"""Campaign results: sent, failed, excluded, replied, booked and arrived — per campaign and per
invitation plan. Booked and arrived are read from the tasks table named by the audience's
``tasks`` setting (``{"table": "回访任务", "customer_field": "客户", "status_field": "状态",
"booked": ["已预约", "已到院"], "arrived": ["已到院"], "date_field": "到期日"}``): a recipient
who was sent the message counts as booked when one of their tasks has a booked status (dated on
or after the launch when ``date_field`` is set)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa

from tessera.outreach.audience import Audience
from tessera.outreach.campaigns import get_campaign
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import DELIVERIES
from tessera.records import read_links
from tessera.schema.catalog import Bind, TableInfo, get_table, list_tables, sa_table, transaction

__all__ = ["campaign_results", "task_outcomes", "resolve_table"]

STATUSES = ("queued", "retrying", "sent", "failed", "excluded", "cancelled")


def resolve_table(conn: sa.Connection, base_id: int, ref: Any) -> TableInfo:
    for t in list_tables(conn, base_id):
        if ref in (t.id, t.name) or str(t.id) == str(ref):
            return t
    raise ConfigError(f"No table {ref!r} in this base.", f"此数据库中没有表「{ref}」。")


def task_outcomes(conn: sa.Connection, base_id: int, cfg: dict[str, Any],
                  since: Any = None) -> tuple[set[int], set[int]]:
    """(customers with a booked task, customers with an arrived task)."""
    if not cfg:
        return set(), set()
    tasks = resolve_table(conn, base_id, cfg["table"])
    t = sa_table(tasks)
    status = t.c[tasks.field(cfg.get("status_field", "状态")).column]
    booked_values = [str(v) for v in cfg.get("booked", ["已预约", "已到院"])]
    arrived_values = [str(v) for v in cfg.get("arrived", ["已到院"])]
    q = sa.select(t.c.id, status).where(status.in_(set(booked_values) | set(arrived_values)))
    if since is not None and cfg.get("date_field"):
        q = q.where(t.c[tasks.field(cfg["date_field"]).column] >= since.date())
    rows = conn.execute(q).all()
    links = read_links(conn, tasks.field(cfg.get("customer_field", "客户")), [r[0] for r in rows])
    booked: set[int] = set()
    arrived: set[int] = set()
    for task_id, value in rows:
        for customer in links.get(task_id, []):
            if value in booked_values:
                booked.add(customer)
            if value in arrived_values:
                arrived.add(customer)
    return booked, arrived


def _empty() -> dict[str, int]:
    return {**{s: 0 for s in STATUSES}, "delivered": 0, "undelivered": 0, "replied": 0,
            "booked": 0, "arrived": 0, "total": 0}


def campaign_results(bind: Bind, campaign_id: int) -> dict[str, Any]:
    campaign = get_campaign(bind, campaign_id)
    with transaction(bind) as conn:
        table = get_table(conn, campaign["table_id"])
        audience = Audience.parse(table, campaign["audience"])
        booked, arrived = task_outcomes(conn, campaign["base_id"], audience.tasks,
                                        campaign["launched_at"])
        d = DELIVERIES
        rows = conn.execute(sa.select(d.c.record_id, d.c.plan, d.c.status,
                                      d.c.replied_at.is_not(None), d.c.receipt).where(
            d.c.campaign_id == campaign_id)).all()
    total = _empty()
    by_plan: dict[str, dict[str, int]] = defaultdict(_empty)
    for record_id, plan, status, replied, receipt in rows:
        bucket = by_plan[plan or ""]
        counts = Counter({status: 1, "total": 1})
        if status == "sent":
            # the provider's receipt (callbacks, receipts.py): delivered to the handset or not
            counts.update(delivered=int(receipt == "delivered"),
                          undelivered=int(receipt == "failed"),
                          replied=int(bool(replied)), booked=int(record_id in booked),
                          arrived=int(record_id in arrived))
        for target in (total, bucket):
            for k, v in counts.items():
                target[k] += v
    return {"campaign_id": campaign_id, "status": campaign["status"], "totals": total,
            "by_plan": [{"plan": p, **c} for p, c in sorted(by_plan.items())]}
