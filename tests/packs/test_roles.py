"""Pack roles as real access roles: validation with positions, install writes the rules and
field permissions through tessera.access, export writes the live ones back (and installing the
export reproduces them), upgrade v1 → v2 keeps an admin's edits and reports conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera import access
from tessera import schema_ops as schema
from tessera.packs import check_pack, load_text
from tessera.packs.export import export_base, write_pack
from tessera.packs.install import install
from tessera.packs.roles import assign_role, role_members
from tessera.packs.upgrade import upgrade_pack

PACK = """format: 1
name: crm
version: {version}
tables:
  - key: customers
    name: 客户
    primary: {{key: name, name: 姓名}}
    fields:
      - {{key: owner, name: 负责人, type: user}}
      - {{key: grade, name: 等级, type: text}}
      - {{key: phone, name: 电话, type: text}}
      - {{key: note, name: 备注, type: text}}
  - key: calls
    name: 通话
    primary: {{key: topic, name: 主题}}
    fields:
      - {{key: caller, name: 拨打人, type: user}}
roles:
{roles}"""

V1_ROLES = """  - key: sales
    name: 销售
    role: editor
    row_rules: {customers: '{负责人} = CURRENT_USER()', calls: '{拨打人} = CURRENT_USER()'}
    field_permissions: {customers: {等级: read_only}}
  - key: phone
    name: 电话组
    role: commenter
    row_rules: {customers: '{等级} = "C"'}
    field_permissions: {customers: {备注: hidden}}
"""


def _pack(tmp_path: Path, name: str, version: str, roles: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(PACK.format(version=version, roles=roles), encoding="utf-8")
    return folder


def _issues(roles: str) -> list[tuple[int, int, str, str]]:
    _validated, issues = check_pack(load_text(PACK.format(version="1.0.0", roles=roles)))
    return [(i.line, i.column, i.path, i.message_en) for i in issues]


CASES = [
    ("two pack roles on one base role",
     "  - {key: a, name: A, role: editor}\n  - {key: b, name: B, role: editor}\n",
     (20, 29, "$.roles[1].role", "duplicate base role")),
    ("rules on an owner role",
     "  - {key: a, name: A, role: owner, row_rules: {customers: '{等级} = \"C\"'}}\n",
     (19, 29, "$.roles[0].role", "an owner role cannot have row rules")),
    ("a rule that is not TRUE/FALSE",
     "  - {key: a, name: A, role: viewer, row_rules: {customers: '{等级}'}}\n",
     (19, 60, "$.roles[0].row_rules.customers", "must give TRUE or FALSE")),
    ("a rule naming an unknown field",
     "  - {key: a, name: A, role: viewer, row_rules: {customers: '{年龄} > 3'}}\n",
     (19, 61, "$.roles[0].row_rules.customers", "Unknown field {年龄}")),
    ("a rule on an unknown table",
     "  - {key: a, name: A, role: viewer, row_rules: {orders: 'TRUE()'}}\n",
     (19, 57, "$.roles[0].row_rules.orders", "unknown table key 'orders'")),
    ("a permission on an unknown field",
     "  - {key: a, name: A, role: viewer, field_permissions: {customers: {年龄: hidden}}}\n",
     (19, 73, "$.roles[0].field_permissions.customers.年龄", "has no field '年龄'")),
    ("an unknown permission mode",
     "  - {key: a, name: A, role: viewer, field_permissions: {customers: {电话: secret}}}\n",
     (19, 73, "$.roles[0].field_permissions.customers.电话", "is not allowed")),
]


@pytest.mark.parametrize("roles, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_roles_are_reported_with_their_position(roles: str, expected: tuple) -> None:
    issues = _issues(roles)
    assert issues, "the pack should have been refused"
    assert issues[0][:3] == expected[:3], issues
    assert expected[3] in issues[0][3], issues


def test_row_rule_with_tables_is_shorthand_for_row_rules() -> None:
    validated, issues = check_pack(load_text(PACK.format(version="1.0.0", roles=(
        "  - {key: a, name: A, role: viewer, tables: [customers], row_rule: '{等级} = \"C\"'}\n"))))
    assert not issues and validated is not None
    assert validated.pack["roles"][0]["row_rules"] == {"customers": '{等级} = "C"'}


def _rules(engine: sa.Engine, base_id: int) -> dict[tuple[str, str], str]:
    return {(t.name, role): rule.formula for t in schema.list_tables(engine, base_id)
            for role, rule in access.row_rules(engine, t.id).items()}


def _perms(engine: sa.Engine, base_id: int) -> dict[tuple[str, str, str], str]:
    out = {}
    for t in schema.list_tables(engine, base_id):
        names = {f.id: f.name for f in t.fields}
        for role in ("editor", "commenter", "viewer"):
            out.update({(t.name, names[f], role): m
                        for f, m in access.field_permissions(engine, t.id, role).items()})
    return out


V1_RULES = {("客户", "editor"): "{负责人} = CURRENT_USER()",
            ("通话", "editor"): "{拨打人} = CURRENT_USER()", ("客户", "commenter"): '{等级} = "C"'}
V1_PERMS = {("客户", "等级", "editor"): "read_only", ("客户", "备注", "commenter"): "hidden"}


def test_install_writes_rules_and_export_writes_the_live_ones_back(engine, tmp_path) -> None:
    result = install(engine, _pack(tmp_path, "v1", "1.0.0", V1_ROLES), "客户库")
    assert (_rules(engine, result.base_id), _perms(engine, result.base_id)) == (V1_RULES, V1_PERMS)
    customers = result.table_id("customers")
    access.set_row_rule(engine, customers, "commenter", 'OR({等级} = "C", {等级} = "D")')
    access.set_field_permission(engine, result.field_id("customers", "phone"), "commenter",
                                "hidden")
    roles = {r["key"]: r for r in export_base(engine, result.base_id)["roles"]}
    assert roles["phone"]["row_rules"] == {"customers": 'OR({等级} = "C", {等级} = "D")'}
    assert roles["phone"]["field_permissions"] == {"customers": {"电话": "hidden", "备注": "hidden"}}
    assert roles["sales"]["row_rules"] == {"customers": "{负责人} = CURRENT_USER()",
                                          "calls": "{拨打人} = CURRENT_USER()"}
    copy = install(engine, write_pack(export_base(engine, result.base_id), tmp_path / "out").parent,
                   "副本")
    assert _rules(engine, copy.base_id) == {**V1_RULES,
                                            ("客户", "commenter"): 'OR({等级} = "C", {等级} = "D")'}
    assert _perms(engine, copy.base_id) == {**V1_PERMS, ("客户", "电话", "commenter"): "hidden"}


V2_ROLES = """  - key: sales
    name: 销售
    role: editor
    row_rules: {customers: 'OR({负责人} = CURRENT_USER(), {等级} = "S")', calls: '{拨打人} = CURRENT_USER()'}
    field_permissions: {customers: {等级: read_only, 电话: read_only}}
  - key: phone
    name: 电话组
    role: commenter
    row_rules: {customers: '{等级} = "B"'}
    field_permissions: {customers: {备注: hidden}}
  - key: audit
    name: 审计
    role: viewer
    field_permissions: {customers: {电话: hidden}}
