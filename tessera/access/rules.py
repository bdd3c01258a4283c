"""Field permissions (per field and role: hidden, read-only or editable) and row rules (per
table and role: a formula that must be TRUE for the row to be seen or written).

``editable`` is a write grant for the roles that cannot change records (commenter, viewer):
they may update exactly those fields, on rows their row rule shows, and nothing else (no
create, delete or import). For editors and schema admins it changes nothing. A computed
field cannot be made editable (nobody writes it).

A row rule is type-checked against the table when it is saved and stored twice, like formula
fields: as written and in id form (``{f_12} = CURRENT_USER()``), so renaming a field never
breaks a rule. It must give TRUE/FALSE; a row whose rule is blank or an error is not shown.
Owners (and site admins) are never restricted: a rule or permission for ``owner`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.access.audit import audit
from tessera.access.models import FIELD_PERMISSIONS, ROW_RULES
from tessera.access.roles import check_role
from tessera.auth.principal import SYSTEM, Principal
from tessera.errors import SchemaError
from tessera.schema.catalog import Bind, get_field, get_table, transaction

__all__ = ["FIELD_MODES", "RowRule", "set_field_permission", "field_permissions",
           "set_row_rule", "row_rules", "check_rule"]

FIELD_MODES = ("hidden", "read_only", "editable")


@dataclass(frozen=True)
class RowRule:
    table_id: int
    role: str
    formula: str      # as written
    expression: str   # id form, what is compiled

    def to_dict(self) -> dict[str, Any]:
        return {"table_id": self.table_id, "role": self.role, "formula": self.formula}


def _restrictable(role: str) -> str:
    check_role(role)
    if role == "owner":
        raise SchemaError("Owners see and change everything; restrict another role.",
                          "所有者可查看和修改全部内容，请限制其他角色。", code="invalid_rule")
    return role


def set_field_permission(bind: Bind, field_id: int, role: str, mode: str | None, *,
                         actor: Principal = SYSTEM) -> None:
    """Make a field ``hidden``, ``read_only`` or ``editable`` for a role (None: back to
    normal)."""
    _restrictable(role)
    if mode is not None and mode not in FIELD_MODES:
        raise SchemaError(f"Unknown field permission {mode!r}; use hidden, read_only or "
                          "editable.",
                          f"未知字段权限 {mode!r}，可用：hidden（隐藏）、read_only（只读）或 "
                          "editable（可编辑）。", code="invalid_field_permission")
    with transaction(bind) as conn:
        field = get_field(conn, field_id)
        if mode == "editable" and field.read_only:
            raise SchemaError(
                f"The field {field.name!r} is computed, so nobody can edit it; make a plain "
                "field editable instead.",
                f"字段 {field.name!r} 是计算字段，任何人都不能编辑；请把普通字段设为可编辑。",
                code="invalid_field_permission")
        conn.execute(sa.delete(FIELD_PERMISSIONS).where(FIELD_PERMISSIONS.c.field_id == field_id,
                                                        FIELD_PERMISSIONS.c.role == role))
        if mode is not None:
            conn.execute(sa.insert(FIELD_PERMISSIONS).values(field_id=field_id, role=role,
                                                             mode=mode))
        audit(conn, actor, "access.field_permission", f"field:{field_id}",
              {"table_id": field.table_id, "role": role, "mode": mode})


def field_permissions(bind: Bind, table_id: int, role: str) -> dict[int, str]:
    """Field id → mode for one role on one table."""
    from tessera.models import Field

    with transaction(bind) as conn:
        rows = conn.execute(sa.select(FIELD_PERMISSIONS.c.field_id, FIELD_PERMISSIONS.c.mode)
                            .join(Field.__table__, Field.__table__.c.id == FIELD_PERMISSIONS.c.field_id)
                            .where(Field.__table__.c.table_id == table_id,
                                   FIELD_PERMISSIONS.c.role == role)).all()
        return {r.field_id: r.mode for r in rows}


def check_rule(conn: sa.Connection, table_id: int, formula: str) -> str:
    """Type-check ``formula`` against the table; its id form (raises SchemaError)."""
    from tessera.compute.maintenance import to_id_form
    from tessera.compute.schema_adapter import table_schema
    from tessera.formula.checker import check
    from tessera.formula.errors import FormulaError
    from tessera.formula.parser import parse

    table = get_table(conn, table_id)
    try:
        typed = check(parse(formula), table_schema(conn, table, by="name"))
    except FormulaError as exc:
        raise SchemaError(f"The row rule is not valid: {exc.message_for('en')}",
                          f"行规则无效：{exc.message_for('zh-CN')}", code="invalid_rule",
                          details={"formula": exc.to_dict()}) from None
    if typed.type.kind != "boolean":
        raise SchemaError(
            f"A row rule must be TRUE or FALSE for each row (this one gives {typed.type}); "
            "write a comparison such as {Owner} = CURRENT_USER().",
            f"行规则对每一行必须得出 TRUE 或 FALSE（此规则得出 {typed.type}），"
            "请写成比较式，例如 {负责人} = CURRENT_USER()。", code="invalid_rule")
    return to_id_form(conn, table, formula)


def set_row_rule(bind: Bind, table_id: int, role: str, formula: str | None, *,
                 actor: Principal = SYSTEM) -> RowRule | None:
    """Restrict ``role`` to the rows of a table where ``formula`` is TRUE (None: no rule)."""
    _restrictable(role)
    with transaction(bind) as conn:
        expression = check_rule(conn, table_id, formula) if formula else None
        conn.execute(sa.delete(ROW_RULES).where(ROW_RULES.c.table_id == table_id,
                                                ROW_RULES.c.role == role))
        rule = None
        if formula and expression is not None:
            conn.execute(sa.insert(ROW_RULES).values(table_id=table_id, role=role,
                                                     formula=formula, expression=expression))
            rule = RowRule(table_id, role, formula, expression)
        audit(conn, actor, "access.row_rule", f"table:{table_id}",
              {"role": role, "formula": formula})
        return rule


def row_rules(bind: Bind, table_id: int) -> dict[str, RowRule]:
    """Role → rule of one table, the formula shown with the current field names."""
    from tessera.compute.maintenance import display_text

    with transaction(bind) as conn:
        rows = conn.execute(sa.select(ROW_RULES).where(ROW_RULES.c.table_id == table_id)).all()
        if not rows:
            return {}
        names = {f.id: f.name for f in get_table(conn, table_id).fields}
        return {r.role: RowRule(table_id, r.role, display_text(names, r.expression),
                                r.expression) for r in rows}
