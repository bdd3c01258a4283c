"""Audit of API calls that change the schema, export data or change automations: a thin
layer over the route table (the endpoint calls ``audit_call`` after a handler succeeded),
because only the API layer knows who asked. Record writes are not listed here: their history
(tessera/history.py) already names the actor of every change."""

from __future__ import annotations

from typing import Any

from tessera.api.spec import ApiRoute, Call
from tessera.auth import audit

__all__ = ["AUDITED_OPERATIONS", "audit_call"]

# operation id → audit action
AUDITED_OPERATIONS: dict[str, str] = {
    "create_base": "schema.create_base", "rename_base": "schema.rename_base",
    "delete_base": "schema.delete_base",
    "create_table": "schema.create_table", "rename_table": "schema.rename_table",
    "delete_table": "schema.delete_table",
    "create_field": "schema.add_field", "update_field": "schema.update_field",
    "delete_field": "schema.delete_field",
    "create_view": "schema.create_view", "update_view": "schema.update_view",
    "delete_view": "schema.delete_view",
    "export_table_file": "export", "export_view_file": "export",
    "commit_import_upload": "import",
    "create_automation": "automation.create", "update_automation": "automation.update",
    "delete_automation": "automation.delete", "enable_automation": "automation.enable",
    "disable_automation": "automation.disable",
}

_BODY_KEYS = ("name", "type", "options", "format", "filters", "sorts", "hidden_fields",
              "fields", "trigger", "enabled")


def _target(call: Call, result: Any) -> str:
    for key in ("field_id", "view_id", "table_id", "base_id", "automation_id"):
        if key in call.path:
            return f"{key.removesuffix('_id')} {call.path[key]}"
    if isinstance(result, dict) and "id" in result:
        return f"id {result['id']}"
    return ""


def audit_call(route: ApiRoute, call: Call, result: Any) -> None:
    action = AUDITED_OPERATIONS.get(route.operation_id)
    if action is None:
        return
    detail: dict[str, Any] = {"path": dict(call.path)}
    if isinstance(call.body, dict):
        detail["body"] = {k: call.body[k] for k in _BODY_KEYS if k in call.body}
    if isinstance(result, dict) and "id" in result:
        detail["id"] = result["id"]
    audit.record(call.engine, call.principal, action, _target(call, result), detail)
