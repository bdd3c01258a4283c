"""REST routes of identity and safety: who am I, users (admin), API tokens, the audit log,
the trash and the outbound-host allowlist. Declared with the route-table vocabulary and
appended to ``API_ROUTES``, so they are validated and documented like every other route."""

from __future__ import annotations

from typing import Any

from tessera import trash
from tessera.access.api_policy import ROUTE_POLICY, RoutePolicy
from tessera.api.spec import ApiRoute, Call, Param
from tessera.auth import audit, outbound, tokens, users
from tessera.auth.admin_pages import parse_date
from tessera.auth.errors import Forbidden
from tessera.auth.principal import Principal
from tessera.schema.catalog import get_base, transaction

__all__ = ["AUTH_ROUTES"]

PREFIX = "/api/v1"


def _admin(call: Call) -> Principal:
    if not call.principal.is_admin:
        raise Forbidden("this administrator endpoint", "此管理员接口")
    return call.principal


def _user_json(u: users.User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "is_admin": u.is_admin,
            "is_active": u.is_active, "created_at": u.created_at.isoformat(),
            "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}


def me(call: Call) -> dict[str, Any]:
    p = call.principal
    scope = sorted(p.token_base_ids) if p.token_base_ids is not None else None
    return {"user_id": p.user_id, "username": p.username, "is_admin": p.is_admin,
            "token_base_ids": scope}


def list_users(call: Call) -> list[dict[str, Any]]:
    _admin(call)
    return [_user_json(u) for u in users.list_users(
        call.engine, include_inactive=bool(call.query.get("include_inactive")))]


def create_user(call: Call) -> dict[str, Any]:
    admin = _admin(call)
    b = call.body
    user_id = users.create_user(call.engine, b["username"], b["password"],
                                is_admin=bool(b.get("is_admin")))
    audit.record(call.engine, admin, "user.create", b["username"],
                 {"is_admin": bool(b.get("is_admin"))})
    return _user_json(users.get_user(call.engine, user_id))


def update_user(call: Call) -> dict[str, Any]:
    admin = _admin(call)
    user_id, b = call.path["user_id"], call.body
    if "password" in b:
        users.set_password(call.engine, user_id, b["password"])
    if "is_admin" in b:
        users.set_admin(call.engine, user_id, bool(b["is_admin"]))
    if b.get("is_active") is False:
        users.deactivate(call.engine, user_id)
    elif b.get("is_active") is True:
        users.activate(call.engine, user_id)
    changed = sorted(k for k in b if k != "password") + (["password"] if "password" in b else [])
    audit.record(call.engine, admin, "user.update", f"user {user_id}", {"changed": changed})
    return _user_json(users.get_user(call.engine, user_id))


def _own_or_admin(call: Call, info: tokens.TokenInfo) -> None:
    if info.user_id != call.principal.user_id and not call.principal.is_admin:
        raise Forbidden("another user's token", "他人的令牌")


def list_tokens(call: Call) -> list[dict[str, Any]]:
    p = call.principal
    who = call.query.get("user")
    if who is not None and who != p.username:
        _admin(call)
    elif who is None and not p.is_admin:
        who = p.username
    return [t.to_dict() for t in tokens.list_tokens(call.engine, who)]


def create_token(call: Call) -> dict[str, Any]:
    p, b = call.principal, call.body
    owner = b.get("username") or p.username
    if owner != p.username:
        _admin(call)
    base_ids = b.get("base_ids")
    if base_ids is not None:
        with transaction(call.engine) as conn:
            for base_id in base_ids:
                get_base(conn, base_id)
        if p.token_base_ids is not None:  # a scoped token cannot mint a wider one
            base_ids = [i for i in base_ids if i in p.token_base_ids]
    elif p.token_base_ids is not None:
        base_ids = sorted(p.token_base_ids)
    token_id, secret = tokens.create_token(call.engine, owner, name=b.get("name") or "api",
                                           base_ids=base_ids)
    audit.record(call.engine, p, "token.create", f"token {token_id}",
                 {"owner": owner, "base_ids": base_ids})
    return {**tokens.get_token(call.engine, token_id).to_dict(), "token": secret}


def revoke_token(call: Call) -> dict[str, Any]:
    info = tokens.get_token(call.engine, call.path["token_id"])
    _own_or_admin(call, info)
    revoked = tokens.revoke_token(call.engine, info.id)
    audit.record(call.engine, call.principal, "token.revoke", f"token {info.id}",
                 {"owner": info.username})
    return revoked.to_dict()


def list_audit(call: Call) -> dict[str, Any]:
    _admin(call)
    q = call.query
    page = audit.list_entries(call.engine, username=q.get("user"), action=q.get("action"),
                              since=parse_date(q.get("since"), "since"),
                              until=parse_date(q.get("until"), "until"),
                              cursor=q.get("cursor"), limit=q.get("limit", 50))
    return {"entries": [e.to_dict() for e in page.entries], "next_cursor": page.next_cursor}


def _visible(call: Call, item: trash.TrashItem) -> bool:
    return call.principal.is_admin or item.deleted_by == call.principal.username


def list_trash(call: Call) -> list[dict[str, Any]]:
    items = trash.list_items(call.engine, base_id=call.query.get("base_id"),
                             kind=call.query.get("kind"))
    return [i.to_dict() for i in items if _visible(call, i)]


def _trash_item(call: Call) -> trash.TrashItem:
    item = trash.get_item(call.engine, call.path["item_id"])
    if not _visible(call, item):
        raise Forbidden("another user's deleted item", "他人删除的内容")
    return item


def restore_trash_item(call: Call) -> dict[str, Any]:
    item = _trash_item(call)
    return trash.restore(call.engine, item.id, principal=call.principal)


def purge_trash_item(call: Call) -> None:
    item = _trash_item(call)
    trash.purge(call.engine, item.id, principal=call.principal)


def get_allowed_hosts(call: Call) -> dict[str, Any]:
    _admin(call)
    return {"hosts": outbound.allowed_hosts(call.engine)}


def set_allowed_hosts(call: Call) -> dict[str, Any]:
    admin = _admin(call)
    hosts = outbound.set_allowed_hosts(call.engine, call.body["hosts"])
    audit.record(call.engine, admin, "settings.update", "outbound_allowed_hosts",
                 {"hosts": hosts})
    return {"hosts": hosts}


def _r(method: str, path: str, handler: Any, summary: str, tag: str, response: Any,
       **kw: Any) -> ApiRoute:
    return ApiRoute(method, PREFIX + path, handler, summary, tag, response, **kw)


_OBJ = {"type": "object"}
_USER = {"type": "object", "required": ["id", "username", "is_admin", "is_active"],
         "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                        "is_admin": {"type": "boolean"}, "is_active": {"type": "boolean"},
                        "created_at": {"type": "string"},
                        "last_login_at": {"type": ["string", "null"]}}}
