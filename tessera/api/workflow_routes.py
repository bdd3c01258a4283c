"""REST routes of the workflow engine (automations, runs, dry runs, manual and webhook
triggers), declared with the API's route-table vocabulary and appended to ``API_ROUTES``."""

from __future__ import annotations

from typing import Any

from tessera.access.run_as import RUN_AS_SCHEMA
from tessera.api.spec import ApiRoute, Call, Param

__all__ = ["WORKFLOW_ROUTES"]

PREFIX = "/api/v1"
TAG = "automations"
AID = "/automations/{automation_id:int}"

_ACTION = {"type": "object", "required": ["type"], "properties": {
    "type": {"type": "string"}, "name": {"type": "string"}, "options": {"type": "object"},
    "retries": {"type": "integer", "minimum": 1}}}
_TRIGGER = {"type": "object", "required": ["type"], "properties": {
    "type": {"type": "string"}, "options": {"type": "object"}}}
_AUTOMATION_BODY = {"type": "object", "additionalProperties": False, "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "table_id": {"type": ["integer", "null"]}, "trigger": _TRIGGER,
    "condition": {"type": ["string", "null"]},
    "actions": {"type": "array", "items": _ACTION},
    "webhook_secret": {"type": ["string", "null"]},
    "enabled": {"type": "boolean"}, "backfill": {"type": "boolean"}, "run_as": RUN_AS_SCHEMA}}
_AUTOMATION = {"type": "object", "description": "an automation (wf_automations row)"}
_RUN = {"type": "object", "description": "a run with its steps and log"}


def _json(row: dict[str, Any], engine: Any) -> dict[str, Any]:
    from tessera.access.run_as import get_run_as
    from tessera.schema.catalog import transaction

    out = dict(row)
    out["trigger"] = {"type": out.pop("trigger_type"), "options": out.pop("trigger_options")}
    out.pop("webhook_secret", None)
    with transaction(engine) as conn:
        run_as = get_run_as(conn, row["id"])
    out["run_as"] = run_as.to_dict() if run_as is not None else None
    return out


def list_automations(call: Call) -> list[dict[str, Any]]:
    from tessera import workflow as wf

    return [_json(a, call.engine) for a in wf.list_automations(call.engine, call.path["base_id"])]


def create_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    b = call.body
    aid = wf.create_automation(
        call.engine, base_id=call.path["base_id"], name=b.get("name") or "automation",
        trigger=b["trigger"], actions=b.get("actions") or [], table_id=b.get("table_id"),
        condition=b.get("condition"), webhook_secret=b.get("webhook_secret"),
        enabled=bool(b.get("enabled")), backfill=bool(b.get("backfill")),
        actor=call.principal, run_as=b.get("run_as"))
    return _json(wf.get_automation(call.engine, aid), call.engine)


def get_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    return _json(wf.get_automation(call.engine, call.path["automation_id"]), call.engine)


def update_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    b = call.body
    return _json(wf.update_automation(call.engine, call.path["automation_id"], name=b.get("name"),
                                      trigger=b.get("trigger"), actions=b.get("actions"),
                                      condition=b.get("condition"), actor=call.principal,
                                      run_as=b.get("run_as")), call.engine)


def delete_automation(call: Call) -> None:
    from tessera import workflow as wf

    wf.delete_automation(call.engine, call.path["automation_id"])


def enable_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    wf.enable_automation(call.engine, call.path["automation_id"],
                         backfill=bool((call.body or {}).get("backfill")))
    return _json(wf.get_automation(call.engine, call.path["automation_id"]), call.engine)


def disable_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    wf.disable_automation(call.engine, call.path["automation_id"])
    return _json(wf.get_automation(call.engine, call.path["automation_id"]), call.engine)


def dry_run_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    return wf.dry_run(call.engine, call.path["automation_id"],
                      (call.body or {}).get("record_id")).to_dict()


def dry_run_draft(call: Call) -> dict[str, Any]:
    """The visual editor's dry run of an automation not saved yet (same checks as saving)."""
    from tessera.workflow.service import dry_run_draft as run

    b = call.body
    return run(call.engine, {"table_id": b.get("table_id"), "trigger": b["trigger"],
                             "condition": b.get("condition"), "actions": b.get("actions") or []},
               b.get("record_id")).to_dict()


