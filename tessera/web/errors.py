"""The one error path: every failure becomes {"error": {"code", "message", "details"}}
(JSON under /api/, an HTML page elsewhere), in the request's language."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tessera.errors import TesseraError
from tessera.formula.errors import FormulaError
from tessera.web.i18n import request_locale
from tessera.web.rendering import render_page
from tessera.web.responses import json_response

__all__ = ["EXCEPTION_HANDLERS", "error_body"]

log = logging.getLogger("tessera.web")

_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "No such page or endpoint; check the URL (the API is under /api/v1).",
          "找不到该页面或接口，请检查网址（API 位于 /api/v1 下）。"),
    405: ("method_not_allowed", "This method is not allowed here; see /api/v1/openapi.json.",
          "此处不允许该请求方法，请参阅 /api/v1/openapi.json。"),
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _render(request: Request, status: int, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> Response:
    wants_html = not request.url.path.startswith("/api/") and \
        "text/html" in request.headers.get("accept", "")
    response: Response = json_response(body, status_code=status)
    if wants_html:
        try:
            response = render_page(request, "errors/error.html",
                                   {"status": status, "error": body["error"]},
                                   status_code=status)
        except Exception:  # the error page itself failed: the JSON body still says why
            log.exception("could not render the error page")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def tessera_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TesseraError)
    return _render(request, exc.http_status, {"error": exc.to_dict(request_locale(request))})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, en, zh = _HTTP_MESSAGES.get(
        exc.status_code, ("http_" + str(exc.status_code), str(exc.detail), str(exc.detail)))
    message = zh if request_locale(request) == "zh" else en
    return _render(request, exc.status_code, error_body(code, message), dict(exc.headers or {}))


async def integrity_error(request: Request, exc: Exception) -> Response:
    log.info("conflict: %s", exc)
    zh = request_locale(request) == "zh"
    message = ("该修改与现有数据冲突（例如重复的值或已删除的引用），请刷新后重试。" if zh else
               "The change conflicts with existing data (a duplicate value or a reference "
               "to something deleted); reload and try again.")
    return _render(request, 409, error_body("conflict", message))


async def overflow_error(request: Request, exc: Exception) -> Response:
    """Drivers raise OverflowError (SQLite) or DataError (PostgreSQL: numeric value out of
    range) for numbers from the request beyond 64 bits."""
    log.info("value out of range: %s", exc)
    zh = request_locale(request) == "zh"
    message = ("请求中的某个值无法存储（例如数字超过 2^63−1），请检查后重新发送。" if zh else
               "A value in the request cannot be stored (for example a number beyond "
               "2^63−1); check the values and send them again.")
    return _render(request, 400, error_body("value_out_of_range", message))


async def formula_error(request: Request, exc: Exception) -> Response:
    """A formula that does not check (sent as a field's options, a filter, a rule): 400 with
    the position, so a client can underline the exact spot."""
    assert isinstance(exc, FormulaError)
    zh = request_locale(request) == "zh"
    message = exc.message_for("zh-CN" if zh else "en")
    return _render(request, 400, error_body("formula_error", message, exc.to_dict()))


async def busy_error(request: Request, exc: Exception) -> Response:
    """SQLite answers "database is locked" when another writer held it past busy_timeout:
    the request changed nothing, so the client may simply send it again."""
    text = str(exc).lower()
    if "parser stack overflow" in text or "expression tree is too large" in text:
        zh = request_locale(request) == "zh"
        message = ("公式嵌套层数过多，SQLite 无法执行；请把部分计算拆到单独的公式字段中。" if zh else
                   "The formula is nested too deeply for SQLite to run; move part of it into a "
                   "formula field of its own and refer to that field.")
        return _render(request, 400, error_body("formula_too_complex", message))
    if "locked" not in text and "busy" not in text:
        return await internal_error(request, exc)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    zh = request_locale(request) == "zh"
    message = ("数据库正忙（另一项写入尚未完成），未做任何修改，请稍后重试。" if zh else
               "The database is busy with another write; nothing was changed. "
               "Try again in a moment.")
    return _render(request, 503, error_body("database_busy", message), {"retry-after": "1"})


async def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    zh = request_locale(request) == "zh"
    message = ("服务器内部错误，这是一个缺陷，请报告。" if zh else
               "Internal server error; this is a bug, please report it.")
    return _render(request, 500, error_body("internal_error", message,
                                            {"status": HTTPStatus(500).phrase}))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    TesseraError: tessera_error,
    HTTPException: http_error,
    sqlalchemy.exc.IntegrityError: integrity_error,
    OverflowError: overflow_error,
    sqlalchemy.exc.DataError: overflow_error,
    sqlalchemy.exc.OperationalError: busy_error,
    FormulaError: formula_error,
    Exception: internal_error,
}
