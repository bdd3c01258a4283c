"""HTML pages: home (bases), a base (its tables) and a table's grid view. The grid page is a
shell: the first block of rows arrives as JSON from ``/ui/tables/{id}/grid/block`` and
ui/static/js/grid.js renders, scrolls and edits it. ``PAGE_ROUTES`` also gathers the UI's
other route lists (grid endpoints, view pages, the formula designer, the language switch)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.api_views import list_visible_bases, require_base, visible_table
from tessera.access.context import acting_principal
from tessera.fields import REGISTRY as FIELD_TYPES
from tessera.query import query_records
from tessera.web.automations_page import AUTOMATION_ROUTES
from tessera.web.cells import cell_text
from tessera.web.dashboards_page import DASHBOARD_ROUTES
from tessera.web.designer import DESIGNER_ROUTES
from tessera.web.grid import GRID_ROUTES
from tessera.web.rendering import render_page
from tessera.web.ui_i18n import js_messages, render_ui, set_language, ui_locale
from tessera.web.view_layouts import view_path
from tessera.web.views_pages import VIEW_PAGE_ROUTES, table_nav

__all__ = ["PAGE_ROUTES", "GRID_PAGE_SIZE", "cell_text", "field_types"]

GRID_PAGE_SIZE = 100


async def home(request: Request) -> Response:
    bases = await run_in_threadpool(list_visible_bases, request.app.state.engine)
    return render_ui(request, "pages/home.html", {"bases": bases})


def _base_context(engine: Any, base_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        base = schema.get_base(conn, base_id)
        require_base(conn, "base.read", base_id)
        return {"base": base, "tables": schema.list_tables(conn, base_id)}


async def base_page(request: Request) -> Response:
    context = await run_in_threadpool(_base_context, request.app.state.engine,
                                      request.path_params["base_id"])
    return render_ui(request, "pages/base.html", context)


def field_types(locale: str) -> list[dict[str, str]]:
    """Every registered field type with its label in ``locale`` (the designer's type list)."""
    return [{"name": name, "label": ft.label_zh if locale == "zh" else ft.label_en}
            for name, ft in sorted(FIELD_TYPES.items())]


async def table_page(request: Request) -> Response:
    engine = request.app.state.engine
    view_param = request.query_params.get("view", "")
    view_id = int(view_param) if view_param.isdigit() else None
    context = await run_in_threadpool(table_nav, engine, request.path_params["table_id"],
                                      view_id)
    locale = ui_locale(request)
    view = context["view"]
    if view is not None and view.kind != "grid":  # a kanban/calendar/form view opens there
        return RedirectResponse(view_path(request, view), status_code=303)
    state = {"filters": view.filters or None, "sorts": view.sorts or [],
             "hidden_fields": view.hidden_fields, "kind": view.kind,
             "layout": view.layout} if view else \
        {"filters": None, "sorts": [], "hidden_fields": [], "kind": "grid", "layout": {}}
    config = {
        "tableId": context["table"].id, "baseId": context["base"].id,
        "viewId": view.id if view else None, "locale": locale,
        # writable: whether the acting user's role may change the field (tessera.access)
        "fields": [{**f.to_dict(), "writable": f.id in context["writable"]}
                   for f in context["table"].fields],
        "view": state, "messages": js_messages(locale), "fieldTypes": field_types(locale),
        "personal": context["personal"],  # tessera.web.personal
        "tables": [{"id": t.id, "name": t.name} for t in context["tables"]],
    }
    return render_ui(request, "pages/table.html",
                     {**context, "active": "grid",
                      "config": json.dumps(config, ensure_ascii=False)})


def _rows(engine: Any, table_id: int, cursor: str | None) -> dict[str, Any]:
    with engine.begin() as conn:
        table = visible_table(conn, acting_principal(), table_id)
        page = query_records(conn, table_id, limit=GRID_PAGE_SIZE, cursor=cursor, key="id",
                             with_total=False)
        rows = [(r["id"], [cell_text(r["fields"][str(f.id)]) for f in table.fields])
                for r in page.rows]
        return {"table": table, "page": page, "rows": rows}


async def table_rows(request: Request) -> Response:
    """Plain HTML rows with a keyset "load more" (htmx): the grid without JavaScript."""
    context = await run_in_threadpool(_rows, request.app.state.engine,
                                      request.path_params["table_id"],
                                      request.query_params.get("cursor") or None)
    return render_page(request, "partials/_rows.html", context)


PAGE_ROUTES = [
    Route("/", home, name="home"),
    Route("/bases/{base_id:int}", base_page, name="base"),
    Route("/tables/{table_id:int}", table_page, name="table"),
    Route("/tables/{table_id:int}/rows", table_rows, name="table_rows"),
    Route("/ui/lang/{lang}", set_language, name="set_language"),
    *GRID_ROUTES,
    *DESIGNER_ROUTES,
    *VIEW_PAGE_ROUTES,
    *DASHBOARD_ROUTES,
    *AUTOMATION_ROUTES,
]