def list_runs(call: Call) -> list[dict[str, Any]]:
    from tessera import workflow as wf

    return [r.to_dict() for r in wf.run_history(
        call.engine, call.path["automation_id"], limit=call.query.get("limit") or 50,
        record_id=call.query.get("record_id"))]


def run_automation(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    ids = wf.run_manual(call.engine, call.path["automation_id"], call.body["record_ids"],
                        user=call.body.get("user"))
    return {"run_ids": ids}


def receive_webhook(call: Call) -> dict[str, Any]:
    from tessera import workflow as wf

    run_id = wf.receive_webhook(call.engine, call.path["automation_id"], call.path["secret"],
                                call.body or {}, delivery_id=call.query.get("delivery_id"))
    return {"run_id": run_id, "duplicate": run_id is None}


def _r(method: str, path: str, handler: Any, summary: str, response: Any, **kw: Any) -> ApiRoute:
    return ApiRoute(method, PREFIX + path, handler, summary, TAG, response, **kw)


_LIST = {"type": "array", "items": _AUTOMATION}
_OBJ = {"type": "object"}

WORKFLOW_ROUTES: tuple[ApiRoute, ...] = (
    _r("GET", "/bases/{base_id:int}/automations", list_automations, "List a base's automations",
       _LIST, errors=(404,)),
    _r("POST", "/bases/{base_id:int}/automations", create_automation,
       "Create an automation (trigger, optional condition, actions)", _AUTOMATION, status=201,
       body={**_AUTOMATION_BODY, "required": ["trigger", "actions"]}, errors=(400, 404)),
    _r("GET", AID, get_automation, "Get an automation", _AUTOMATION, errors=(404,)),
    _r("PATCH", AID, update_automation, "Change an automation's name, trigger, condition or "
       "actions", _AUTOMATION, body=_AUTOMATION_BODY),
    _r("DELETE", AID, delete_automation, "Delete an automation and its run history", None,
       status=204, errors=(404,)),
    _r("POST", AID + "/enable", enable_automation,
       "Switch an automation on, with or without a backfill of records that already match",
       _AUTOMATION, body={"type": "object", "properties": {"backfill": {"type": "boolean"}}}),
    _r("POST", AID + "/disable", disable_automation, "Switch an automation off", _AUTOMATION),
    _r("POST", AID + "/dry-run", dry_run_automation,
       "What the automation would do for a record (nothing is written or sent)", _OBJ,
       body={"type": "object", "properties": {"record_id": {"type": ["integer", "null"]}}}),
    _r("POST", "/bases/{base_id:int}/automations/dry-run", dry_run_draft,
       "Dry-run an automation before saving it (nothing is written or sent)", _OBJ,
       body={"type": "object", "required": ["trigger", "actions"], "properties": {
           **_AUTOMATION_BODY["properties"], "record_id": {"type": ["integer", "null"]}}},
       errors=(400, 404)),
    _r("GET", AID + "/runs", list_runs, "Latest runs with their steps and log", {
        "type": "array", "items": _RUN},
       params=(Param("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                     "runs to return"),
               Param("record_id", {"type": "integer"}, "only runs for this record"))),
    _r("POST", AID + "/run", run_automation, "Run a button automation on selected records",
       _OBJ, status=201, body={"type": "object", "required": ["record_ids"], "properties": {
           "record_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
           "user": {"type": "string"}}}),
    _r("POST", AID + "/webhook/{secret}", receive_webhook,
       "Incoming webhook: queue a run with the JSON body as its payload", _OBJ, status=202,
       body={"type": "object"}, errors=(400, 403, 404),  # 403: wrong secret
       params=(Param("delivery_id", {"type": "string"},
                     "the caller's idempotency key: a repeated delivery queues nothing"),)),
)


def _register_policies() -> None:
    """The draft dry run reads the base's automations (tessera.access.api_policy)."""
    from tessera.access.api_policy import ROUTE_POLICY, RoutePolicy

    ROUTE_POLICY.setdefault("dry_run_draft", RoutePolicy("automations.read", "base_id"))


_register_policies()
