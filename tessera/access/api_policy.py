"""Which action every API route needs, and on which base: checked before the handler runs.

``ROUTE_POLICY`` maps each route's operation id to a :class:`RoutePolicy`. A route missing
here is refused to everyone but site admins (fail closed), and tests/access's authorization
matrix fails until it gets an entry — a new endpoint cannot ship unprotected by accident.

The check here is the coarse one (role × action on the base); the handlers pass the principal
down to the query layer, the records service and exports, which apply field permissions and
row rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.access.errors import ForbiddenError, SignInRequiredError, forbidden
from tessera.access.scope import require, table_scope
from tessera.auth.principal import Principal
from tessera.errors import NotFoundError
from tessera.schema.catalog import F, T, V, transaction

__all__ = ["RoutePolicy", "ROUTE_POLICY", "authorize", "ANONYMOUS", "access_error_codes"]

ANONYMOUS = Principal(user_id=None, username="anonymous")


@dataclass(frozen=True)
class RoutePolicy:
    """``action`` on the base found through path parameter ``via`` (base_id, table_id,
    field_id, view_id, automation_id, or any parameter with a registered resolver).
    ``action`` "public": anyone; "signed_in": any user; "site_admin": site administrators."""

    action: str
    via: str | None = None
    unrestricted: bool = False  # also refuse roles limited by field permissions or row rules


def _p(action: str, via: str | None = None, **kw: Any) -> RoutePolicy:
    return RoutePolicy(action, via, **kw)


PUBLIC, SIGNED_IN = _p("public"), _p("signed_in")
ROUTE_POLICY: dict[str, RoutePolicy] = {
    "openapi_document": PUBLIC,
    "receive_webhook": PUBLIC,  # authenticated by the automation's own secret
    # bases
    "list_bases": SIGNED_IN,    # lists only the bases the user holds a role on
    "create_base": SIGNED_IN,   # the creator becomes its owner
    "get_base": _p("base.read", "base_id"),
    "rename_base": _p("base.rename", "base_id"),
    "delete_base": _p("base.delete", "base_id"),
    # tables and fields
    "list_tables": _p("base.read", "base_id"),
    "create_table": _p("schema.write", "base_id"),
    "get_table": _p("base.read", "table_id"),
    "rename_table": _p("schema.write", "table_id"),
    "delete_table": _p("schema.write", "table_id"),
    "list_fields": _p("base.read", "table_id"),
    "create_field": _p("schema.write", "table_id"),
    "get_field": _p("base.read", "field_id"),
    "update_field": _p("schema.write", "field_id"),
    "preview_field_conversion": _p("schema.write", "field_id"),
    "delete_field": _p("schema.write", "field_id"),
    # records
    "list_records": _p("records.read", "table_id"),
    "count_records": _p("records.read", "table_id"),
    "get_record": _p("records.read", "table_id"),
    "record_history": _p("records.read", "table_id"),
    "create_record": _p("records.write", "table_id"),
    "bulk_create_records": _p("records.write", "table_id"),
    # updates: commenters and viewers too, of the fields marked editable for their role only
    # (checked with the row rule by the records service: tessera/access/scope.py)
    "bulk_update_records": _p("records.update", "table_id"),
    "bulk_delete_records": _p("records.write", "table_id"),
    "update_record": _p("records.update", "table_id"),
    "delete_record": _p("records.write", "table_id"),
    # views
    "list_views": _p("base.read", "table_id"),
    "create_view": _p("schema.write", "table_id"),
    "get_view": _p("base.read", "view_id"),
    "update_view": _p("schema.write", "view_id"),
    "delete_view": _p("schema.write", "view_id"),
    "list_view_records": _p("records.read", "view_id"),
    # import / export: imports write as the system, so only unrestricted roles may import
    "upload_import_file": _p("records.import", "table_id", unrestricted=True),
    "preview_import_upload": _p("records.import", "table_id", unrestricted=True),
    "commit_import_upload": _p("records.import", "table_id", unrestricted=True),
    "export_table_file": _p("records.export", "table_id"),
    "export_view_file": _p("records.export", "view_id"),
    # automations: only schema admins manage them; each runs as its run-as user, and who may
    # choose whom is checked by tessera/access/run_as.py
    "list_automations": _p("automations.read", "base_id"),
    "create_automation": _p("automations.write", "base_id"),
    "get_automation": _p("automations.read", "automation_id"),
    "update_automation": _p("automations.write", "automation_id"),
    "delete_automation": _p("automations.write", "automation_id"),
    "enable_automation": _p("automations.write", "automation_id"),
    "disable_automation": _p("automations.write", "automation_id"),
    "dry_run_automation": _p("automations.read", "automation_id"),
    "list_runs": _p("automations.read", "automation_id"),
    "run_automation": _p("automations.run", "automation_id"),
    # access management (tessera/api/access_routes.py)
    "list_members": _p("access.manage", "base_id"),
    "grant_role": _p("access.manage", "base_id"),
    "revoke_role": _p("access.manage", "base_id"),
    "get_table_access": _p("access.manage", "table_id"),
    "set_row_rule": _p("access.manage", "table_id"),
    "set_field_permission": _p("access.manage", "field_id"),
    # app packs and dashboards (tessera/api/pack_routes.py)
    "validate_pack": SIGNED_IN,
    "install_pack": SIGNED_IN,  # into a new base, which the installer then owns
    "upgrade_pack": _p("schema.write", "base_id"),
    # a pack export lists every field and formula, hidden ones too: schema admins only
    "export_pack": _p("schema.write", "base_id"),
    "list_dashboards": _p("base.read", "base_id"),
}


BaseResolver = Callable[[sa.Connection, int], int | None]
BASE_RESOLVERS: dict[str, BaseResolver] = {}


def register_base_resolver(param: str, resolver: BaseResolver) -> BaseResolver:
    """Let routes of another area name their base through ``param`` (e.g. "campaign_id"):
    ``resolver(conn, id)`` returns the base id, or None when nothing has that id (404)."""
    BASE_RESOLVERS[param] = resolver
    return resolver


def access_error_codes(operation_id: str) -> set[int]:
    """The access errors a route can answer (documented in the OpenAPI document)."""
    policy = ROUTE_POLICY.get(operation_id)
    if policy is not None and policy.action in ("public", "signed_in"):
        return {401}  # public routes too: a request carrying a bad token is turned away
    return {401, 403}


def _table_of(conn: sa.Connection, via: str, ident: int) -> int | None:
    if via == "table_id":
        return ident
    if via == "field_id":
        return conn.execute(sa.select(F.c.table_id).where(F.c.id == ident)).scalar()
    if via == "view_id":
        return conn.execute(sa.select(V.c.table_id).where(V.c.id == ident)).scalar()
    return None


def _base_of(conn: sa.Connection, via: str, ident: int) -> int:
    kind = via.removesuffix("_id")
    if via == "base_id":
        from tessera.schema.catalog import get_base

        return get_base(conn, ident).id
    if via in BASE_RESOLVERS:
        base_id = BASE_RESOLVERS[via](conn, ident)
    elif via == "automation_id":
        from tessera.workflow.models import AUTOMATIONS

        base_id = conn.execute(sa.select(AUTOMATIONS.c.base_id)
                               .where(AUTOMATIONS.c.id == ident)).scalar()
    else:
        table_id = _table_of(conn, via, ident)
        base_id = None if table_id is None else conn.execute(
            sa.select(T.c.base_id).where(T.c.id == table_id)).scalar()
    if base_id is None:
        raise NotFoundError(kind, ident)
    return int(base_id)


def authorize(engine: Any, operation_id: str, path: dict[str, Any],
              principal: Principal) -> None:
    """Raise 401/403 (or 404 for a missing target) unless ``principal`` may call the route."""
    policy = ROUTE_POLICY.get(operation_id)
    if policy is not None and policy.action == "public":
        return
    if principal.user_id is None and not principal.is_admin:
        raise SignInRequiredError()
    if policy is None:
        if principal.is_admin and principal.token_base_ids is None:
            return
        raise ForbiddenError(
            f"The endpoint {operation_id} has no access rule yet, so only site administrators "
            "may call it; ask an administrator.",
            f"接口 {operation_id} 尚未配置访问规则，只有站点管理员可以调用；请联系管理员。",
            code="forbidden", details={"operation": operation_id})
    if policy.action == "site_admin":
        if not principal.is_admin:
            raise ForbiddenError(
                "Only site administrators may do this; ask an administrator.",
                "只有站点管理员可以执行此操作，请联系管理员。", code="forbidden",
                details={"operation": operation_id})
        return
    if policy.action == "signed_in" or policy.via is None:
        return
    with transaction(engine) as conn:
        base_id = _base_of(conn, policy.via, path[policy.via])
        role = require(conn, principal, policy.action, base_id)
        if policy.unrestricted and role != "owner":
            table_id = _table_of(conn, policy.via, path[policy.via])
            if table_id is not None and table_scope(conn, principal, table_id,
                                                    policy.action).restricted:
                raise forbidden(policy.action, role,
                                what="your role has field or row restrictions here / "
                                     "您的角色在此有字段或行限制")


# Rules of other areas' routes that live here (imported last: they register into the above).
import tessera.access.outreach_policy  # noqa: E402, F401
