"""Validation: a table of bad packs → the message, the file position and the JSON path of
each problem (schema errors, reference errors, formula type errors), in English and Chinese."""

from __future__ import annotations

import json

import pytest

from tessera.packs import PackValidationError, check_pack, load_pack, load_text, validate
from tessera.packs.jsonschema_check import pack_schema

from .conftest import GYM, SHOP_V1, SHOP_V2

HEAD = "format: 1\nname: t\nversion: 1.0.0\n"
TABLE = """tables:
  - key: customers
    name: 客户
    primary: {key: name, name: 姓名}
    fields:
      - {key: spend, name: 消费, type: number}
      - {key: born, name: 生日, type: date}
"""


def _issues(text: str) -> list[tuple[int, int, str, str]]:
    try:
        source = load_text(text)
    except PackValidationError as exc:  # not even YAML
        return [(i.line, i.column, i.path, i.message_en) for i in exc.issues]
    validated, issues = check_pack(source)
    assert (validated is None) == bool(issues)
    return [(i.line, i.column, i.path, i.message_en) for i in issues]


# (case, pack text, expected (line, column, path, message fragment) of the first problem)
CASES = [
    ("missing version", "format: 1\nname: t\n" + TABLE,
     (1, 1, "$", "'version' is required")),
    ("version read as a number", "format: 1\nname: t\nversion: 1.0\n" + TABLE,
     (3, 10, "$.version", "must be of type string")),
    ("bad pack name", "format: 1\nname: My Pack\nversion: 1.0.0\n" + TABLE,
     (2, 7, "$.name", "does not have the required form")),
    ("wrong format", "format: 2\nname: t\nversion: 1.0.0\n" + TABLE,
     (1, 9, "$.format", "must be 1")),
    ("unknown top-level key", HEAD + "colour: red\n" + TABLE,
     (4, 9, "$.colour", "unknown key 'colour'")),
    ("unknown field type", HEAD + TABLE + "      - {key: x, name: X, type: money}\n",
     (11, 33, "$.tables[0].fields[2].type", "'money' is not allowed")),
    ("formula without text", HEAD + TABLE + "      - {key: x, name: X, type: formula}\n",
     (11, 9, "$.tables[0].fields[2]", "'options' is required")),
    ("link without target", HEAD + TABLE + "      - {key: x, name: X, type: link, options: {}}\n",
     (11, 48, "$.tables[0].fields[2].options", "'target' is required")),
    ("no tables", HEAD + "tables: []\n", (4, 9, "$.tables", "must not be empty")),
    ("duplicate field name", HEAD + TABLE + "      - {key: spend2, name: 消费, type: text}\n",
     (11, 29, "$.tables[0].fields[2].name", "duplicate field name in table 'customers'")),
    ("duplicate table key", HEAD + TABLE + "  - {key: customers, name: 别的, primary: {name: 名}}\n",
     (11, 11, "$.tables[1].key", "duplicate table key 'customers'")),
    ("link target missing",
     HEAD + TABLE + "      - {key: x, name: X, type: link, options: {target: orders}}\n",
     (11, 57, "$.tables[0].fields[2].options.target", "unknown table key 'orders'")),
    ("rollup over a field the target lacks",
     HEAD + TABLE + "      - {key: ref, name: 介绍人, type: link, options: {target: customers}}\n"
     "      - {key: n, name: N, type: rollup, options: {link: 介绍人, field: 金额}}\n",
     (12, 69, "$.tables[0].fields[3].options.field", "has no field '金额'")),
    ("lookup through a non-link",
     HEAD + TABLE + "      - {key: n, name: N, type: lookup, options: {link: 消费, field: 姓名}}\n",
     (11, 57, "$.tables[0].fields[2].options.link", "needs a link field")),
    ("unknown option of a field type",
     HEAD + TABLE + "      - {key: x, name: X, type: number, options: {digits: 2}}\n",
     (11, 59, "$.tables[0].fields[2].options.digits", "takes no option 'digits'")),
    ("formula: unknown field",
     HEAD + TABLE + "      - {key: x, name: X, type: formula, options: {formula: '{消费} + {年龄}'}}\n",
     (11, 69, "$.tables[0].fields[2].options.formula", "Unknown field {年龄}")),
    ("formula: type error (text and date branches)",
     HEAD + TABLE + "      - {key: x, name: X, type: formula, options: "
     "{formula: 'IF({消费} > 0, {生日}, 5)'}}\n",
     (11, 81, "$.tables[0].fields[2].options.formula", "mix dates and numbers")),
    ("formula: unknown function",
     HEAD + TABLE + "      - {key: x, name: X, type: formula, options: {formula: 'FOO({消费})'}}\n",
     (11, 62, "$.tables[0].fields[2].options.formula", "Unknown function FOO — did you mean FLOOR?")),
    ("formula: syntax error",
     HEAD + TABLE + "      - {key: x, name: X, type: formula, options: {formula: '1 +'}}\n",
     (11, 65, "$.tables[0].fields[2].options.formula", "formula error at column 4")),
    ("formula: type error in a block scalar",
     HEAD + TABLE + "      - key: x\n        name: X\n        type: formula\n        options:\n"
     "          formula: |\n            IF({消费} > 0,\n               {生日} + {姓名} * 2, 0)\n",
     (17, 33, "$.tables[0].fields[2].options.formula", "formula error at column 21")),
    ("formula: reading a formula that fails is not reported twice",
     HEAD + TABLE + "      - {key: a, name: A, type: formula, options: {formula: '{没有}'}}\n"
     "      - {key: b, name: B, type: formula, options: {formula: '{A} + 1'}}\n",
     (11, 62, "$.tables[0].fields[2].options.formula", "Unknown field {没有}")),
    ("formula: reference cycle",
     HEAD + TABLE + "      - {key: a, name: A, type: formula, options: {formula: '{B} + 1'}}\n"
     "      - {key: b, name: B, type: formula, options: {formula: '{A} + 1'}}\n",
     (11, 9, "$.tables[0].fields[2]", "reference cycle: customers.a → customers.b → customers.a")),
    ("view on an unknown table", HEAD + TABLE + "views:\n  - {key: v, table: orders, name: V}\n",
     (12, 21, "$.views[0].table", "unknown table key 'orders'")),
    ("view filter on an unknown field",
     HEAD + TABLE + "views:\n  - {key: v, table: customers, name: V, filter: {field: 年龄, op: '>', value: 1}}\n",
     (12, 57, "$.views[0].filter.field", "has no field '年龄'")),
    ("view filter operator that does not fit the field",
     HEAD + TABLE + "views:\n  - {key: v, table: customers, name: V, filter: {field: 生日, op: contains, value: x}}\n",
     (12, 49, "$.views[0].filter", "Operator 'contains' does not apply")),
    ("view hides the primary field",
     HEAD + TABLE + "views:\n  - {key: v, table: customers, name: V, hidden: [姓名]}\n",
     (12, 50, "$.views[0].hidden[0]", "primary field cannot be hidden")),
    ("widget on a view of another table",
     HEAD + TABLE + "  - {key: orders, name: 订单, primary: {name: 号}}\n"
     "views:\n  - {key: v, table: customers, name: V}\n"
     "dashboards:\n  - {key: d, name: D, widgets: [{type: number, table: orders, view: v}]}\n",
     (15, 69, "$.dashboards[0].widgets[0].view", "no view with key 'v' on table 'orders'")),
    ("widget sum without a field",
     HEAD + TABLE + "dashboards:\n  - {key: d, name: D, widgets: [{type: bar, table: customers, aggregate: sum}]}\n",
     (12, 33, "$.dashboards[0].widgets[0]", "'field' is required")),
    ("automation formula reads an unknown field",
     HEAD + TABLE + "automations:\n  - {key: a, name: A, table: customers, trigger: {type: condition_true, "
     "options: {formula: '{年龄} > 3'}}, actions: []}\n",
     (12, 93, "$.automations[0].trigger.options.formula", "Unknown field {年龄}")),
    ("automation with an unknown trigger",
     HEAD + TABLE + "automations:\n  - {key: a, name: A, table: customers, trigger: {type: hourly}, actions: []}\n",
     (12, 57, "$.automations[0].trigger.type", "unknown trigger 'hourly'")),
    ("automation action writes an unknown field",
     HEAD + TABLE + "automations:\n  - {key: a, name: A, table: customers, trigger: {type: record_created}, "
     "actions: [{type: update_record, options: {values: {积分: 1}}}]}\n",
     (12, 129, "$.automations[0].actions[0].options.values.积分", "has no field '积分'")),
    ("automation creates a record in an unknown table",
     HEAD + TABLE + "automations:\n  - {key: a, name: A, table: customers, trigger: {type: record_created}, "
     "actions: [{type: create_record, options: {table: tasks}}]}\n",
     (12, 123, "$.automations[0].actions[0].options.table", "unknown table key 'tasks'")),
    ("automation action with an unknown option",
     HEAD + TABLE + "automations:\n  - {key: a, name: A, table: customers, trigger: {type: record_created}, "
     "actions: [{type: notify, options: {users: [a], message: hi, urgent: true}}]}\n",
     (12, 108, "$.automations[0].actions[0].options", "unknown option 'urgent'")),
    ("role limited to an unknown table",
     HEAD + TABLE + "roles:\n  - {key: r, name: R, role: viewer, tables: [customers, orders]}\n",
     (12, 57, "$.roles[0].tables[1]", "unknown table key 'orders'")),
    ("role with an unknown role", HEAD + TABLE + "roles:\n  - {key: r, name: R, role: boss}\n",
     (12, 29, "$.roles[0].role", "'boss' is not allowed")),
    ("YAML syntax error", HEAD + "tables:\n  - key: [unclosed\n", (6, 1, "$", "not valid YAML")),
    ("not a mapping", "- just\n- a list\n", (1, 1, "$", "must be a mapping")),
    ("control character", HEAD + "title: a\x07b\n" + TABLE,
     (4, 9, "$", "the control character U+0007 is not allowed")),
    ("duplicate YAML key", HEAD + "name: again\n" + TABLE,
     (4, 1, "$.name", "the key 'name' appears twice")),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_pack_is_reported_with_its_position(text: str, expected: tuple[int, int, str, str]) -> None:
    issues = _issues(text)
    assert issues, "the pack should have been refused"
    line, column, path, fragment = issues[0]
    assert (line, column, path) == expected[:3], issues
    assert expected[3] in issues[0][3], issues


def test_messages_name_file_line_column_and_path_in_both_languages() -> None:
    with pytest.raises(PackValidationError) as info:
        validate(load_text(HEAD + TABLE + "      - {key: x, name: X, type: formula, "
                           "options: {formula: '{消费} + {年龄}'}}\n"))
    issue = info.value.issues[0]
    assert issue.message("en") == ("pack.yaml:11:69: $.tables[0].fields[2].options.formula: "
                                   "formula error at column 8 of the formula: Unknown field {年龄}")
    assert issue.message("zh-CN").startswith("pack.yaml:11:69: $.tables[0].fields[2].options."
                                             "formula: 公式第 8 列有误：未知字段 {年龄}")
    assert info.value.details["issues"][0]["line"] == 11
    assert "nothing was changed" in info.value.message_en and "未做任何修改" in info.value.message_zh


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = (HEAD + TABLE + "      - {key: a, name: A, type: formula, options: {formula: '{没有}'}}\n"
            "      - {key: b, name: B, type: link, options: {target: nowhere}}\n"
            "views:\n  - {key: v, table: customers, name: V, sort: [{field: 无}]}\n")
    paths = [i[2] for i in _issues(text)]
    assert paths == ["$.tables[0].fields[2].options.formula", "$.tables[0].fields[3].options.target",
                     "$.views[0].sort[0].field"]


def test_locale_overlay_with_an_unknown_table_is_reported() -> None:
    source = load_text(HEAD + TABLE, locales={"en": "tables:\n  orders: {label: Orders}\n"})
    _, issues = check_pack(source)
    assert [(i.file, i.path) for i in issues] == [("locales/en.yaml", "$.tables.orders")]


def test_locale_overlay_fills_labels() -> None:
    source = load_text(HEAD + TABLE, locales={
        "en": "tables:\n  customers:\n    label: Customers\n    fields: {spend: Spend}\n"})
    table = validate(source).pack["tables"][0]
    assert table["labels"] == {"en": "Customers"}
    assert table["fields"][0]["labels"] == {"en": "Spend"}


@pytest.mark.parametrize("folder", [SHOP_V1, SHOP_V2, GYM], ids=lambda p: p.name)
def test_shipped_and_test_packs_are_valid(folder) -> None:
    validated = validate(load_pack(folder))
    assert validated.pack["tables"]


def test_computed_fields_are_ordered_after_what_they_read() -> None:
    order = [f.name for f in validate(load_pack(GYM)).computed_order]
    assert order.index("近30天") < order.index("近30天到店")
    assert order.index("最近到期日") < order.index("剩余天数") < order.index("状态")


def test_schema_lists_every_field_type_of_the_registry() -> None:
    from tessera.fields import REGISTRY

    enum = pack_schema()["$defs"]["field"]["properties"]["type"]["enum"]
    assert sorted(enum) == sorted(REGISTRY)


def test_schema_is_valid_json_schema_2020_12() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(pack_schema())
    assert pack_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_json_text_is_accepted_too() -> None:
    data = {"format": 1, "name": "j", "version": "0.1.0",
            "tables": [{"key": "a", "name": "A", "primary": {"name": "N"}}]}
    assert validate(load_text(json.dumps(data))).pack["tables"][0]["primary"]["key"] == "N"
