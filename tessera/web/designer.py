"""The formula editor's endpoints: the function list for autocomplete (signature and
description in the user's language) and a live analysis of the text being typed — tokens for
highlighting, every error at its exact position, and results on the table's first rows
computed exactly as the saved field would be (tessera.compute.preview)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.access.context import acting_principal
from tessera.access.scope import table_scope
from tessera.api.validation import RequestValidationError, parse_json_body
from tessera.compute.preview import preview_formula
from tessera.compute.schema_adapter import table_schema
from tessera.formula.errors import FormulaError
from tessera.formula.registry import all_functions
from tessera.formula.tooling import analyze
from tessera.schema.catalog import get_table, transaction
from tessera.web.responses import json_response
from tessera.web.ui_i18n import ui_locale

__all__ = ["DESIGNER_ROUTES", "function_catalog", "analyze_formula"]

PREVIEW_ROWS = 5


def function_catalog(locale: str) -> list[dict[str, str]]:
    return [{"name": f.name, "category": f.category, "signature": f.signature_for(locale),
             "description": f.description_for(locale)} for f in all_functions()]


def _error(exc: FormulaError, locale: str) -> dict[str, Any]:
    return {**exc.to_dict(), "message": exc.message_for("zh" if locale == "zh" else "en")}


def analyze_formula(bind: Any, table_id: int, source: str, locale: str) -> dict[str, Any]:
    """Tokens, field names, result type, localized errors and, when it checks, a preview."""
    with transaction(bind) as conn:
        table = get_table(conn, table_id)
        # designing formulas (and previewing them on real rows) is schema work (tessera.access)
        table_scope(conn, acting_principal(), table, "schema.write")
        analysis = analyze(source, table_schema(conn, table, by="name"))
        fields = [f.name for f in table.fields]
    result = analysis.to_dict()
    result["errors"] = [_error(e, locale) for e in analysis.errors]
    result["preview"] = []
    if not analysis.errors and source.strip():
        try:
            preview = preview_formula(bind, table_id, source, limit=PREVIEW_ROWS)
        except FormulaError as exc:
            result["errors"] = [_error(exc, locale)]
        else:
            result["result_type"] = preview.result_type
            result["preview"] = [r.to_dict() for r in preview.rows]
    result["table_fields"] = fields
    return result


async def functions_endpoint(request: Request) -> Response:
    return json_response({"functions": function_catalog(ui_locale(request))})


async def analyze_endpoint(request: Request) -> Response:
    body = parse_json_body(await request.body())
    source = body.get("formula") if isinstance(body, dict) else None
    if not isinstance(source, str):
        raise RequestValidationError("body.formula must be the formula text (a string).",
                                     "body.formula 必须是公式文本（字符串）。")
    result = await run_in_threadpool(analyze_formula, request.app.state.engine,
                                     request.path_params["table_id"], source,
                                     ui_locale(request))
    return json_response(result)


DESIGNER_ROUTES = [
    Route("/ui/formula/functions", functions_endpoint, name="formula_functions"),
    Route("/ui/tables/{table_id:int}/formula/analyze", analyze_endpoint, methods=["POST"],
          name="formula_analyze"),
]
