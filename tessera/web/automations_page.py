"""The automations page of a base: the visual editor (trigger with its options, a condition
formula checked live, actions whose forms come from each action's declared parameters), enable
with or without backfill, disable, dry-run on a chosen record before or after saving, and the
run history with each step's log. The page is a shell; ui/static/js/automations.js talks to the
workflow REST API (tessera/api/workflow_routes.py), so the browser does exactly what an API
client can. The parameter metadata (widget, labels) lives in the registries
(tessera.workflow.registry.param); this module only lists it in the user's language."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.api_views import require_base
from tessera.web.ui_i18n import threaded_page

__all__ = ["AUTOMATION_ROUTES", "automation_catalog", "option_params", "supports_run_as"]


def option_params(options_schema: Mapping[str, Any], locale: str) -> list[dict[str, Any]]:
    """The options of a trigger or action as the editor's form fields, in declaration order:
    name, JSON type, widget (None: edit by type), label, required, and enum choices."""
    required = set(options_schema.get("required", ()))
    out = []
    for name, prop in options_schema.get("properties", {}).items():
        label = prop.get("label_zh" if locale == "zh" else "label_en") or name
        item = {"name": name, "type": prop.get("type"), "widget": prop.get("widget"),
                "label": label, "required": name in required,
                "help": prop.get("description", "")}
        if "enum" in prop:
            names = prop.get("enum_zh" if locale == "zh" else "enum_en") or prop["enum"]
            if len(names) != len(prop["enum"]):
                names = prop["enum"]
            item["choices"] = [{"value": v, "label": str(n)}
                               for v, n in zip(prop["enum"], names, strict=True)]
        out.append(item)
    return out


def automation_catalog(locale: str) -> dict[str, list[dict[str, Any]]]:
    """Trigger and action types from the workflow registries, labelled in ``locale``, each with
    the form fields of its options."""
    from tessera.workflow import ACTIONS, TRIGGERS

    def label(spec: Any) -> str:
        return spec.label_zh if locale == "zh" else spec.label_en

    return {"triggers": [{"name": s.name, "label": label(s), "kind": s.kind,
                          "needs_table": s.needs_table,
                          "params": option_params(s.options_schema, locale)}
                         for s in TRIGGERS.values()],
            "actions": [{"name": s.name, "label": label(s), "control": s.control,
                         "external": s.external,
                         "params": option_params(s.options_schema, locale)}
                        for s in ACTIONS.values()]}


def supports_run_as() -> bool:
    """Whether the automation API takes a ``run_as`` user (tessera.access adds it)."""
    from tessera.api.workflow_routes import WORKFLOW_ROUTES

    return any(r.operation_id == "create_automation" and "run_as" in
               ((r.body or {}).get("properties") or {}) for r in WORKFLOW_ROUTES)


def _field(f: Any) -> dict[str, Any]:
    """What the editor's pickers need of a field: name, type, whether actions may write it
    and, for a link, its target table."""
    return {"name": f.name, "type": f.type, "computed": f.read_only,
            "target": f.options.get("target_table_id") if f.type == "link" else None}


def _member_users(engine: Any, base_id: int) -> list[dict[str, Any]]:
    """The base's members that are users: whom an automation may run as."""
    from tessera.access.members import list_members

    seen: dict[int, str] = {}
    for m in list_members(engine, base_id):
        if m.user_id is not None:
            seen.setdefault(m.user_id, m.name)
    return [{"id": uid, "name": name} for uid, name in seen.items()]


def _context(engine: Any, base_id: int, locale: str) -> dict[str, Any]:
    with engine.begin() as conn:
        base = schema.get_base(conn, base_id)
        require_base(conn, "automations.read", base_id)  # tessera.access: schema admins
        tables = [{"id": t.id, "name": t.name,
                   "primary": t.primary_field.name if t.primary_field else None,
                   "fields": [_field(f) for f in t.fields]}
                  for t in schema.list_tables(conn, base_id)]
    run_as = supports_run_as()
    config = {"baseId": base_id, "locale": locale, "tables": tables, "runAs": run_as,
              "runAsUsers": _member_users(engine, base_id) if run_as else [],
              **automation_catalog(locale)}
    return {"base": base, "config": json.dumps(config, ensure_ascii=False)}


AUTOMATION_ROUTES = [
    Route("/bases/{base_id:int}/automations",
          threaded_page("pages/automations.html", _context, "base_id"), name="automations"),
]