_TOKEN = {"type": "object", "required": ["id", "user_id", "name", "base_ids"], "properties": {
    "id": {"type": "integer"}, "user_id": {"type": "integer"}, "username": {"type": "string"},
    "name": {"type": "string"},
    "base_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
    "created_at": {"type": "string"}, "last_used_at": {"type": ["string", "null"]},
    "revoked_at": {"type": ["string", "null"]}, "token": {"type": "string"}}}
_TRASH_ITEM = {"type": "object", "required": ["id", "kind", "label", "deleted_by"],
               "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                              "label": {"type": "string"}, "deleted_by": {"type": "string"}}}
_HOSTS = {"type": "object", "required": ["hosts"], "additionalProperties": False,
          "properties": {"hosts": {"type": "array", "maxItems": 200, "items": {
              "type": "string", "minLength": 1, "maxLength": 253}}}}
_PASSWORD = {"type": "string", "minLength": 8, "maxLength": 1000}
_DATE = {"type": "string", "minLength": 1, "maxLength": 40}

# Coarse access rules of these routes (tessera.access checks them before the handler; the
# handlers add the finer ones: own tokens and own trash items unless site admin).
_SIGNED_IN, _SITE_ADMIN = RoutePolicy("signed_in"), RoutePolicy("site_admin")
ROUTE_POLICY.update({
    "me": _SIGNED_IN, "list_tokens": _SIGNED_IN, "create_token": _SIGNED_IN,
    "revoke_token": _SIGNED_IN, "list_trash": _SIGNED_IN, "restore_trash_item": _SIGNED_IN,
    "purge_trash_item": _SIGNED_IN, "list_users": _SITE_ADMIN, "create_user": _SITE_ADMIN,
    "update_user": _SITE_ADMIN, "list_audit": _SITE_ADMIN, "get_allowed_hosts": _SITE_ADMIN,
    "set_allowed_hosts": _SITE_ADMIN,
})

AUTH_ROUTES: tuple[ApiRoute, ...] = (
    _r("GET", "/me", me, "Who the request is authenticated as", "auth", {
        "type": "object", "required": ["username", "is_admin"]}, errors=()),
    _r("GET", "/users", list_users, "List users (administrators only)", "auth",
       {"type": "array", "items": _USER}, errors=(403,),
       params=(Param("include_inactive", {"type": "boolean", "default": False},
                     "also list deactivated users"),)),
    _r("POST", "/users", create_user, "Create a user (administrators only)", "auth", _USER,
       status=201, errors=(400, 403, 409), body={
           "type": "object", "required": ["username", "password"],
           "additionalProperties": False, "properties": {
               "username": {"type": "string", "minLength": 1, "maxLength": 150},
               "password": _PASSWORD, "is_admin": {"type": "boolean"}}}),
    _r("PATCH", "/users/{user_id:int}", update_user,
       "Change a user's password, admin flag or active flag (administrators only)", "auth",
       _USER, errors=(400, 403, 404), body={
           "type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
               "password": _PASSWORD, "is_admin": {"type": "boolean"},
               "is_active": {"type": "boolean"}}}),
    _r("GET", "/tokens", list_tokens, "List live API tokens (yours; an admin may name a user)",
       "auth", {"type": "array", "items": _TOKEN}, errors=(403, 404),
       params=(Param("user", {"type": "string", "minLength": 1}, "the tokens' owner"),)),
    _r("POST", "/tokens", create_token,
       "Create an API token; the secret is in the answer's 'token' and is never shown again",
       "auth", _TOKEN, status=201, errors=(400, 403, 404), body={
           "type": "object", "additionalProperties": False, "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 200},
               "username": {"type": "string", "minLength": 1, "maxLength": 150},
               "base_ids": {"type": ["array", "null"], "maxItems": 1000,
                            "items": {"type": "integer", "minimum": 1}}}}),
    _r("DELETE", "/tokens/{token_id:int}", revoke_token, "Revoke an API token", "auth", _TOKEN,
       errors=(403, 404)),
    _r("GET", "/audit", list_audit, "The audit log, newest first (administrators only)",
       "auth", {"type": "object", "required": ["entries", "next_cursor"], "properties": {
           "entries": {"type": "array", "items": _OBJ},
           "next_cursor": {"type": ["string", "null"]}}}, errors=(400, 403),
       params=(Param("user", {"type": "string", "minLength": 1}, "only this username"),
               Param("action", {"type": "string", "minLength": 1},
                     "only this action, or a prefix like 'schema.*'"),
               Param("since", _DATE, "from this date (YYYY-MM-DD, inclusive)"),
               Param("until", _DATE, "before this date (YYYY-MM-DD)"),
               Param("cursor", {"type": "string", "minLength": 1}, "next_cursor of a page"),
               Param("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                     "entries per page"))),
    _r("GET", "/trash", list_trash,
       "Deleted records, fields, tables and views kept for 30 days (yours; admins see all)",
       "trash", {"type": "array", "items": _TRASH_ITEM}, errors=(400,),
       params=(Param("base_id", {"type": "integer"}, "only this base"),
               Param("kind", {"type": "string", "enum": list(trash.RESTORERS)},
                     "only this kind"))),
    _r("POST", "/trash/{item_id:int}/restore", restore_trash_item,
       "Put a deleted item back (links and formulas included)", "trash", _OBJ,
       errors=(403, 404, 409)),
    _r("DELETE", "/trash/{item_id:int}", purge_trash_item, "Delete a trash item forever",
       "trash", None, status=204, errors=(403, 404)),
    _r("GET", "/settings/allowed-hosts", get_allowed_hosts,
       "Hosts webhook and email actions may reach although they resolve to private addresses",
       "settings", _HOSTS, errors=(403,)),
    _r("PUT", "/settings/allowed-hosts", set_allowed_hosts,
       "Replace the outbound allowlist (administrators only)", "settings", _HOSTS,
       body=_HOSTS, errors=(400, 403)),
)
