"""REST endpoints of tessera.access: a base's members and roles, a table's row rules and
field permissions. Managing access is the owner's (``access.manage``); every change is
audited as the calling user."""

from __future__ import annotations

from typing import Any

from tessera import access
from tessera.access.api_views import principal_of
from tessera.access.roles import ROLES
from tessera.access.rules import FIELD_MODES
from tessera.api.spec import ApiRoute, Call
from tessera.auth.models import GROUPS, USERS
from tessera.errors import NotFoundError
from tessera.schema.catalog import get_field, get_table, transaction

__all__ = ["ACCESS_ROUTES"]

PREFIX, TAG = "/api/v1", "access"
_ROLE = {"type": "string", "enum": list(ROLES)}
_RESTRICTABLE = [r for r in ROLES if r != "owner"]
_WHO = {"user": {"type": "string", "minLength": 1, "maxLength": 150,
                 "description": "a username (or use group)"},
        "group": {"type": "string", "minLength": 1, "maxLength": 150,
                  "description": "a group name (or use user)"}}
_MEMBER = {"type": "object", "required": ["base_id", "role", "user_id", "group_id", "name"],
           "properties": {"base_id": {"type": "integer"}, "role": _ROLE,
                          "user_id": {"type": ["integer", "null"]},
                          "group_id": {"type": ["integer", "null"]}, "name": {"type": "string"}}}
_ACCESS = {"type": "object", "required": ["table_id", "row_rules", "field_permissions"],
           "properties": {"table_id": {"type": "integer"},
                          "row_rules": {"type": "object",
                                        "additionalProperties": {"type": "string"}},
                          "field_permissions": {"type": "object", "additionalProperties": {
                              "type": "object",
                              "additionalProperties": {"enum": list(FIELD_MODES)}}}}}


def _who(call: Call) -> dict[str, int]:
    """{"user_id": …} or {"group_id": …} from the body's user or group name."""
    import sqlalchemy as sa

    body = call.body
    if ("user" in body) == ("group" in body):
        from tessera.errors import SchemaError

        raise SchemaError("Name exactly one user or one group.",
                          "请只指定一个用户（user）或一个组（group）。", code="invalid_grant")
    table, column, kind = ((USERS, USERS.c.username, "user") if "user" in body
                           else (GROUPS, GROUPS.c.name, "group"))
    with transaction(call.engine) as conn:
        ident = conn.execute(sa.select(table.c.id).where(column == body[kind])).scalar()
    if ident is None:
        raise NotFoundError(kind, body[kind])
    return {f"{kind}_id": int(ident)}


def list_members(call: Call) -> list[dict[str, Any]]:
    return [m.to_dict() for m in access.list_members(call.engine, call.path["base_id"])]


def grant_role(call: Call) -> dict[str, Any]:
    return access.grant(call.engine, call.path["base_id"], call.body["role"], **_who(call),
                        actor=principal_of(call)).to_dict()


def revoke_role(call: Call) -> dict[str, Any]:
    removed = access.revoke(call.engine, call.path["base_id"], **_who(call),
                            actor=principal_of(call))
    return {"revoked": removed}


def _access_of(engine: Any, table_id: int) -> dict[str, Any]:
    with transaction(engine) as conn:
        get_table(conn, table_id)
        rules = {role: r.formula for role, r in access.row_rules(conn, table_id).items()}
        permissions = {role: {str(fid): mode for fid, mode in
                              access.field_permissions(conn, table_id, role).items()}
                       for role in _RESTRICTABLE}
    return {"table_id": table_id, "row_rules": rules,
            "field_permissions": {r: p for r, p in permissions.items() if p}}


def get_table_access(call: Call) -> dict[str, Any]:
    return _access_of(call.engine, call.path["table_id"])


def set_row_rule(call: Call) -> dict[str, Any]:
    access.set_row_rule(call.engine, call.path["table_id"], call.path["role"],
                        call.body.get("formula") or None, actor=principal_of(call))
    return _access_of(call.engine, call.path["table_id"])


def set_field_permission(call: Call) -> dict[str, Any]:
    field_id = call.path["field_id"]
    access.set_field_permission(call.engine, field_id, call.path["role"],
                                call.body.get("mode"), actor=principal_of(call))
    return _access_of(call.engine, get_field(call.engine, field_id).table_id)


def _r(method: str, path: str, handler: Any, summary: str, response: Any, **kw: Any) -> ApiRoute:
    return ApiRoute(method, PREFIX + path, handler, summary, TAG, response, **kw)


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": properties}


_ROLE_PATH = {"type": "string", "enum": _RESTRICTABLE}
ACCESS_ROUTES: tuple[ApiRoute, ...] = (
    _r("GET", "/bases/{base_id:int}/members", list_members,
       "Who holds which role on a base (users and groups)", {"type": "array", "items": _MEMBER},
       errors=(404,)),
    _r("POST", "/bases/{base_id:int}/members", grant_role,
       "Give a user or a group a role on the base (replacing the one it had)", _MEMBER,
       body=_body(["role"], {"role": _ROLE, **_WHO}), errors=(400, 404)),
    _r("POST", "/bases/{base_id:int}/members/revoke", revoke_role,
       "Take a user's or group's role on the base away", {
           "type": "object", "required": ["revoked"],
           "properties": {"revoked": {"type": "boolean"}}},
       body=_body([], _WHO), errors=(400, 404)),
    _r("GET", "/tables/{table_id:int}/access", get_table_access,
       "A table's row rules and field permissions per role", _ACCESS, errors=(404,)),
    _r("PUT", "/tables/{table_id:int}/row-rules/{role}", set_row_rule,
       "Set (or clear with null) the role's row rule: a formula TRUE for the rows it may see",
       _ACCESS, body=_body([], {"formula": {"type": ["string", "null"], "maxLength": 4000}}),
       errors=(400, 404)),
    _r("PUT", "/fields/{field_id:int}/permissions/{role}", set_field_permission,
       "Make a field hidden, read-only or editable for a role (null: back to normal; "
       "editable lets a commenter or viewer update that field)", _ACCESS,
       body=_body(["mode"], {"mode": {"enum": [*FIELD_MODES, None]}}), errors=(400, 404)),
)
