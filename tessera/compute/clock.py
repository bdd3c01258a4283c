"""Clock-dependent formulas (TODAY(), NOW()) are marked ``volatile``; ``refresh_clock``
recomputes them, and everything that reads them, when the engine's day has moved on since
their ``clock_date`` (or always, with ``force``)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tessera.compute.graph import load_graph
from tessera.compute.materialize import ALL_ROWS, Clock
from tessera.compute.propagate import Plan, run
from tessera.schema.catalog import Bind, F, transaction

__all__ = ["refresh_clock"]


def refresh_clock(bind: Bind, today: dt.date | None = None, *, force: bool = False) -> list[int]:
    """Recompute stale clock-dependent fields for ``today`` (default: the engine clock,
    ``TESSERA_TODAY`` if set); returns the ids of the fields refreshed."""
    at = Clock.current(today)
    day = at.today.isoformat()
    with transaction(bind) as conn:
        graph = load_graph(conn)
        stale = sorted(d.field_id for d in graph.definitions.values() if d.volatile and d.active and (
            force or graph.fields[d.field_id].options.get("clock_date") != day))
        if not stale:
            return []
        plan = Plan()
        plan.force(stale, ALL_ROWS)
        run(conn, plan, at=at, graph=graph)
        for field_id in stale:
            options = {**graph.fields[field_id].options, "clock_date": day}
            conn.execute(sa.update(F).where(F.c.id == field_id).values(options=options))
        return stale
