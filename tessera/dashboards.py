"""Dashboards: a base's named lists of chart widgets (metadata only; charts are computed by
the UI from the widgets' table, view, group-by field and aggregate).

A widget is ``{type, title, table_id, view_id, group_by_field_id, aggregate, field_id,
order}``; ids are stored (never names) so renaming a field keeps its charts. The table lives
in the packs migration (0005_packs) because app packs are the first writers of dashboards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.errors import NotFoundError, SchemaError
from tessera.fields.sqltypes import utcnow
from tessera.packs.models import DASHBOARDS
from tessera.schema.catalog import Bind, get_base, transaction

__all__ = ["WIDGET_TYPES", "AGGREGATES", "DashboardInfo", "create_dashboard", "get_dashboard",
           "list_dashboards", "update_dashboard", "delete_dashboard"]

WIDGET_TYPES = ("number", "bar", "line", "pie", "funnel")
AGGREGATES = ("count", "sum", "avg", "min", "max")
_WIDGET_KEYS = ("type", "title", "table_id", "view_id", "group_by_field_id", "aggregate",
                "field_id", "order")


@dataclass(frozen=True)
class DashboardInfo:
    id: int
    base_id: int
    name: str
    widgets: list[dict[str, Any]]
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "base_id": self.base_id, "name": self.name,
                "widgets": self.widgets, "position": self.position}


def _clean_widgets(widgets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checks each widget's type and aggregate (the rest is ids the caller resolved)."""
    cleaned = []
    for i, widget in enumerate(widgets):
        kind, aggregate = widget.get("type"), widget.get("aggregate", "count")
        if kind not in WIDGET_TYPES or aggregate not in AGGREGATES:
            raise SchemaError(
                f"Widget {i + 1}: type must be one of {', '.join(WIDGET_TYPES)} and aggregate "
                f"one of {', '.join(AGGREGATES)}.",
                f"第 {i + 1} 个组件：类型须为 {'、'.join(WIDGET_TYPES)} 之一，聚合方式须为 "
                f"{'、'.join(AGGREGATES)} 之一。", code="dashboard_widget")
        if aggregate != "count" and widget.get("field_id") is None:
            raise SchemaError(f"Widget {i + 1}: aggregate {aggregate} needs a field.",
                              f"第 {i + 1} 个组件：聚合方式 {aggregate} 需要指定字段。",
                              code="dashboard_widget")
        cleaned.append({k: widget.get(k) for k in _WIDGET_KEYS if widget.get(k) is not None}
                       | {"aggregate": aggregate})
    return cleaned


def _row(row: Any) -> DashboardInfo:
    return DashboardInfo(row.id, row.base_id, row.name, list(row.widgets or []), row.position)


def create_dashboard(bind: Bind, base_id: int, name: str,
                     widgets: Sequence[Mapping[str, Any]] = ()) -> DashboardInfo:
    with transaction(bind) as conn:
        get_base(conn, base_id)
        position = conn.execute(sa.select(sa.func.count()).select_from(DASHBOARDS)
                                .where(DASHBOARDS.c.base_id == base_id)).scalar_one()
        now = utcnow()
        new_id = conn.execute(sa.insert(DASHBOARDS).values(
            base_id=base_id, name=name.strip() or "Dashboard", widgets=_clean_widgets(widgets),
            position=position, created_at=now, updated_at=now)
            .returning(DASHBOARDS.c.id)).scalar_one()
        return get_dashboard(conn, new_id)


def get_dashboard(bind: Bind, dashboard_id: int) -> DashboardInfo:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(DASHBOARDS).where(DASHBOARDS.c.id == dashboard_id)).first()
    if row is None:
        raise NotFoundError("dashboard", dashboard_id)
    return _row(row)


def list_dashboards(bind: Bind, base_id: int) -> list[DashboardInfo]:
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(DASHBOARDS).where(DASHBOARDS.c.base_id == base_id)
                            .order_by(DASHBOARDS.c.position, DASHBOARDS.c.id)).all()
    return [_row(r) for r in rows]


def update_dashboard(bind: Bind, dashboard_id: int, *, name: str | None = None,
                     widgets: Sequence[Mapping[str, Any]] | None = None) -> DashboardInfo:
    with transaction(bind) as conn:
        current = get_dashboard(conn, dashboard_id)
        conn.execute(sa.update(DASHBOARDS).where(DASHBOARDS.c.id == dashboard_id).values(
            name=(name.strip() or current.name) if name is not None else current.name,
            widgets=_clean_widgets(widgets) if widgets is not None else current.widgets,
            updated_at=utcnow()))
        return get_dashboard(conn, dashboard_id)


def delete_dashboard(bind: Bind, dashboard_id: int) -> None:
    with transaction(bind) as conn:
        get_dashboard(conn, dashboard_id)
        conn.execute(sa.delete(DASHBOARDS).where(DASHBOARDS.c.id == dashboard_id))
