"""The other ways to look at a table: kanban (cards stacked by a single select, dragged
between stacks by ui/static/js/kanban.js), calendar (records on a month by a date field), an
intake form with validation, and a record page with its history and linked records.

All reads go through the storage API (query_records, RecordService), so filters, formulas
and history behave exactly as in the grid and the REST API."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.api_views import require_record
from tessera.access.context import acting_principal
from tessera.access.roles import role_allows
from tessera.access.scope import table_scope, writable_fields
from tessera.errors import RecordValidationError
from tessera.query import query_records
from tessera.records import RecordService
from tessera.schema.catalog import FieldInfo, TableInfo, ViewInfo
from tessera.web.comments import add_comment, list_comments
from tessera.web.grid import group_counts, link_labels
from tessera.web.personal import PERSONAL_ROUTES, load_settings
from tessera.web.public_forms import PUBLIC_FORM_ROUTES, SHARE_ROUTES, links_of
from tessera.web.ui_i18n import render_ui, ui_locale
from tessera.web.view_layouts import layout_field, layout_fields, save_button, with_view_filter

__all__ = ["VIEW_PAGE_ROUTES", "table_nav", "form_fields", "form_values", "month_grid"]

KANBAN_CARDS = 100
CALENDAR_LIMIT = 1000
FORM_TYPES = ("text", "long_text", "email", "phone", "url", "number", "currency", "percent",
              "checkbox", "date", "datetime", "single_select", "multi_select")


def table_nav(engine: Any, table_id: int, view_id: int | None = None) -> dict[str, Any]:
    """Base, table, sibling tables, the table's views and the chosen view (the sidebar), the
    acting user's personal grid settings for it (tessera.web.personal) and the ids of the
    fields their role may change (``writable``: the grid and kanban lock the others), and whether
    it may add rows or design fields (``can_add_rows``, ``can_design``)."""
    principal = acting_principal()
    with engine.begin() as conn:
        # the acting user's view of the table: 403 without a role, hidden fields left out
        scope = table_scope(conn, principal, table_id, "base.read")
        table = scope.table
        views = schema.list_views(conn, table_id)
        view = next((v for v in views if v.id == view_id), None)
        return {"base": schema.get_base(conn, table.base_id), "table": table,
                "writable": writable_fields(conn, principal, table_id),
                # the toolbar disables what the role may not do (the server refuses it anyway)
                "can_add_rows": role_allows(scope.role, "records.write"),
                "can_design": role_allows(scope.role, "schema.write"),
                "tables": schema.list_tables(conn, table.base_id), "views": views,
                "view": view, "personal": load_settings(conn, principal.user_id, table_id,
                                                        view.id if view else None)}


def _pick(table: TableInfo, types: tuple[str, ...], wanted: str | None) -> FieldInfo | None:
    candidates = [f for f in table.fields if f.type in types]
    return next((f for f in candidates if str(f.id) == wanted), candidates[0] if candidates else None)


# --- kanban ------------------------------------------------------------------------------
def _stack(table: TableInfo, layout: dict[str, Any], wanted: str | None) -> FieldInfo | None:
    """``?field=`` first, then the view's stack field, then its first group_by field (any
    groupable field, e.g. a text formula: stacks by its values), then the first select."""
    grouped = layout_fields(table, layout.get("group_by", [])[:1])
    if wanted is None:
        saved = layout_field(table, layout, "stack_field")
        if saved is not None:
            return saved
        if grouped:
            return grouped[0]
    elif grouped and str(grouped[0].id) == wanted:  # picked again from the stack menu
        return grouped[0]
    return _pick(table, ("single_select",), wanted)


def _stack_values(engine: Any, table_id: int, stack: FieldInfo, where: Any) -> list[Any]:
    if stack.type == "single_select":
        return [c["label"] for c in stack.options.get("choices", [])]
    groups = group_counts(engine, table_id, stack.id, filter=where)
    return [g["value"] for g in groups if g["value"] is not None]


def _kanban(engine: Any, table_id: int, wanted: str | None, view_id: int | None
            ) -> dict[str, Any]:
    context = table_nav(engine, table_id, view_id)
    table, view = context["table"], context["view"]
    layout = dict(view.layout) if view is not None else {}
    stack = _stack(table, layout, wanted)
    where = with_view_filter(view, None)
    columns = []
    if stack is not None:
        for label in [*_stack_values(engine, table_id, stack, where), None]:
            spec = ({"field": stack.id, "op": "=", "value": label} if label is not None
                    else {"field": stack.id, "op": "is_empty"})
            page = query_records(engine, table_id, filter=with_view_filter(view, spec),
                                 sort=view.sorts if view and view.sorts else None,
                                 limit=KANBAN_CARDS, key="id")
            columns.append({"label": label, "total": page.total, "cards": page.rows})
    primary = table.primary_field
    # the view's card fields, or the first three besides the stack and the primary field
    chosen = [f for f in layout_fields(table, layout.get("fields"))
              if f is not stack and f is not primary]
    shown = chosen or [f for f in table.fields if f is not stack and f is not primary][:3]
    selects = [f for f in table.fields if f.type == "single_select"]
    if stack is not None and stack not in selects:
        selects.append(stack)
    if stack is not None and stack.type == "single_select":
        layout["stack_field"] = stack.id
    elif stack is not None:
        layout.pop("stack_field", None)
        layout["group_by"] = [stack.id, *[g for g in layout.get("group_by", [])
                                          if g != stack.id]]
    return {**context, "active": "kanban", "stack": stack, "columns": columns,
            "primary": primary, "shown": shown, "selects": selects,
            "draggable": stack is not None and stack.type == "single_select"
            and stack.id in context["writable"],
            "save": save_button(view, "kanban", layout)}


def _view_id(request: Request) -> int | None:
    raw = request.query_params.get("view", "")
    return int(raw) if raw.isdigit() else None


async def kanban_page(request: Request) -> Response:
    context = await run_in_threadpool(_kanban, request.app.state.engine,
                                      request.path_params["table_id"],
                                      request.query_params.get("field"), _view_id(request))
    return render_ui(request, "pages/kanban.html", context)


# --- calendar ----------------------------------------------------------------------------
def month_grid(year: int, month: int) -> list[list[dt.date | None]]:
    """Weeks (Monday first) of the month; days outside it are None."""
    return [[d if d.month == month else None for d in week]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)]


def _month(raw: str | None) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in (raw or "").split("-"))
        dt.date(year, month, 1)
        return year, month
    except ValueError:
        today = dt.date.today()
        return today.year, today.month


def _calendar(engine: Any, table_id: int, wanted: str | None, raw_month: str | None,
              view_id: int | None = None) -> dict[str, Any]:
    context = table_nav(engine, table_id, view_id)
    table, view = context["table"], context["view"]
    layout = dict(view.layout) if view is not None else {}
    saved = layout_field(table, layout, "date_field") if wanted is None else None
    field = saved or _pick(table, ("date", "datetime"), wanted)
    year, month = _month(raw_month)
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    by_day: dict[str, list[dict[str, Any]]] = {}
    if field is not None:
        layout["date_field"] = field.id
        page = query_records(engine, table_id, key="id", limit=CALENDAR_LIMIT,
                             filter=with_view_filter(view, {
                                 "field": field.id, "op": "between",
                                 "value": [first.isoformat(), last.isoformat()]}),
                             sort=[{"field": field.id}])
        for row in page.rows:
            day = str(row["fields"][str(field.id)])[:10]
            by_day.setdefault(day, []).append(row)
    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return {**context, "active": "calendar", "field": field, "weeks": month_grid(year, month), "by_day": by_day,
            "month_label": f"{year}-{month:02d}", "primary": table.primary_field,
            "prev_month": f"{previous.year}-{previous.month:02d}",
            "next_month": f"{following.year}-{following.month:02d}",
            "date_fields": [f for f in table.fields if f.type in ("date", "datetime")],
            "save": save_button(view, "calendar", layout)}


async def calendar_page(request: Request) -> Response:
    context = await run_in_threadpool(_calendar, request.app.state.engine,
                                      request.path_params["table_id"],
                                      request.query_params.get("field"),
                                      request.query_params.get("month"), _view_id(request))
    return render_ui(request, "pages/calendar.html", context)


# --- form --------------------------------------------------------------------------------
def form_fields(table: TableInfo, view: ViewInfo | None = None) -> list[FieldInfo]:
    """Fields a person can fill in on the intake form (writable, one value per input); a
    saved form view's ``fields`` choose them and their order."""
    chosen = layout_fields(table, view.layout.get("fields")) if view is not None else []
    return [f for f in chosen or table.fields if f.type in FORM_TYPES]