"""


def test_upgrade_keeps_admin_edits_and_reports_conflicts(engine, tmp_path) -> None:
    result = install(engine, _pack(tmp_path, "v1", "1.0.0", V1_ROLES), "客户库")
    customers = result.table_id("customers")
    access.set_row_rule(engine, customers, "commenter", '{等级} = "D"')     # the admin's edit
    report = upgrade_pack(engine, _pack(tmp_path, "v2", "2.0.0", V2_ROLES), result.base_id)
    actions = {(i.kind, i.key): i.action for i in report.items}
    assert actions == {("role", "sales"): "update", ("role", "phone"): "conflict",
                       ("role", "audit"): "add"}
    conflict = report.conflicts[0]
    assert conflict.ours["row_rules"]["customers"] == '{@grade} = "D"'
    assert conflict.theirs["row_rules"]["customers"] == '{@grade} = "B"'
    assert "role phone: CONFLICT" in report.render()
    assert _rules(engine, result.base_id) == {
        ("客户", "editor"): 'OR({负责人} = CURRENT_USER(), {等级} = "S")',
        ("通话", "editor"): "{拨打人} = CURRENT_USER()", ("客户", "commenter"): '{等级} = "D"'}
    assert _perms(engine, result.base_id) == {
        ("客户", "等级", "editor"): "read_only", ("客户", "电话", "editor"): "read_only",
        ("客户", "备注", "commenter"): "hidden", ("客户", "电话", "viewer"): "hidden"}
    again = upgrade_pack(engine, _pack(tmp_path, "v2b", "2.0.0", V2_ROLES), result.base_id,
                         dry_run=True)
    assert [(i.kind, i.key, i.action) for i in again.items] == []


def test_removing_a_role_clears_its_rules_and_assignments_use_its_base_role(engine, tmp_path,
                                                                          ) -> None:
    from tessera.auth.users import create_user

    result = install(engine, _pack(tmp_path, "v1", "1.0.0", V1_ROLES), "客户库")
    uid = create_user(engine, "小王", "password-小王-123")
    member = assign_role(engine, result.base_id, "电话组", "小王")
    assert (member.role_key, member.base_role, member.user_id) == ("phone", "commenter", uid)
    assert access.list_members(engine, result.base_id)[-1].role == "commenter"
    only_sales = V1_ROLES.split("  - key: phone")[0]
    report = upgrade_pack(engine, _pack(tmp_path, "v2", "2.0.0", only_sales), result.base_id)
    assert [(i.kind, i.key, i.action) for i in report.items] == [("role", "phone", "remove")]
    assert ("客户", "commenter") not in _rules(engine, result.base_id)
    assert ("客户", "备注", "commenter") not in _perms(engine, result.base_id)
    assert role_members(engine, result.base_id) == []     # commenter is no pack role any more
