"""The evening summary of seed 003: the day's calls → bookings → arrivals, by caller and by
invitation plan, as data for a dashboard and as an xlsx sheet (tessera/io's stream writer).

Per row: ``listed`` (tasks in the lists), ``called`` (an outcome was clicked), one count per
outcome (已联系 / 已预约 / 无效 …), ``booked`` (a booking outcome, or the task has since
arrived), ``arrived`` (the task's status is now an arrival value, e.g. 已到院 set by the front
desk) and the two rates booked/called and arrived/booked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera.io.xlsx_writer import XlsxColumn, XlsxStreamWriter
from tessera.outreach.calls import get_queue
from tessera.outreach.models import QUEUE_ITEMS
from tessera.schema.catalog import Bind, get_table, sa_table, transaction
from tessera.workflow import timebase

__all__ = ["day_summary", "export_summary_xlsx"]


def _blank(outcomes: list[str]) -> dict[str, Any]:
    return {"listed": 0, "called": 0, **{o: 0 for o in outcomes}, "booked": 0, "arrived": 0}


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    row["booking_rate"] = round(row["booked"] / row["called"], 4) if row["called"] else None
    row["arrival_rate"] = round(row["arrived"] / row["booked"], 4) if row["booked"] else None
    return row


def day_summary(bind: Bind, queue_id: int, *, day: dt.date | None = None) -> dict[str, Any]:
    day_s = (day or timebase.today()).isoformat()
    queue = get_queue(bind, queue_id)
    cfg = queue["config"]
    outcomes = list(cfg["outcomes"])
    with transaction(bind) as conn:
        table = get_table(conn, queue["table_id"])
        t = sa_table(table)
        status = t.c[table.field(cfg["status_field"]).column]
        items = conn.execute(sa.select(QUEUE_ITEMS.c.caller, QUEUE_ITEMS.c.plan,
                                       QUEUE_ITEMS.c.outcome, status).select_from(
            QUEUE_ITEMS.join(t, t.c.id == QUEUE_ITEMS.c.task_id)).where(
            QUEUE_ITEMS.c.queue_id == queue_id, QUEUE_ITEMS.c.day == day_s)).all()
    arrived_values = {str(v) for v in cfg["arrived_values"]}
    booked_outcomes = {str(v) for v in cfg["booked_outcomes"]}
    total = _blank(outcomes)
    by_caller: dict[str, dict[str, Any]] = {c: _blank(outcomes) for c in cfg["callers"]}
    by_plan: dict[str, dict[str, Any]] = {}
    for caller, plan, outcome, task_status in items:
        arrived = task_status in arrived_values
        booked = outcome in booked_outcomes or arrived
        for row in (total, by_caller.setdefault(caller, _blank(outcomes)),
                    by_plan.setdefault(plan or "", _blank(outcomes))):
            row["listed"] += 1
            row["called"] += outcome is not None
            if outcome in row:
                row[outcome] += 1
            row["booked"] += booked
            row["arrived"] += arrived
    return {"queue_id": queue_id, "day": day_s, "outcomes": outcomes, "total": _rates(total),
            "by_caller": [{"caller": c, **_rates(r)} for c, r in by_caller.items()],
            "by_plan": [{"plan": p, **_rates(r)} for p, r in sorted(by_plan.items())]}


def export_summary_xlsx(bind: Bind, queue_id: int, path: str | Path, *,
                        day: dt.date | None = None) -> dict[str, Any]:
    """One sheet: a row per caller, then a row per plan, then the total (headers in Chinese
    and English, the way the phone team reads them)."""
    summary = day_summary(bind, queue_id, day=day)
    outcomes = summary["outcomes"]
    columns = [XlsxColumn("维度 / By", 14), XlsxColumn("名称 / Name", 16),
               XlsxColumn("名单 / Listed", 12), XlsxColumn("已拨打 / Called", 14),
               *[XlsxColumn(o, 10) for o in outcomes], XlsxColumn("预约 / Booked", 12),
               XlsxColumn("到院 / Arrived", 12),
               XlsxColumn("预约率 / Booking rate", 18, "0.0%"),
               XlsxColumn("到院率 / Arrival rate", 18, "0.0%")]

    def line(kind: str, name: str, r: dict[str, Any]) -> list[Any]:
        return [kind, name, r["listed"], r["called"], *[r[o] for o in outcomes], r["booked"],
                r["arrived"], r["booking_rate"], r["arrival_rate"]]

    rows = [line("负责人", r["caller"], r) for r in summary["by_caller"]]
    rows += [line("邀约方案", r["plan"] or "（未填）", r) for r in summary["by_plan"]]
    rows.append(line("合计", summary["day"], summary["total"]))
    with XlsxStreamWriter(path, f"回访汇总 {summary['day']}", columns) as writer:
        writer.write_rows(rows)
    return summary