def form_values(fields: list[FieldInfo], form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        key = f"f_{f.id}"
        if f.type == "checkbox":
            values[key] = key in form
        elif f.type == "multi_select":
            chosen = form.getlist(key)
            values[key] = chosen or None
        else:
            raw = (form.get(key) or "").strip()
            values[key] = raw if raw else None
    return values


def _may_share(engine: Any, table_id: int) -> bool:
    from tessera.access.errors import ForbiddenError

    with engine.connect() as conn:
        try:
            table_scope(conn, acting_principal(), table_id, "schema.write")
        except ForbiddenError:
            return False
    return acting_principal().user_id is not None


async def form_page(request: Request) -> Response:
    engine = request.app.state.engine
    table_id = request.path_params["table_id"]
    view_id = _view_id(request)
    context = await run_in_threadpool(table_nav, engine, table_id, view_id)
    table, view = context["table"], context["view"]
    fields = form_fields(table, view)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        values = form_values(fields, await request.form())
        service = RecordService(engine, locale=ui_locale(request))
        try:
            await run_in_threadpool(service.create, table_id, values)
        except RecordValidationError as exc:
            zh = ui_locale(request) == "zh"
            for error in exc.errors:
                field = table.field(error.field)
                errors[f"f_{field.id}"] = error.message_zh if zh else error.message_en
            status = 422
        else:
            return RedirectResponse(request.url_for("table_form", table_id=table_id).path
                                    + "?sent=1" + (f"&view={view.id}" if view else ""),
                                    status_code=303)
    layout = {**(view.layout if view else {}), "fields": [f.id for f in fields]}
    # the public links only for those who may make them: anyone holding one can submit as
    # the link's owner, so a viewer must not see them
    may_share = await run_in_threadpool(_may_share, engine, table_id)
    links = await run_in_threadpool(links_of, engine, table_id, view.id if view else None) \
        if may_share else []
    return render_ui(request, "pages/form.html",
                     {**context, "active": "form", "fields": fields, "errors": errors,
                      "links": links, "may_share": may_share,
                      "values": values, "sent": request.query_params.get("sent") == "1",
                      "save": save_button(view, "form", layout)},
                     status_code=status)


# --- record page -------------------------------------------------------------------------
def _record(engine: Any, table_id: int, record_id: int, locale: str) -> dict[str, Any]:
    context = table_nav(engine, table_id)
    service = RecordService(engine, locale=locale)
    record = service.get(table_id, record_id, key="id")
    with engine.begin() as conn:
        labels = link_labels(conn, context["table"], [record])
    history = [e.to_dict() for e in service.history(table_id, record_id)]
    return {**context, "active": "record", "record": record, "labels": labels, "history": history,
            "comments": list_comments(engine, table_id, record_id)}


async def record_page(request: Request) -> Response:
    context = await run_in_threadpool(_record, request.app.state.engine,
                                      request.path_params["table_id"],
                                      request.path_params["record_id"], ui_locale(request))
    return render_ui(request, "pages/record.html", context)


async def comment_endpoint(request: Request) -> Response:
    """``POST /tables/{id}/records/{rid}/comments`` (form ``body``): add, back to the page."""
    from tessera.access.context import acting_principal

    table_id, record_id = request.path_params["table_id"], request.path_params["record_id"]
    # commenters and up, on records within their row rule (tessera.access)
    await run_in_threadpool(require_record, request.app.state.engine, "records.comment",
                            table_id, record_id)
    form = await request.form()
    await run_in_threadpool(add_comment, request.app.state.engine, table_id, record_id,
                            acting_principal().username, str(form.get("body") or ""))
    return RedirectResponse(request.url_for("record_page", table_id=table_id,
                                            record_id=record_id).path + "#comments",
                            status_code=303)


async def import_page(request: Request) -> Response:
    context = await run_in_threadpool(table_nav, request.app.state.engine,
                                      request.path_params["table_id"])
    return render_ui(request, "pages/import.html", {**context, "active": "import"})


VIEW_PAGE_ROUTES = [
    Route("/tables/{table_id:int}/import", import_page, name="table_import"),
    Route("/tables/{table_id:int}/kanban", kanban_page, name="table_kanban"),
    Route("/tables/{table_id:int}/calendar", calendar_page, name="table_calendar"),
    Route("/tables/{table_id:int}/form", form_page, methods=["GET", "POST"], name="table_form"),
    Route("/tables/{table_id:int}/records/{record_id:int}", record_page, name="record_page"),
    Route("/tables/{table_id:int}/records/{record_id:int}/comments", comment_endpoint,
          methods=["POST"], name="record_comments"),
    *PERSONAL_ROUTES,
    *PUBLIC_FORM_ROUTES,
    *SHARE_ROUTES,
]
