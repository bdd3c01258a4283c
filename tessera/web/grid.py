"""The grid's JSON endpoints (under ``/ui``): blocks of rows by position, cell writes that
return their change set (for undo/redo), group counts and the link picker's search.

Rows are read in fixed blocks of ``seek.BLOCK`` rows: block 0 is the first keyset page, any
other block starts at the cursor the position index (tessera.web.seek) holds for it, so a
jump to row 500,000 costs one index lookup plus one keyset page. Writes go through
RecordService, so history, formulas, automations and validation behave as in the API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.access.context import acting_principal
from tessera.access.scope import scope_memo, table_scope
from tessera.api.validation import RequestValidationError, parse_json_body
from tessera.query import build_filter, count_records, query_records
from tessera.records import RecordService
from tessera.schema.catalog import TableInfo, get_table, sa_table, transaction
from tessera.web import seek
from tessera.web.events import install, table_events
from tessera.web.responses import json_response
from tessera.web.ui_i18n import ui_locale

__all__ = ["GRID_ROUTES", "read_block", "link_labels", "group_counts", "search_records"]

_MAX_WRITE = 1000
_SUMMED = ("number", "currency", "percent")


def _json_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise RequestValidationError(
            f"query.{name} is not valid JSON; send it as JSON text.",
            f"查询参数 {name} 不是有效的 JSON，请以 JSON 文本发送。") from None


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        raise RequestValidationError(f"query.{name} must be a whole number, not {raw!r}.",
                                     f"查询参数 {name} 必须是整数，而不是 {raw!r}。") from None


def link_labels(conn: Any, table: TableInfo, rows: Sequence[Mapping[str, Any]]
                ) -> dict[str, dict[str, str]]:
    """For each link field: linked record id → the target's primary value (for display)."""
    labels: dict[str, dict[str, str]] = {}
    for f in table.fields:
        if f.type != "link":
            continue
        ids = sorted({i for r in rows for i in (r["fields"].get(str(f.id)) or [])})
        labels[str(f.id)] = _labels(conn, f.options.get("target_table_id"), ids)
    return labels


def _labels(conn: Any, target_id: int | None, ids: list[int]) -> dict[str, str]:
    if not ids or target_id is None:
        return {}
    target = get_table(conn, target_id)
    primary = target.primary_field
    t = sa_table(target)
    column = t.c[primary.column] if primary is not None and primary.column else t.c.id
    found = dict(conn.execute(sa.select(t.c.id, column).where(t.c.id.in_(ids))).all())
    return {str(i): "" if found.get(i) is None else str(found[i]) for i in ids}


def read_block(bind: Any, table_id: int, block: int, *, filter: Any = None,
               sort: Any = None) -> dict[str, Any]:
    """Rows ``block*BLOCK`` … ``block*BLOCK+BLOCK-1`` in the filter and sort order (one
    connection for the index lookup, the keyset page and the link labels; one access scope for
    both, tessera.access.scope.scope_memo)."""
    with scope_memo(), transaction(bind) as conn:
        if block == 0:
            page = query_records(conn, table_id, filter=filter, sort=sort, limit=seek.BLOCK,
                                 key="id", with_total=True)
            total = page.total or 0
        else:
            index = seek.position_index(conn, table_id, filter=filter, sort=sort)
            total = index.total
            cursor = index.cursor_for(block)
            if cursor is None:
                return {"block": block, "rows": [], "total": total, "labels": {}}
            page = query_records(conn, table_id, filter=filter, sort=sort, limit=seek.BLOCK,
                                 cursor=cursor, key="id", with_total=False)
        labels = link_labels(conn, get_table(conn, table_id), page.rows)
    return {"block": block, "rows": page.rows, "total": total, "labels": labels}


def group_counts(bind: Any, table_id: int, field_ref: Any, *, filter: Any = None
                 ) -> list[dict[str, Any]]:
    """[{value, count, sums}] for a groupable field, in the grid's group order (empty
    last); ``sums`` are the subtotals of the table's number, currency and percent fields."""
    with transaction(bind) as conn:
        scope = table_scope(conn, acting_principal(), table_id, "records.read")
        table = scope.table  # the acting user's fields and rows (tessera.access)
        field = table.field(field_ref)
        if field.column is None or not field.field_type.sortable:
            raise RequestValidationError(
                f"Field {field.name!r} ({field.type}) cannot be grouped; pick a field that "
                "holds one value per record.",
                f"字段「{field.name}」（{field.type}）不能分组，请选择每条记录只有一个值的字段。")
        t = sa_table(table)
        col = t.c[field.column]
        where = scope.restrict(conn, t, build_filter(table, filter,
                                                     dialect=conn.dialect.name, t=t))
        summed = [f for f in table.fields if f.type in _SUMMED and f.column]
        rows = conn.execute(sa.select(col, sa.func.count(),
                                      *[sa.func.sum(t.c[f.column]) for f in summed])
                            .where(where).group_by(col).order_by(col.asc().nulls_last())).all()
        to_json = field.field_type.to_json
        return [{"value": to_json(r[0], field), "count": r[1],
                 "sums": {str(f.id): None if v is None else float(v)
                          for f, v in zip(summed, r[2:], strict=True)}} for r in rows]


