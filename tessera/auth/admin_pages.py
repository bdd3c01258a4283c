"""Administrators' pages: the audit log (/admin/audit) and the trash (/admin/trash)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera import trash
from tessera.auth import audit
from tessera.auth.errors import AuthInputError, Forbidden
from tessera.auth.pages import render_auth
from tessera.auth.principal import Principal
from tessera.auth.request import current_principal

__all__ = ["ADMIN_PAGE_ROUTES", "require_admin", "parse_date"]


def require_admin(request: Request) -> Principal:
    principal = current_principal(request)
    if not principal.is_admin:
        raise Forbidden("the administration pages", "管理页面")
    return principal


def parse_date(text: str | None, name: str) -> datetime | None:
    """'YYYY-MM-DD' (or a full ISO timestamp) as a UTC datetime; empty is None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AuthInputError(f"{name} {text!r} is not a date; use YYYY-MM-DD.",
                             f"{name} {text!r} 不是日期；请使用 YYYY-MM-DD 格式。",
                             details={"parameter": name}) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def audit_page(request: Request) -> Response:
    require_admin(request)
    q = request.query_params
    filters: dict[str, Any] = {
        "username": q.get("user") or None, "action": q.get("action") or None,
        "since": parse_date(q.get("since"), "since"), "until": parse_date(q.get("until"), "until"),
    }
    page = await run_in_threadpool(lambda: audit.list_entries(
        request.app.state.engine, cursor=q.get("cursor") or None, limit=100, **filters))
    return render_auth(request, "auth/audit.html", {
        "entries": page.entries, "next_cursor": page.next_cursor,
        "query": {k: q.get(k, "") for k in ("user", "action", "since", "until")}})


async def trash_page(request: Request) -> Response:
    require_admin(request)
    items = await run_in_threadpool(trash.list_items, request.app.state.engine)
    return render_auth(request, "auth/trash.html", {"items": items})


def _trash_action(request: Request, principal: Principal, item_id: int, restore: bool) -> None:
    engine = request.app.state.engine
    if restore:
        trash.restore(engine, item_id, principal=principal)
    else:
        trash.purge(engine, item_id, principal=principal)


async def trash_restore(request: Request) -> Response:
    principal = require_admin(request)
    await run_in_threadpool(_trash_action, request, principal, request.path_params["item_id"],
                            True)
    return RedirectResponse("/admin/trash", status_code=303)


async def trash_purge(request: Request) -> Response:
    principal = require_admin(request)
    await run_in_threadpool(_trash_action, request, principal, request.path_params["item_id"],
                            False)
    return RedirectResponse("/admin/trash", status_code=303)


ADMIN_PAGE_ROUTES = [
    Route("/admin/audit", audit_page, name="admin_audit"),
    Route("/admin/trash", trash_page, name="admin_trash"),
    Route("/admin/trash/{item_id:int}/restore", trash_restore, methods=["POST"],
          name="admin_trash_restore"),
    Route("/admin/trash/{item_id:int}/purge", trash_purge, methods=["POST"],
          name="admin_trash_purge"),
]
