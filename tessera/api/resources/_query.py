"""Shared by record listings: a filter or sort naming a field the table lacks is a bad
request (400) about that parameter, not a missing resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tessera.api.validation import RequestValidationError
from tessera.errors import NotFoundError

__all__ = ["query_params_errors"]


@contextmanager
def query_params_errors(query: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except NotFoundError as exc:
        if exc.details.get("kind") != "field":
            raise
        ref = exc.details.get("id")
        where = next((n for n in ("filter", "sort") if _mentions(query.get(n), ref)), "filter")
        raise RequestValidationError(
            f"query.{where} names the field {ref!r}, which this table does not have; use a "
            "field name or id from GET /api/v1/tables/{table_id}/fields.",
            f"查询参数 {where} 中的字段 {ref!r} 不存在；请使用 GET /api/v1/tables/{{table_id}}/fields "
            "列出的字段名称或 id。",
            details={"errors": [{"location": f"query.{where}", "problem": "unknown field",
                                 "value": ref}]}) from None


def _mentions(spec: Any, ref: Any) -> bool:
    if isinstance(spec, dict):
        return spec.get("field") == ref or any(_mentions(v, ref) for v in spec.values())
    if isinstance(spec, list):
        return any(_mentions(v, ref) for v in spec)
    return False
