"""Pack roles as the base's real access roles (tessera.access): a pack role names one base
role (``editor``…) and carries that role's row rules and field permissions on the pack's
tables. Install and upgrade write them with the access layer's own functions (type-checked,
audited); export reads them back from the live base, so an admin's edit to a rule shows up
in an upgrade's three-way merge like any other edit. Assigning a user to a pack role grants
them its base role on the base.

Row rules and field permissions are keyed by base role in the access layer, so each pack
role owns one base role (the validator refuses two pack roles on the same one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.auth.models import USERS
from tessera.auth.principal import SYSTEM, Principal
from tessera.errors import NotFoundError
from tessera.packs.errors import PackError
from tessera.packs.idmap import IdMap
from tessera.packs.store import load_installed
from tessera.schema.catalog import Bind, get_table, transaction

__all__ = ["apply_role", "clear_role", "live_role", "PackRoleMember", "pack_roles",
           "assign_role", "unassign_role", "role_members"]


def _access() -> Any:
    """tessera.access, imported when first used (it imports the workflow package, which
    imports the query layer: importing it at module load would be circular for callers
    that load the packs first)."""
    from tessera import access

    return access


def _field_id(conn: Any, table_id: int, ref: str) -> int | None:
    table = get_table(conn, table_id)
    text = ref.strip()
    found = next((f for f in table.fields if f.name == text), None) or next(
        (f for f in table.fields if f.name.casefold() == text.casefold()), None)
    return found.id if found is not None else None


def _field_ref(ids: IdMap, table_key: str, ref: str, conn: Any) -> int | None:
    """A pack field reference (name, or key) of ``table_key`` → the live field id."""
    by_key = ids.fields.get(f"{table_key}.{ref}")
    table_id = ids.tables.get(table_key)
    if table_id is None:
        return None
    return _field_id(conn, table_id, ref) or by_key


def apply_role(conn: Any, ids: IdMap, spec: Mapping[str, Any], *,
               actor: Principal = SYSTEM) -> None:
    """Make the base's access rules for ``spec['role']`` exactly what the pack role says on
    the pack's tables: its row rules set (others cleared), its field permissions set (others
    on those tables cleared)."""
    role = spec["role"]
    if role == "owner":
        return
    rules = dict(spec.get("row_rules") or {})
    perms = {t: dict(m) for t, m in (spec.get("field_permissions") or {}).items()}
    for table_key, table_id in ids.tables.items():
        live = _access().row_rules(conn, table_id).get(role)
        wanted = rules.get(table_key)
        if (live.formula if live else None) != wanted:
            _access().set_row_rule(conn, table_id, role, wanted, actor=actor)
        modes = {fid: mode for ref, mode in perms.get(table_key, {}).items()
                 if (fid := _field_ref(ids, table_key, ref, conn)) is not None}
        current = _access().field_permissions(conn, table_id, role)
        for fid in set(current) | set(modes):
            if current.get(fid) != modes.get(fid):
                _access().set_field_permission(conn, fid, role, modes.get(fid), actor=actor)


def clear_role(conn: Any, ids: IdMap, spec: Mapping[str, Any], *,
               actor: Principal = SYSTEM) -> None:
    """Remove a pack role's rules and permissions (an upgrade dropped the role)."""
    apply_role(conn, ids, {"role": spec["role"]}, actor=actor)


def live_role(conn: Any, ids: IdMap, spec: Mapping[str, Any],
              table_keys: Mapping[int, str]) -> dict[str, Any]:
    """The pack role ``spec`` as the live base has it now (for export)."""
    role = spec["role"]
    out = {k: v for k, v in spec.items() if k not in ("row_rules", "field_permissions", "row_rule")}
    if role == "owner":
        return out
    rules: dict[str, str] = {}
    perms: dict[str, dict[str, str]] = {}
    from tessera.access.models import ROW_RULES

    rule_rows = conn.execute(sa.select(ROW_RULES.c.table_id).where(
        ROW_RULES.c.role == role, ROW_RULES.c.table_id.in_(list(table_keys)))).scalars().all()
    for table_id in sorted(set(rule_rows)):
        rule = _access().row_rules(conn, table_id).get(role)
        if rule is not None:
            rules[table_keys[table_id]] = rule.formula
    for table_id in sorted(table_keys):
        modes = _access().field_permissions(conn, table_id, role)
        if modes:
            names = {f.id: f.name for f in get_table(conn, table_id).fields}
            perms[table_keys[table_id]] = {names[fid]: mode for fid, mode in sorted(modes.items())}
    if rules:
        out["row_rules"] = rules
        out.pop("tables", None)
    if perms:
        out["field_permissions"] = perms
    return out


