"""Computed fields: formula, lookup and rollup, materialized in real columns (DESIGN.md
decision 3; docs/formulas.md).

Pipeline::

    options ──maintenance.prepare_options──▶ id-form expression, result type, volatile flag
    metadata ──graph.load_graph──▶ dependency graph (same record / via link / whole column)
    record change ──changes.on_record_change──▶ Plan ──propagate.run──▶ materialize (UPDATE … FROM)
    day change ──clock.refresh_clock──▶ volatile fields and their dependents

Importing this package registers the hooks (hooks.py); the storage layer imports it itself.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from tessera.compute import hooks as _hooks  # noqa: F401  (registers the hooks)
from tessera.compute.clock import refresh_clock
from tessera.compute.graph import FormulaCycleError, load_graph
from tessera.compute.materialize import ALL_ROWS, Clock
from tessera.compute.preview import Preview, PreviewRow, preview_formula
from tessera.compute.propagate import Plan, run
from tessera.schema.catalog import Bind, get_table, transaction

__all__ = ["refresh_clock", "recompute_table", "preview_formula", "Preview", "PreviewRow",
           "FormulaCycleError"]


def recompute_table(bind: Bind, table_id: int, *, today: object = None) -> list[int]:
    """Recompute every computed field of a table (after a bulk load, or on demand) and what
    depends on them elsewhere: one set-based UPDATE per field, in dependency order. Returns
    the computed field ids written."""
    with transaction(bind) as conn:
        return _recompute(conn, table_id, today)


def _recompute(conn: Connection, table_id: int, today: object) -> list[int]:
    get_table(conn, table_id)
    graph = load_graph(conn)
    plan = Plan()
    plan.force([d.field_id for d in graph.definitions.values() if d.table_id == table_id], ALL_ROWS)
    at = Clock.current(today) if today is not None else None  # type: ignore[arg-type]
    return sorted(run(conn, plan, at=at, graph=graph))
