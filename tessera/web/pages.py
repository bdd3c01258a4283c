"""HTML pages: home (bases), a base (its tables) and a table (a server-rendered grid of the
first rows with keyset "load more" through htmx). Thin adapters over the storage API."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.query import query_records
from tessera.web.rendering import render_page

__all__ = ["PAGE_ROUTES", "GRID_PAGE_SIZE", "cell_text"]

GRID_PAGE_SIZE = 100


async def home(request: Request) -> Response:
    bases = await run_in_threadpool(schema.list_bases, request.app.state.engine)
    return render_page(request, "pages/home.html", {"bases": bases})


def _base_context(engine: Any, base_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        return {"base": schema.get_base(conn, base_id),
                "tables": schema.list_tables(conn, base_id)}


async def base_page(request: Request) -> Response:
    context = await run_in_threadpool(_base_context, request.app.state.engine,
                                      request.path_params["base_id"])
    return render_page(request, "pages/base.html", context)


def _grid(engine: Any, table_id: int, cursor: str | None) -> dict[str, Any]:
    with engine.begin() as conn:
        table = schema.get_table(conn, table_id)
        page = query_records(conn, table_id, limit=GRID_PAGE_SIZE, cursor=cursor, key="id",
                             with_total=cursor is None)
        rows = [(r["id"], [cell_text(r["fields"][str(f.id)]) for f in table.fields])
                for r in page.rows]
        base = schema.get_base(conn, table.base_id)
        return {"table": table, "base": base, "page": page, "rows": rows}


def cell_text(value: Any) -> str:
    """An API value as grid text: empty for None, ✓ for true, lists joined by commas."""
    if value is None or value is False:
        return ""
    if value is True:
        return "✓"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(cell_text(v) for v in value)
    return str(value)


async def table_page(request: Request) -> Response:
    context = await run_in_threadpool(_grid, request.app.state.engine,
                                      request.path_params["table_id"], None)
    return render_page(request, "pages/table.html", context)


async def table_rows(request: Request) -> Response:
    """The htmx partial: the next rows plus a new "load more" row when more remain."""
    context = await run_in_threadpool(_grid, request.app.state.engine,
                                      request.path_params["table_id"],
                                      request.query_params.get("cursor") or None)
    return render_page(request, "partials/_rows.html", context)


PAGE_ROUTES = [
    Route("/", home, name="home"),
    Route("/bases/{base_id:int}", base_page, name="base"),
    Route("/tables/{table_id:int}", table_page, name="table"),
    Route("/tables/{table_id:int}/rows", table_rows, name="table_rows"),
]
