"""REST endpoints of app packs (validate, install, upgrade with dry run, export) and of
dashboards, declared as ``ApiRoute`` entries (``PACK_ROUTES``) that tessera/api/routes.py
appends to its route table. A pack travels as the text of its pack.yaml (YAML or JSON) with
optional locale overlays, so the API needs no file uploads."""

from __future__ import annotations

from typing import Any

from tessera.api.spec import ApiRoute, Call

__all__ = ["PACK_ROUTES"]

PREFIX = "/api/v1"
TAG = "packs"
BASE = "/bases/{base_id:int}"

_TEXT = {"type": "string", "minLength": 1, "description": "the text of pack.yaml (YAML or JSON)"}
_LOCALES = {"type": "object", "additionalProperties": {"type": "string"},
            "description": "locale overlays: language → text of locales/<lang>.yaml"}
_ISSUE = {"type": "object", "required": ["file", "line", "column", "path", "message"],
          "properties": {"file": {"type": "string"}, "line": {"type": "integer"},
                         "column": {"type": "integer"}, "path": {"type": "string"},
                         "code": {"type": "string"}, "message": {"type": "string"},
                         "message_zh": {"type": "string"}}}
_VALIDATION = {"type": "object", "required": ["valid", "issues"], "properties": {
    "valid": {"type": "boolean"}, "issues": {"type": "array", "items": _ISSUE},
    "name": {"type": ["string", "null"]}, "version": {"type": ["string", "null"]}}}
_IDS = {"type": "object", "additionalProperties": {"type": "integer"}}
_INSTALLED = {"type": "object", "required": ["base_id", "base_name", "pack", "version", "tables"],
              "properties": {"base_id": {"type": "integer"}, "base_name": {"type": "string"},
                             "pack": {"type": "string"}, "version": {"type": "string"},
                             **{k: _IDS for k in ("tables", "fields", "views", "dashboards",
                                                  "automations")},
                             "sample": {"type": ["object", "null"]}}}
_PLAN_ITEM = {"type": "object", "required": ["kind", "key", "action"], "properties": {
    "kind": {"type": "string"}, "key": {"type": "string"},
    "action": {"enum": ["add", "update", "remove", "keep", "conflict", "skipped"]},
    "ours": {}, "theirs": {}}}
_REPORT = {"type": "object", "required": ["pack", "from_version", "to_version", "dry_run",
                                          "items", "conflicts"],
           "properties": {"pack": {"type": "string"}, "from_version": {"type": "string"},
                          "to_version": {"type": "string"}, "dry_run": {"type": "boolean"},
                          "items": {"type": "array", "items": _PLAN_ITEM},
                          "conflicts": {"type": "integer"}}}
_EXPORTED = {"type": "object", "required": ["pack", "yaml"], "properties": {
    "pack": {"type": "object"}, "yaml": {"type": "string"}}}
_DASHBOARD = {"type": "object", "required": ["id", "base_id", "name", "widgets"], "properties": {
    "id": {"type": "integer"}, "base_id": {"type": "integer"}, "name": {"type": "string"},
    "widgets": {"type": "array", "items": {"type": "object"}}, "position": {"type": "integer"}}}


def _source(call: Call) -> Any:
    from tessera.packs import load_text

    return load_text(call.body["text"], locales=call.body.get("locales") or {})


def validate_pack(call: Call) -> dict[str, Any]:
    from tessera.packs import PackValidationError, check_pack

    try:
        validated, issues = check_pack(_source(call))
    except PackValidationError as exc:  # not even YAML: still an answer, not an error
        validated, issues = None, exc.issues
    pack = validated.pack if validated else {}
    return {"valid": not issues, "issues": [i.to_dict() for i in issues],
            "name": pack.get("name"), "version": pack.get("version")}


def install_pack(call: Call) -> dict[str, Any]:
    from tessera.access.api_views import adopt_base, principal_of
    from tessera.packs import install

    b = call.body
    sample = b.get("sample")
    with call.engine.begin() as conn:  # the installer owns the new base, in the same transaction
        result = install(conn, _source(call), b["base_name"],
                         sample=(-1 if sample is True else None if sample in (None, False)
                                 else sample),
                         seed=b.get("seed"), sample_options=b.get("sample_options") or {})
        adopt_base(conn, principal_of(call), result.base_id)
    return result.to_dict()


def upgrade_pack(call: Call) -> dict[str, Any]:
    from tessera.packs.upgrade import upgrade_pack as run

    report = run(call.engine, _source(call), call.path["base_id"],
                 dry_run=bool(call.body.get("dry_run")), prune=bool(call.body.get("prune")))
    return report.to_dict()


def export_pack(call: Call) -> dict[str, Any]:
    from tessera.packs.export import dump_pack, export_base

    pack = export_base(call.engine, call.path["base_id"])
    return {"pack": pack, "yaml": dump_pack(pack)}


def list_dashboards(call: Call) -> list[dict[str, Any]]:
    from tessera.dashboards import list_dashboards as run
    from tessera.schema.catalog import get_base

    get_base(call.engine, call.path["base_id"])
    return [d.to_dict() for d in run(call.engine, call.path["base_id"])]


