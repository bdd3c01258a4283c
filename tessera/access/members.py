"""Who holds which role on a base: grant, revoke, list, and ``role_of`` — the effective role
of a principal (the strongest of its own grant and its groups' grants).

Site administrators and ``SYSTEM`` are owners everywhere; an API token scoped to other bases
has no role here. Every grant and revoke is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.access.audit import audit
from tessera.access.models import MEMBERSHIPS
from tessera.access.roles import check_role, rank
from tessera.auth.models import GROUP_MEMBERS, GROUPS, USERS
from tessera.auth.principal import SYSTEM, Principal
from tessera.errors import NotFoundError, SchemaError
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, get_base, transaction

__all__ = ["Member", "grant", "revoke", "list_members", "role_of", "bases_of", "group_names"]


@dataclass(frozen=True)
class Member:
    base_id: int
    role: str
    user_id: int | None
    group_id: int | None
    name: str  # the username or group name

    def to_dict(self) -> dict[str, Any]:
        return {"base_id": self.base_id, "role": self.role, "user_id": self.user_id,
                "group_id": self.group_id, "name": self.name}


def _who(user_id: int | None, group_id: int | None) -> sa.ColumnElement[bool]:
    if (user_id is None) == (group_id is None):
        raise SchemaError("Grant a role to exactly one user or one group.",
                          "角色只能授予一个用户或一个组。", code="invalid_grant")
    if user_id is not None:
        return sa.and_(MEMBERSHIPS.c.user_id == user_id, MEMBERSHIPS.c.group_id.is_(None))
    return sa.and_(MEMBERSHIPS.c.group_id == group_id, MEMBERSHIPS.c.user_id.is_(None))


def _check_exists(conn: sa.Connection, user_id: int | None, group_id: int | None) -> str:
    table, ident, kind = (USERS, user_id, "user") if user_id is not None else (GROUPS, group_id, "group")
    column = table.c.username if table is USERS else table.c.name
    name = conn.execute(sa.select(column).where(table.c.id == ident)).scalar()
    if name is None:
        raise NotFoundError(kind, ident)
    return str(name)


def grant(bind: Bind, base_id: int, role: str, *, user_id: int | None = None,
          group_id: int | None = None, actor: Principal = SYSTEM) -> Member:
    """Give a user or a group ``role`` on a base (replacing the role it had there)."""
    check_role(role)
    with transaction(bind) as conn:
        get_base(conn, base_id)
        who = _who(user_id, group_id)
        name = _check_exists(conn, user_id, group_id)
        conn.execute(sa.delete(MEMBERSHIPS).where(MEMBERSHIPS.c.base_id == base_id, who))
        conn.execute(sa.insert(MEMBERSHIPS).values(base_id=base_id, user_id=user_id,
                                                   group_id=group_id, role=role,
                                                   created_at=utcnow()))
        audit(conn, actor, "access.grant", f"base:{base_id}",
              {"role": role, "user_id": user_id, "group_id": group_id, "name": name})
        return Member(base_id, role, user_id, group_id, name)


def revoke(bind: Bind, base_id: int, *, user_id: int | None = None,
           group_id: int | None = None, actor: Principal = SYSTEM) -> bool:
    """Remove the grant of a user or group on a base; whether there was one."""
    with transaction(bind) as conn:
        removed = conn.execute(sa.delete(MEMBERSHIPS).where(
            MEMBERSHIPS.c.base_id == base_id, _who(user_id, group_id))).rowcount
        if removed:
            audit(conn, actor, "access.revoke", f"base:{base_id}",
                  {"user_id": user_id, "group_id": group_id})
        return bool(removed)


def list_members(bind: Bind, base_id: int) -> list[Member]:
    with transaction(bind) as conn:
        rows = conn.execute(
            sa.select(MEMBERSHIPS.c.role, MEMBERSHIPS.c.user_id, MEMBERSHIPS.c.group_id,
                      sa.func.coalesce(USERS.c.username, GROUPS.c.name))
            .select_from(MEMBERSHIPS.outerjoin(USERS, USERS.c.id == MEMBERSHIPS.c.user_id)
                         .outerjoin(GROUPS, GROUPS.c.id == MEMBERSHIPS.c.group_id))
            .where(MEMBERSHIPS.c.base_id == base_id).order_by(MEMBERSHIPS.c.id)).all()
        return [Member(base_id, r[0], r[1], r[2], r[3]) for r in rows]


def _grants(conn: sa.Connection, user_id: int) -> sa.Select[Any]:
    in_groups = sa.select(GROUP_MEMBERS.c.group_id).where(GROUP_MEMBERS.c.user_id == user_id)
    return sa.select(MEMBERSHIPS.c.base_id, MEMBERSHIPS.c.role).where(sa.or_(
        MEMBERSHIPS.c.user_id == user_id, MEMBERSHIPS.c.group_id.in_(in_groups)))


def role_of(bind: Bind, principal: Principal, base_id: int) -> str | None:
    """The principal's effective role on a base, or None when it has none."""
    if principal.token_base_ids is not None and base_id not in principal.token_base_ids:
        return None
    if principal.is_admin:
        return "owner"
    if principal.user_id is None:
        return None
    with transaction(bind) as conn:
        roles = conn.execute(_grants(conn, principal.user_id)
                             .where(MEMBERSHIPS.c.base_id == base_id)).all()
    return min((r.role for r in roles), key=rank, default=None)


def bases_of(bind: Bind, principal: Principal) -> dict[int, str] | None:
    """Base id → role for every base the principal reaches (None: every base, as owner)."""
    if principal.is_admin and principal.token_base_ids is None:
        return None
    if principal.is_admin:
        return {b: "owner" for b in principal.token_base_ids or ()}
    if principal.user_id is None:
        return {}
    with transaction(bind) as conn:
        result: dict[int, str] = {}
        for base_id, role in conn.execute(_grants(conn, principal.user_id)).all():
            if principal.token_base_ids is not None and base_id not in principal.token_base_ids:
                continue
            if base_id not in result or rank(role) < rank(result[base_id]):
                result[base_id] = role
        return result


def group_names(bind: Bind, user_id: int | None) -> frozenset[str]:
    """Names of the groups a user belongs to (for ISMEMBER)."""
    if user_id is None:
        return frozenset()
    with transaction(bind) as conn:
        return frozenset(conn.execute(
            sa.select(GROUPS.c.name).join(GROUP_MEMBERS, GROUP_MEMBERS.c.group_id == GROUPS.c.id)
            .where(GROUP_MEMBERS.c.user_id == user_id)).scalars())
