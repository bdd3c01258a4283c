"""Opening and saving a saved view on its kind's page.

A view (tessera.schema.views) stores its kind and layout; the pages read them here: which page
a view opens on, the filter a page combines with the view's own, the fields a layout names
(skipping those the acting user cannot see), and the layout a page's "save view" button stores
(the view's layout with what the page shows now, e.g. the kanban's current stack field)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tessera.schema.catalog import FieldInfo, TableInfo, ViewInfo

__all__ = ["KIND_ROUTES", "view_path", "with_view_filter", "layout_fields", "layout_field",
           "save_button"]

KIND_ROUTES = {"grid": "table", "kanban": "table_kanban", "calendar": "table_calendar",
               "form": "table_form"}


def view_path(request: Any, view: ViewInfo) -> str:
    """The URL of the page the view opens on (its kind's page with ``?view=``)."""
    route = KIND_ROUTES.get(view.kind, "table")
    return request.url_for(route, table_id=view.table_id).path + f"?view={view.id}"


def with_view_filter(view: ViewInfo | None, spec: Any) -> Any:
    """``spec`` AND the view's saved filter (either may be None)."""
    own = view.filters if view is not None else None
    if own and spec:
        return {"and": [own, spec]}
    return own or spec


def layout_field(table: TableInfo, layout: Mapping[str, Any], key: str) -> FieldInfo | None:
    """The field a layout key names, if the table (as the acting user sees it) has it."""
    wanted = layout.get(key)
    return next((f for f in table.fields if f.id == wanted), None)


def layout_fields(table: TableInfo, ids: Sequence[int] | None) -> list[FieldInfo]:
    by_id = {f.id: f for f in table.fields}
    return [by_id[i] for i in ids or [] if i in by_id]


def save_button(view: ViewInfo | None, kind: str, layout: Mapping[str, Any]) -> dict[str, Any]:
    """What the page's save button sends (ui/static/js/view_save.js): the open view (or None
    for a new one), the kind and the layout as JSON."""
    return {"view_id": view.id if view else None, "kind": kind,
            "layout": json.dumps(dict(layout), ensure_ascii=False)}
