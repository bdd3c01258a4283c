"""Row rules and field permissions as saved: rules are type-checked against the table (bad
ones refused with the formula error, in both languages), stored in id form so renames keep
them working, and owners cannot be restricted."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tessera import access
from tessera import schema_ops as schema
from tessera.errors import SchemaError
from tessera.query import query_records

from .conftest import Person

# (rule, error code or None when valid)
RULES = [
    ("{负责人} = CURRENT_USER()", None),
    ('{等级} = "C"', None),
    ('OR({等级} = "C", ISMEMBER("主管"))', None),
    ("AND({金额} > 100, {负责人} = CURRENT_USER())", None),
    ("{金额}", "invalid_rule"),                      # a number, not TRUE/FALSE
    ('"C"', "invalid_rule"),
    ("{不存在} = 1", "invalid_rule"),                  # unknown field
    ("{负责人} = ", "invalid_rule"),                   # syntax
    ("SUM(", "invalid_rule"),
]


@pytest.fixture(scope="module")
def table(engine: Engine) -> schema.TableInfo:
    base = schema.create_base(engine, "规则")
    return schema.create_table(engine, base.id, "顾客", primary_field="姓名", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("等级", "text"),
        schema.FieldSpec("金额", "number")])


@pytest.mark.parametrize(("rule", "code"), RULES, ids=[r for r, _ in RULES])
def test_rules_are_checked_when_saved(engine: Engine, table: schema.TableInfo, rule: str,
                                      code: str | None) -> None:
    if code is None:
        saved = access.set_row_rule(engine, table.id, "viewer", rule)
        assert saved is not None and saved.formula == rule
        assert access.row_rules(engine, table.id)["viewer"].formula == rule
        return
    with pytest.raises(SchemaError) as info:
        access.set_row_rule(engine, table.id, "viewer", rule)
    assert info.value.code == code
    assert "row rule" in info.value.message("en") and "行规则" in info.value.message("zh")


def test_owner_cannot_be_restricted(engine: Engine, table: schema.TableInfo) -> None:
    with pytest.raises(SchemaError):
        access.set_row_rule(engine, table.id, "owner", "{金额} > 1")
    with pytest.raises(SchemaError):
        access.set_field_permission(engine, table.field("金额").id, "owner", "hidden")


def test_unknown_field_permission_mode(engine: Engine, table: schema.TableInfo) -> None:
    with pytest.raises(SchemaError) as info:
        access.set_field_permission(engine, table.field("金额").id, "viewer", "secret")
    assert info.value.code == "invalid_field_permission"


def test_renaming_a_field_keeps_the_rule(engine: Engine, people: dict[str, Person]) -> None:
    base = schema.create_base(engine, "改名")
    t = schema.create_table(engine, base.id, "单", fields=[schema.FieldSpec("级", "text")])
    access.grant(engine, base.id, "viewer", user_id=people["viewer"].user_id)
    access.set_row_rule(engine, t.id, "viewer", '{级} = "C"')
    from tessera.records import RecordService

    RecordService(engine).bulk_create(t.id, [{"Name": "a", "级": "C"}, {"Name": "b", "级": "A"}])
    schema.rename_field(engine, t.field("级").id, "等级")
    assert access.row_rules(engine, t.id)["viewer"].formula == '{等级} = "C"'
    rows = query_records(engine, t.id, principal=people["viewer"].principal).rows
    assert [r["fields"]["Name"] for r in rows] == ["a"]


def test_clearing_a_rule_shows_every_row_again(engine: Engine, people: dict[str, Person]) -> None:
    base = schema.create_base(engine, "清除")
    t = schema.create_table(engine, base.id, "单", fields=[schema.FieldSpec("级", "text")])
    access.grant(engine, base.id, "viewer", user_id=people["viewer"].user_id)
    from tessera.records import RecordService

    RecordService(engine).bulk_create(t.id, [{"Name": "a", "级": "C"}, {"Name": "b", "级": "A"}])
    access.set_row_rule(engine, t.id, "viewer", '{级} = "C"')
    viewer = people["viewer"].principal
    assert query_records(engine, t.id, principal=viewer).total == 1
    assert access.set_row_rule(engine, t.id, "viewer", None) is None
    assert query_records(engine, t.id, principal=viewer).total == 2


def test_rule_with_a_group(engine: Engine, people: dict[str, Person]) -> None:
    """The phone team sees class-C customers; a supervisor group sees all (ISMEMBER)."""
    from tessera.auth.users import add_member, create_group
    from tessera.records import RecordService

    base = schema.create_base(engine, "电话组")
    t = schema.create_table(engine, base.id, "顾客", fields=[schema.FieldSpec("价值分级", "text")])
    access.grant(engine, base.id, "viewer", user_id=people["viewer"].user_id)
    access.set_row_rule(engine, t.id, "viewer", 'OR({价值分级} = "C", ISMEMBER("主管组' +
                        str(base.id) + '"))')
    RecordService(engine).bulk_create(t.id, [{"Name": "c1", "价值分级": "C"},
                                             {"Name": "a1", "价值分级": "A"}])
    viewer = people["viewer"].principal
    assert [r["fields"]["Name"] for r in query_records(engine, t.id, principal=viewer).rows] == [
        "c1"]
    group = create_group(engine, f"主管组{base.id}")
    add_member(engine, group, viewer.user_id)
    assert query_records(engine, t.id, principal=viewer).total == 2


@pytest.mark.parametrize("rule", [
    "{负责人} = CURRENT_USER()", "CURRENT_USER() = {负责人}", "{金额} = 5", "{金额} = 0",
    'AND({负责人} = CURRENT_USER(), {等级} = "C")', "OR({负责人} = CURRENT_USER(), {金额} = 5)",
])
def test_index_hints_never_change_the_rows(engine: Engine, people: dict[str, Person],
                                           monkeypatch: pytest.MonkeyPatch, rule: str) -> None:
    """The planner hints added to a rule are implied by it: same rows with and without."""
    from tessera.access import scope as scope_module
    from tessera.records import RecordService

    base = schema.create_base(engine, "提示")
    t = schema.create_table(engine, base.id, "单", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("等级", "text"),
        schema.FieldSpec("金额", "number")])
    viewer = people["viewer"]
    RecordService(engine).bulk_create(t.id, [
        {"Name": "mine", "负责人": viewer.user_id, "等级": "C", "金额": 5},
        {"Name": "mine-a", "负责人": viewer.user_id, "等级": "A"},
        {"Name": "other", "负责人": people["owner"].user_id, "金额": 0},
        {"Name": "nobody", "金额": None}])
    access.grant(engine, base.id, "viewer", user_id=viewer.user_id)
    access.set_row_rule(engine, t.id, "viewer", rule)

    def names() -> list[str]:
        return sorted(r["fields"]["Name"] for r in query_records(
            engine, t.id, principal=viewer.principal).rows)

    hinted = names()
    monkeypatch.setattr(scope_module, "_index_hints", lambda *args: [])
    assert names() == hinted
