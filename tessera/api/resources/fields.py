"""Fields: list, create, get, update (rename, options, type change), conversion preview,
delete. An update runs in one transaction: either every requested change applies or none."""

from __future__ import annotations

from typing import Any

from tessera import schema_ops as schema
from tessera import trash
from tessera.access.api_views import principal_of, visible_field, visible_table
from tessera.api.spec import Call


def list_fields(call: Call) -> list[dict[str, Any]]:
    table = visible_table(call.engine, principal_of(call), call.path["table_id"])
    return [f.to_dict() for f in table.fields]


def create_field(call: Call) -> dict[str, Any]:
    body = call.body
    return schema.add_field(call.engine, call.path["table_id"], body["name"], body["type"],
                            body.get("options")).to_dict()


def get_field(call: Call) -> dict[str, Any]:
    return visible_field(call.engine, principal_of(call), call.path["field_id"]).to_dict()


def update_field(call: Call) -> dict[str, Any]:
    field_id, body = call.path["field_id"], call.body
    conversion = None
    with call.engine.begin() as conn:
        field = schema.get_field(conn, field_id)
        if "name" in body and body["name"] != field.name:
            schema.rename_field(conn, field_id, body["name"])
        new_type = body.get("type", field.type)
        if new_type != field.type:
            report = schema.change_field_type(conn, field_id, new_type, body.get("options"))
            conversion = report.to_dict()
        elif "options" in body:
            schema.update_field_options(conn, field_id, body["options"])
        return {"field": schema.get_field(conn, field_id).to_dict(), "conversion": conversion}


def preview_field_conversion(call: Call) -> dict[str, Any]:
    report = schema.preview_type_change(call.engine, call.path["field_id"], call.body["type"],
                                        call.body.get("options"))
    return report.to_dict()


def delete_field(call: Call) -> None:
    trash.delete_field(call.engine, call.path["field_id"], principal=call.principal)
