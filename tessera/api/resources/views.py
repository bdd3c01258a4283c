"""Views: list (per table), create, get, update, delete, and records through a view."""

from __future__ import annotations

from typing import Any

from tessera import schema_ops as schema
from tessera import trash
from tessera.access.api_views import principal_of
from tessera.api.resources._query import query_params_errors
from tessera.api.spec import Call
from tessera.query import query_view


def list_views(call: Call) -> list[dict[str, Any]]:
    with call.engine.begin() as conn:
        schema.get_table(conn, call.path["table_id"])
        return [v.to_dict() for v in schema.list_views(conn, call.path["table_id"])]


def create_view(call: Call) -> dict[str, Any]:
    body = call.body
    return schema.create_view(call.engine, call.path["table_id"], body["name"],
                              filters=body.get("filters"), sorts=body.get("sorts"),
                              hidden_fields=body.get("hidden_fields"),
                              kind=body.get("kind", "grid"), layout=body.get("layout")).to_dict()


def get_view(call: Call) -> dict[str, Any]:
    return schema.get_view(call.engine, call.path["view_id"]).to_dict()


def update_view(call: Call) -> dict[str, Any]:
    changes = {k: call.body[k] for k in ("name", "filters", "sorts", "hidden_fields", "kind",
                                         "layout") if k in call.body}
    if "filters" in changes and changes["filters"] is None:
        changes["filters"] = {}  # JSON null clears the filters (storage: {} clears, None keeps)
    return schema.update_view(call.engine, call.path["view_id"], **changes).to_dict()


def delete_view(call: Call) -> None:
    trash.delete_view(call.engine, call.path["view_id"], principal=call.principal)


def list_view_records(call: Call) -> dict[str, Any]:
    q = call.query
    with query_params_errors(q):
        page = query_view(call.engine, call.path["view_id"], limit=q.get("limit", 100),
                          cursor=q.get("cursor"), key=q.get("key", "name"),
                          extra_filter=q.get("filter"), principal=principal_of(call))
    return page.to_dict()