# --- assigning users ------------------------------------------------------------------------
@dataclass(frozen=True)
class PackRoleMember:
    role_key: str
    role_name: str
    base_role: str
    user_id: int
    username: str

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role_key, "role_name": self.role_name, "base_role": self.base_role,
                "user_id": self.user_id, "username": self.username}


def pack_roles(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    """The roles of the pack installed in the base (as installed/upgraded)."""
    with transaction(bind) as conn:
        installed = load_installed(conn, base_id)
        if installed is None:
            raise PackError("This base was not installed from a pack, so it has no pack roles; "
                            "grant base roles with `tessera access` instead.",
                            "此数据库不是由应用包安装的，没有应用包角色；请用 `tessera access` 授予角色。",
                            code="pack.not_installed")
        return list(installed.snapshot.get("roles") or [])


def _role_spec(bind: Bind, base_id: int, role: str) -> dict[str, Any]:
    roles = pack_roles(bind, base_id)
    found = next((r for r in roles if role in (r["key"], r["name"])), None)
    if found is None:
        known = ", ".join(f"{r['key']} ({r['name']})" for r in roles) or "none"
        raise PackError(f"The pack has no role {role!r}; its roles: {known}.",
                        f"应用包没有角色 {role!r}；它的角色：{known}。", code="pack.unknown_role")
    return found


def _user_id(conn: Any, user: str | int) -> tuple[int, str]:
    column = USERS.c.id if isinstance(user, int) or str(user).isdigit() else USERS.c.username
    value: Any = int(user) if column is USERS.c.id else str(user).strip().lstrip("@")
    cond = column == value if column is USERS.c.id else sa.func.lower(column) == value.lower()
    row = conn.execute(sa.select(USERS.c.id, USERS.c.username).where(cond)).first()
    if row is None:
        raise NotFoundError("user", user)
    return int(row.id), str(row.username)


def assign_role(bind: Bind, base_id: int, role: str, user: str | int, *,
                actor: Principal = SYSTEM) -> PackRoleMember:
    """Give ``user`` the pack role ``role`` (key or name) on the base: a grant of its base
    role (replacing the role the user had there), audited by the access layer."""
    with transaction(bind) as conn:
        spec = _role_spec(conn, base_id, role)
        user_id, username = _user_id(conn, user)
        _access().grant(conn, base_id, spec["role"], user_id=user_id, actor=actor)
        return PackRoleMember(spec["key"], spec["name"], spec["role"], user_id, username)


def unassign_role(bind: Bind, base_id: int, user: str | int, *,
                  actor: Principal = SYSTEM) -> bool:
    """Take the user's role on the base away; whether they had one."""
    with transaction(bind) as conn:
        user_id, _ = _user_id(conn, user)
        return _access().revoke(conn, base_id, user_id=user_id, actor=actor)


def role_members(bind: Bind, base_id: int) -> list[PackRoleMember]:
    """Users holding each pack role (directly; group grants are listed by `tessera access`)."""
    with transaction(bind) as conn:
        by_base_role = {r["role"]: r for r in pack_roles(conn, base_id)}
        out = []
        for m in _access().list_members(conn, base_id):
            spec = by_base_role.get(m.role)
            if spec is not None and m.user_id is not None:
                out.append(PackRoleMember(spec["key"], spec["name"], m.role, m.user_id, m.name))
        return out
