"""Personal grid settings kept on the server, per user per table view.

Column widths, column order, hidden columns, frozen columns, row height and grouping that a
user picks in the grid (ui/static/js/grid.js) are saved here, so they follow the user to any
browser; the table page embeds them in its config (no extra request before the first paint).
Saved views stay shared (tessera.schema.views): a view's own layout keys still win over the
personal ones, exactly as before. Users without an account (SYSTEM) have no settings.

``GET``/``PUT /ui/tables/{id}/personal?view=N`` read and replace them (a JSON object; unknown
keys and out-of-range values are refused with a 400 that names the key)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.access.context import acting_principal
from tessera.access.scope import table_scope
from tessera.api.validation import RequestValidationError, parse_json_body
from tessera.errors import NotFoundError
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction
from tessera.web.responses import json_response
from tessera.web.ui_models import PERSONAL_SETTINGS as PS

__all__ = ["load_settings", "save_settings", "clean_settings", "PERSONAL_ROUTES",
           "ROW_HEIGHTS", "MAX_WIDTH"]

ROW_HEIGHTS = (28, 40, 64, 96)  # grid.js ROW_HEIGHTS in px
MIN_WIDTH, MAX_WIDTH = 48, 2000
MAX_FIELDS = 1000


def _refuse(key: str, en: str, zh: str) -> RequestValidationError:
    return RequestValidationError(
        f"Personal grid setting {key!r}: {en}", f"个人表格设置 {key!r}：{zh}",
        code="invalid_personal_settings", details={"location": f"body.{key}"})


def _ids(raw: Any, key: str) -> list[int]:
    if not isinstance(raw, list) or len(raw) > MAX_FIELDS or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
        raise _refuse(key, f"must be a list of at most {MAX_FIELDS} field ids.",
                      f"必须是最多 {MAX_FIELDS} 个字段 id 的列表。")
    return list(dict.fromkeys(raw))


def _widths(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        raise _refuse("widths", "must be an object of field id → width in px.",
                      "必须是“字段 id → 像素宽度”的对象。")
    out = {}
    for key, value in raw.items():
        if not str(key).isdigit() or not isinstance(value, int | float) or isinstance(value, bool) \
                or not MIN_WIDTH <= value <= MAX_WIDTH:
            raise _refuse("widths", f"{key!r} needs a width from {MIN_WIDTH} to {MAX_WIDTH} px.",
                          f"{key!r} 的宽度必须在 {MIN_WIDTH} 到 {MAX_WIDTH} 像素之间。")
        out[str(key)] = int(value)
    return out


def clean_settings(raw: Any) -> dict[str, Any]:
    """The settings to store, or a 400 naming the first bad key."""
    if not isinstance(raw, dict):
        raise _refuse("body", "send a JSON object.", "请发送 JSON 对象。")
    unknown = sorted(set(raw) - {"widths", "order", "hidden", "frozen", "rowH", "groupBy"})
    if unknown:
        raise _refuse(unknown[0], "is not a personal setting (widths, order, hidden, frozen, "
                      "rowH, groupBy).", "不是个人设置项（widths、order、hidden、frozen、rowH、groupBy）。")
    out: dict[str, Any] = {}
    if "widths" in raw:
        out["widths"] = _widths(raw["widths"])
    for key in ("order", "hidden"):
        if raw.get(key) is not None:
            out[key] = _ids(raw[key], key)
    frozen = raw.get("frozen", 0)
    if not isinstance(frozen, int) or isinstance(frozen, bool) or not 0 <= frozen <= MAX_FIELDS:
        raise _refuse("frozen", f"must be a number of columns from 0 to {MAX_FIELDS}.",
                      f"必须是 0 到 {MAX_FIELDS} 之间的列数。")
    out["frozen"] = frozen
    if raw.get("rowH") is not None:
        if raw["rowH"] not in ROW_HEIGHTS:
            raise _refuse("rowH", f"must be one of {', '.join(map(str, ROW_HEIGHTS))}.",
                          f"必须是 {'、'.join(map(str, ROW_HEIGHTS))} 之一。")
        out["rowH"] = raw["rowH"]
    group = raw.get("groupBy")
    if group is not None and not (isinstance(group, int) or str(group).isdigit()):
        raise _refuse("groupBy", "must be a field id or null.", "必须是字段 id 或 null。")
    out["groupBy"] = int(group) if group is not None else None
    return out


def _where(user_id: int, table_id: int, view_id: int | None) -> Any:
    view = PS.c.view_id.is_(None) if view_id is None else PS.c.view_id == view_id
    return sa.and_(PS.c.user_id == user_id, PS.c.table_id == table_id, view)


def load_settings(bind: Bind, user_id: int | None, table_id: int,
                  view_id: int | None) -> dict[str, Any] | None:
    """The user's settings for the table's view (None: never saved, or no user account)."""
    if user_id is None:
        return None
    with transaction(bind) as conn:
        found = conn.execute(sa.select(PS.c.settings).where(_where(user_id, table_id, view_id))
                             .order_by(PS.c.id.desc()).limit(1)).scalar()
    return dict(found) if found is not None else None


def save_settings(bind: Bind, user_id: int, table_id: int, view_id: int | None,
                  settings: dict[str, Any]) -> None:
    with transaction(bind, write=True) as conn:
        conn.execute(sa.delete(PS).where(_where(user_id, table_id, view_id)))
        conn.execute(sa.insert(PS).values(user_id=user_id, table_id=table_id, view_id=view_id,
                                          settings=settings, updated_at=utcnow()))


def _check_view(bind: Bind, table_id: int, view_id: int | None) -> None:
    """The acting user may read the table; the view (if any) is one of its views."""
    from tessera.models import View

    with transaction(bind) as conn:
        table_scope(conn, acting_principal(), table_id, "base.read")
        if view_id is not None and conn.execute(
                sa.select(View.__table__.c.id).where(View.__table__.c.id == view_id,
                                                     View.__table__.c.table_id == table_id)
        ).first() is None:
            raise NotFoundError("view", view_id)


async def personal_endpoint(request: Request) -> Response:
    engine = request.app.state.engine
    table_id = request.path_params["table_id"]
    raw_view = request.query_params.get("view", "")
    view_id = int(raw_view) if raw_view.isdigit() else None
    await run_in_threadpool(_check_view, engine, table_id, view_id)
    user_id = acting_principal().user_id
    if request.method == "PUT":
        settings = clean_settings(parse_json_body(await request.body()))
        if user_id is None:
            raise _refuse("user", "only signed-in users have personal settings.",
                          "只有登录用户才有个人设置。")
        await run_in_threadpool(save_settings, engine, user_id, table_id, view_id, settings)
        return json_response({"settings": settings})
    found = await run_in_threadpool(load_settings, engine, user_id, table_id, view_id)
    return json_response({"settings": found})


PERSONAL_ROUTES = [
    Route("/ui/tables/{table_id:int}/personal", personal_endpoint, methods=["GET", "PUT"],
          name="personal_settings"),
]
