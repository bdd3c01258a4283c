"""The automations page of a base: list, create and edit (trigger, condition, actions),
enable with or without backfill, disable, dry-run on a record and the run history with each
step's log. The page is a shell; ui/static/js/automations.js talks to the workflow REST API
(tessera/api/workflow_routes.py), so the browser does exactly what an API client can."""

from __future__ import annotations

import json
from typing import Any

from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.api_views import require_base
from tessera.web.ui_i18n import threaded_page

__all__ = ["AUTOMATION_ROUTES", "automation_catalog"]


def automation_catalog(locale: str) -> dict[str, list[dict[str, Any]]]:
    """Trigger and action types from the workflow registries, labelled in ``locale``."""
    from tessera.workflow import ACTIONS, TRIGGERS

    def label(spec: Any) -> str:
        return spec.label_zh if locale == "zh" else spec.label_en

    return {"triggers": [{"name": s.name, "label": label(s), "kind": s.kind,
                          "needs_table": s.needs_table} for s in TRIGGERS.values()],
            "actions": [{"name": s.name, "label": label(s)} for s in ACTIONS.values()]}


def _context(engine: Any, base_id: int, locale: str) -> dict[str, Any]:
    with engine.begin() as conn:
        base = schema.get_base(conn, base_id)
        require_base(conn, "automations.read", base_id)  # tessera.access: schema admins
        tables = [{"id": t.id, "name": t.name} for t in schema.list_tables(conn, base_id)]
    config = {"baseId": base_id, "locale": locale, "tables": tables,
              **automation_catalog(locale)}
    return {"base": base, "config": json.dumps(config, ensure_ascii=False)}


AUTOMATION_ROUTES = [
    Route("/bases/{base_id:int}/automations",
          threaded_page("pages/automations.html", _context, "base_id"), name="automations"),
]