_ROLE_MEMBER = {"type": "object", "required": ["role", "base_role", "user_id", "username"],
                "properties": {"role": {"type": "string"}, "role_name": {"type": "string"},
                               "base_role": {"type": "string"}, "user_id": {"type": "integer"},
                               "username": {"type": "string"}}}
_ROLES = {"type": "object", "required": ["roles", "members"], "properties": {
    "roles": {"type": "array", "items": {"type": "object"}},
    "members": {"type": "array", "items": _ROLE_MEMBER}}}
_USER = {"type": "object", "required": ["user"], "additionalProperties": False,
         "properties": {"user": {"type": ["string", "integer"],
                                 "description": "a username or user id"}}}


def list_pack_roles(call: Call) -> dict[str, Any]:
    from tessera.packs.roles import pack_roles, role_members

    base_id = call.path["base_id"]
    return {"roles": pack_roles(call.engine, base_id),
            "members": [m.to_dict() for m in role_members(call.engine, base_id)]}


def assign_pack_role(call: Call) -> dict[str, Any]:
    from tessera.access.api_views import principal_of
    from tessera.packs.roles import assign_role

    return assign_role(call.engine, call.path["base_id"], call.path["role"], call.body["user"],
                       actor=principal_of(call)).to_dict()


def unassign_pack_role(call: Call) -> dict[str, Any]:
    from tessera.access.api_views import principal_of
    from tessera.packs.roles import unassign_role

    return {"removed": unassign_role(call.engine, call.path["base_id"], call.body["user"],
                                     actor=principal_of(call))}


def _r(method: str, path: str, handler: Any, summary: str, response: Any, **kw: Any) -> ApiRoute:
    return ApiRoute(method, PREFIX + path, handler, summary, TAG, response, **kw)


def _body(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["text", *required], "additionalProperties": False,
            "properties": {"text": _TEXT, "locales": _LOCALES, **props}}


PACK_ROUTES: tuple[ApiRoute, ...] = (
    _r("POST", "/packs/validate", validate_pack,
       "Validate a pack (pack.yaml text): every problem with file, line, column and path",
       _VALIDATION, body=_body([]), errors=(400,)),
    _r("POST", "/packs/install", install_pack,
       "Install a pack into a new base (one transaction), optionally with sample data",
       _INSTALLED, status=201, errors=(400,), body=_body(
           ["base_name"], base_name={"type": "string", "minLength": 1, "maxLength": 200},
           sample={"type": ["integer", "boolean", "null"], "minimum": 0,
                   "description": "sample records (true: the pack's default count)"},
           seed={"type": ["integer", "null"]}, sample_options={"type": "object"})),
    _r("POST", BASE + "/pack/upgrade", upgrade_pack,
       "Upgrade the base's pack to a new version, keeping user edits (dry_run: the plan only)",
       _REPORT, body=_body([], dry_run={"type": "boolean"}, prune={"type": "boolean"})),
    _r("GET", BASE + "/pack/export", export_pack,
       "Export the base as a pack (normalized data and pack.yaml text)", _EXPORTED,
       errors=(404,)),
    _r("GET", BASE + "/pack/roles", list_pack_roles,
       "The pack's roles (rules as installed) and the users holding each", _ROLES,
       errors=(400, 404)),
    _r("POST", BASE + "/pack/roles/{role}/members", assign_pack_role,
       "Give a user a pack role (a grant of its base role, replacing the user's role there)",
       _ROLE_MEMBER, status=201, errors=(400, 404), body=_USER),
    _r("POST", BASE + "/pack/roles/revoke", unassign_pack_role,
       "Take a user's role on the base away", {"type": "object", "required": ["removed"],
                                               "properties": {"removed": {"type": "boolean"}}},
       errors=(404,), body=_USER),
    _r("GET", BASE + "/dashboards", list_dashboards, "List a base's dashboards",
       {"type": "array", "items": _DASHBOARD}, errors=(404,)),
)


def _register_policies() -> None:
    """Each route's access rule, in the access layer's registry (tessera.access.api_policy):
    validating needs a signed-in user, installing creates a base the caller then owns,
    upgrading changes the schema, exporting and dashboards read the base, pack roles and
    their members are managed by whoever manages the base's access (its owner)."""
    from tessera.access.api_policy import ROUTE_POLICY, RoutePolicy

    ROUTE_POLICY.setdefault("validate_pack", RoutePolicy("signed_in"))
    ROUTE_POLICY.setdefault("install_pack", RoutePolicy("signed_in"))
    ROUTE_POLICY.setdefault("upgrade_pack", RoutePolicy("schema.write", "base_id"))
    ROUTE_POLICY.setdefault("export_pack", RoutePolicy("base.read", "base_id"))
    ROUTE_POLICY.setdefault("list_dashboards", RoutePolicy("base.read", "base_id"))
    for operation in ("list_pack_roles", "assign_pack_role", "unassign_pack_role"):
        ROUTE_POLICY.setdefault(operation, RoutePolicy("access.manage", "base_id"))


_register_policies()