def search_records(bind: Any, table_id: int, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Records whose primary value contains ``text`` (the link picker), as {id, label}."""
    with transaction(bind) as conn:
        scope = table_scope(conn, acting_principal(), table_id, "records.read")
        table = scope.table  # the acting user's fields and rows (tessera.access)
        primary = table.primary_field
        t = sa_table(table)
        column = t.c[primary.column] if primary is not None and primary.column else t.c.id
        query = sa.select(t.c.id, column).where(scope.restrict(conn, t, sa.true())
                                                ).order_by(t.c.id).limit(limit)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(sa.cast(column, sa.String).ilike(pattern, escape="\\"))
        return [{"id": i, "label": "" if v is None else str(v)} for i, v in conn.execute(query)]


def _records(body: Any, name: str) -> list[Any]:
    items = body.get(name) if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= _MAX_WRITE:
        raise RequestValidationError(
            f"body.{name} must be a list of 1 to {_MAX_WRITE} items.",
            f"body.{name} 必须是包含 1 到 {_MAX_WRITE} 项的列表。")
    return items


# --- endpoints ---------------------------------------------------------------------------
async def block_endpoint(request: Request) -> Response:
    install(request.app.state.engine)
    result = await run_in_threadpool(
        read_block, request.app.state.engine, request.path_params["table_id"],
        max(0, _int_param(request, "b", 0)), filter=_json_param(request, "filter"),
        sort=_json_param(request, "sort"))
    return json_response(result)


async def count_endpoint(request: Request) -> Response:
    count = await run_in_threadpool(count_records, request.app.state.engine,
                                    request.path_params["table_id"],
                                    filter=_json_param(request, "filter"))
    return json_response({"count": count})


async def groups_endpoint(request: Request) -> Response:
    result = await run_in_threadpool(group_counts, request.app.state.engine,
                                     request.path_params["table_id"],
                                     request.query_params.get("field", ""),
                                     filter=_json_param(request, "filter"))
    return json_response({"groups": result})


async def search_endpoint(request: Request) -> Response:
    result = await run_in_threadpool(search_records, request.app.state.engine,
                                     request.path_params["table_id"],
                                     request.query_params.get("q", "").strip(),
                                     min(50, max(1, _int_param(request, "limit", 20))))
    return json_response({"records": result})


async def update_endpoint(request: Request) -> Response:
    engine = request.app.state.engine
    install(engine)
    items = _records(parse_json_body(await request.body()), "records")
    table_id = request.path_params["table_id"]
    service = RecordService(engine, locale=ui_locale(request))
    updates = [(int(r["id"]), r["fields"]) for r in items]
    await run_in_threadpool(service.bulk_update, table_id, updates)
    return json_response({"change_set_id": service.last_change_set_id,
                          "ids": [rid for rid, _ in updates]})


async def create_endpoint(request: Request) -> Response:
    engine = request.app.state.engine
    install(engine)
    items = _records(parse_json_body(await request.body()), "records")
    service = RecordService(engine, locale=ui_locale(request))
    ids = await run_in_threadpool(service.bulk_create, request.path_params["table_id"],
                                  [r.get("fields", {}) for r in items])
    return json_response({"change_set_id": service.last_change_set_id, "ids": ids}, status_code=201)


async def delete_endpoint(request: Request) -> Response:
    engine = request.app.state.engine
    install(engine)
    ids = [int(i) for i in _records(parse_json_body(await request.body()), "ids")]
    service = RecordService(engine, locale=ui_locale(request))
    await run_in_threadpool(service.bulk_delete, request.path_params["table_id"], ids)
    return json_response({"change_set_id": service.last_change_set_id, "ids": ids})


async def undo_endpoint(request: Request) -> Response:
    """Undo a change set; undoing the undo's change set is redo."""
    engine = request.app.state.engine
    install(engine)
    service = RecordService(engine, locale=ui_locale(request))
    new_id = await run_in_threadpool(service.undo, request.path_params["change_set_id"])
    return json_response({"change_set_id": new_id})


_T = "/ui/tables/{table_id:int}"
GRID_ROUTES = [
    Route(_T + "/grid/block", block_endpoint, name="grid_block"),
    Route(_T + "/grid/count", count_endpoint, name="grid_count"),
    Route(_T + "/grid/groups", groups_endpoint, name="grid_groups"),
    Route(_T + "/grid/search", search_endpoint, name="grid_search"),
    Route(_T + "/grid/update", update_endpoint, methods=["POST"], name="grid_update"),
    Route(_T + "/grid/create", create_endpoint, methods=["POST"], name="grid_create"),
    Route(_T + "/grid/delete", delete_endpoint, methods=["POST"], name="grid_delete"),
    Route("/ui/change-sets/{change_set_id:int}/undo", undo_endpoint, methods=["POST"],
          name="grid_undo"),
    Route(_T + "/events", table_events, name="table_events"),
]
