"""Tables: list (per base), create, get, rename, delete."""

from __future__ import annotations

from typing import Any

from tessera import schema_ops as schema
from tessera import trash
from tessera.access.api_views import principal_of, visible_table
from tessera.api.spec import Call


def list_tables(call: Call) -> list[dict[str, Any]]:
    with call.engine.begin() as conn:
        schema.get_base(conn, call.path["base_id"])
        return [visible_table(conn, principal_of(call), t).to_dict()
                for t in schema.list_tables(conn, call.path["base_id"])]


def create_table(call: Call) -> dict[str, Any]:
    body = call.body
    fields = [schema.FieldSpec(f["name"], f["type"], f.get("options"))
              for f in body.get("fields", [])]
    table = schema.create_table(call.engine, call.path["base_id"], body["name"],
                                primary_field=body.get("primary_field", "Name"), fields=fields)
    return table.to_dict()


def get_table(call: Call) -> dict[str, Any]:
    return visible_table(call.engine, principal_of(call), call.path["table_id"]).to_dict()


def rename_table(call: Call) -> dict[str, Any]:
    return schema.rename_table(call.engine, call.path["table_id"], call.body["name"]).to_dict()


def delete_table(call: Call) -> None:
    trash.delete_table(call.engine, call.path["table_id"], principal=call.principal)
