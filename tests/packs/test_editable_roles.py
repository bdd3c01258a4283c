"""The ``editable`` field permission in the pack format: validated (accepted on plain fields,
refused on computed ones with its position), installed, exported and reinstalled unchanged,
and added to a role by an upgrade (issue 7: the clinic's phone team)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera import access
from tessera import schema_ops as schema
from tessera.packs import check_pack, load_text
from tessera.packs.export import export_base, write_pack
from tessera.packs.install import install
from tessera.packs.upgrade import upgrade_pack

PACK = """format: 1
name: tasks
version: {version}
tables:
  - key: tasks
    name: 任务
    primary: {{key: title, name: 标题}}
    fields:
      - {{key: owner, name: 负责人, type: user}}
      - {{key: status, name: 状态, type: text}}
      - {{key: result, name: 结果, type: long_text}}
      - {{key: open, name: 未结束, type: formula, options: {{formula: '{{状态}} = "待办"'}}}}
roles:
  - key: phone
    name: 电话组
    role: commenter
    row_rules: {{tasks: '{{负责人}} = CURRENT_USER()'}}
{permissions}"""

V1 = ""
V2 = "    field_permissions: {tasks: {状态: editable, 结果: editable}}\n"


def _text(version: str, permissions: str) -> str:
    return PACK.format(version=version, permissions=permissions)


def _folder(tmp_path: Path, name: str, version: str, permissions: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(_text(version, permissions), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("permissions", "expected"), [
    (V2, None),
    ("    field_permissions: {tasks: {结果: editable, 标题: read_only}}\n", None),
    ("    field_permissions: {tasks: {未结束: editable}}\n",
     (18, 38, "$.roles[0].field_permissions.tasks.未结束", "is computed")),
    ("    field_permissions: {tasks: {状态: writable}}\n",
     (18, 37, "$.roles[0].field_permissions.tasks.状态", "is not allowed")),
], ids=["editable", "mixed", "computed", "unknown mode"])
def test_editable_is_validated(permissions: str, expected: tuple | None) -> None:
    validated, issues = check_pack(load_text(_text("1.0.0", permissions)))
    found = [(i.line, i.column, i.path, i.message_en, i.message_zh) for i in issues]
    if expected is None:
        assert found == [] and validated is not None
        return
    assert found, "the pack should have been refused"
    assert found[0][:3] == expected[:3], found
    assert expected[3] in found[0][3] and found[0][4], found


def _perms(engine: sa.Engine, table_id: int) -> dict[str, str]:
    names = {f.id: f.name for f in schema.get_table(engine, table_id).fields}
    return {names[f]: m for f, m in access.field_permissions(engine, table_id, "commenter").items()}


def test_install_export_and_reinstall_keep_editable(engine, tmp_path) -> None:
    result = install(engine, _folder(tmp_path, "v2", "1.1.0", V2), "任务库")
    assert _perms(engine, result.table_id("tasks")) == {"状态": "editable", "结果": "editable"}
    exported = export_base(engine, result.base_id)
    assert exported["roles"][0]["field_permissions"] == {
        "tasks": {"状态": "editable", "结果": "editable"}}
    copy = install(engine, write_pack(exported, tmp_path / "out").parent, "副本")
    assert _perms(engine, copy.table_id("tasks")) == {"状态": "editable", "结果": "editable"}


def test_upgrade_adds_the_editable_fields(engine, tmp_path) -> None:
    result = install(engine, _folder(tmp_path, "v1", "1.0.0", V1), "任务库")
    tasks = result.table_id("tasks")
    assert _perms(engine, tasks) == {}
    report = upgrade_pack(engine, _folder(tmp_path, "v2", "1.1.0", V2), result.base_id)
    assert [(i.kind, i.key, i.action) for i in report.items] == [("role", "phone", "update")]
    assert _perms(engine, tasks) == {"状态": "editable", "结果": "editable"}
    again = upgrade_pack(engine, _folder(tmp_path, "v2b", "1.1.0", V2), result.base_id,
                         dry_run=True)
    assert again.items == []
