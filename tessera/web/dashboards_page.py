"""The dashboards page: each widget of tessera.dashboards computed with one SQL GROUP BY
over its table (through its view's filters) and drawn as server-side SVG (tessera.web.charts).

Grouping by a single select keeps the select's choice order, which is what a lifecycle
funnel needs; other groups are ordered by value (bar, pie) or by label (line, e.g. months)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.context import acting_principal
from tessera.access.scope import require, table_scope
from tessera.dashboards import list_dashboards
from tessera.errors import TesseraError
from tessera.fields.user import user_directory
from tessera.query import build_filter
from tessera.web.cells import cell_text
from tessera.web.charts import Point, render_chart
from tessera.web.ui_i18n import threaded_page, ui_text

__all__ = ["DASHBOARD_ROUTES", "widget_points"]

_AGG = {"count": sa.func.count, "sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min,
        "max": sa.func.max}


def widget_points(conn: Any, widget: Mapping[str, Any], empty_label: str) -> list[Point]:
    # the acting user's fields and rows only (tessera.access): a chart never counts more
    scope = table_scope(conn, acting_principal(), widget["table_id"], "records.read")
    table = scope.table
    t = schema.sa_table(table)
    filters = schema.get_view(conn, widget["view_id"]).filters if widget.get("view_id") else None
    where = scope.restrict(conn, t, build_filter(table, filters, dialect=conn.dialect.name, t=t))
    aggregate = widget.get("aggregate", "count")
    if aggregate == "count":
        measure = sa.func.count()
    else:
        field = table.field(int(widget["field_id"]))
        measure = _AGG[aggregate](t.c[field.column])
    group_id = widget.get("group_by_field_id")
    if not group_id or widget.get("type") == "number":
        value = conn.execute(sa.select(measure).select_from(t).where(where)).scalar()
        return [Point(ui_text("records", "en"), float(value or 0))]
    group = table.field(int(group_id))
    rows = conn.execute(sa.select(t.c[group.column], measure).where(where)
                        .group_by(t.c[group.column])).all()
    with user_directory(conn):    # a ``user`` group shows usernames (display), not ids
        points = [Point((group.field_type.display(v, group) if group.type == "user" else
                         cell_text(group.field_type.to_json(v, group))) or empty_label,
                        float(n or 0)) for v, n in rows]
    if group.type == "single_select":
        order = {c["label"]: i for i, c in enumerate(group.options.get("choices", []))}
        points.sort(key=lambda p: order.get(p.label, len(order)))
    elif widget.get("type") == "line":
        points.sort(key=lambda p: p.label)
    else:
        points.sort(key=lambda p: -p.value)
    return points


def _dashboards(engine: Any, base_id: int, locale: str) -> dict[str, Any]:
    empty = ui_text("empty", locale)
    with engine.begin() as conn:
        base = schema.get_base(conn, base_id)
        require(conn, acting_principal(), "base.read", base_id)
        boards = []
        for board in list_dashboards(conn, base_id):
            widgets = []
            for widget in sorted(board.widgets, key=lambda w: w.get("order", 0)):
                title = widget.get("title") or widget["type"]
                try:
                    svg = render_chart(widget["type"], widget_points(conn, widget, empty), title)
                    widgets.append({"title": title, "type": widget["type"], "svg": svg,
                                    "error": None})
                except TesseraError as exc:  # a deleted field or view: say which widget
                    message = exc.to_dict(locale)["message"]
                    widgets.append({"title": title, "type": widget["type"], "svg": "",
                                    "error": message})
            boards.append({"id": board.id, "name": board.name, "widgets": widgets})
    return {"base": base, "dashboards": boards}


DASHBOARD_ROUTES = [
    Route("/bases/{base_id:int}/dashboards",
          threaded_page("pages/dashboards.html", _dashboards, "base_id"), name="dashboards"),
]
