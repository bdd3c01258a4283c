"""Every field type: parsing of good and bad input, storage round trip, display text."""

from __future__ import annotations

import itertools

import pytest

from tessera import schema_ops as schema
from tessera.errors import FieldValueError, ReadOnlyFieldError, RecordValidationError
from tessera.fields import REGISTRY, get_field_type
from tessera.records import RecordService

SELECT = {"choices": [{"label": "VIP", "color": "red"}, {"label": "New", "color": "blue"}]}

# (type, options, input, stored API value, display text)
GOOD = [
    ("text", None, "  hello  ", "hello", "hello"),
    ("text", None, 42, "42", "42"),
    ("text", None, "two\nlines", "two lines", "two lines"),
    ("long_text", None, "two\nlines", "two\nlines", "two\nlines"),
    ("number", None, "1,234.50", 1234.5, "1,234.50"),
    ("number", None, "１２３", 123.0, "123.00"),
    ("number", None, "-7", -7.0, "-7.00"),
    ("number", None, "(1,000)", -1000.0, "-1,000.00"),
    ("number", None, 3, 3.0, "3.00"),
    ("number", {"precision": 0}, "1e3", 1000.0, "1,000"),
    ("currency", None, "¥1,234", 1234.0, "¥1,234.00"),
    ("currency", {"symbol": "$", "precision": 2}, "$12", 12.0, "$12.00"),
    ("currency", None, "-¥5", -5.0, "-¥5.00"),
    ("currency", None, "1234元", 1234.0, "¥1,234.00"),
    ("percent", None, "50%", 0.5, "50%"),
    ("percent", None, "12.5", 0.125, "12%"),
    ("percent", {"precision": 1}, 0.125, 0.125, "12.5%"),
    ("number", None, "50%", 0.5, "0.50"),
    ("checkbox", None, "是", True, "✓"),
    ("checkbox", None, "否", False, ""),
    ("checkbox", None, "TRUE", True, "✓"),
    ("checkbox", None, "false", False, ""),
    ("checkbox", None, "√", True, "✓"),
    ("checkbox", None, True, True, "✓"),
    ("date", None, "2024/1/5", "2024-01-05", "2024-01-05"),
    ("date", None, "2024-01-05", "2024-01-05", "2024-01-05"),
    ("date", None, "2024年1月5日", "2024-01-05", "2024-01-05"),
    ("date", None, "２０２４年１２月３１日", "2024-12-31", "2024-12-31"),
    ("date", None, 45296, "2024-01-05", "2024-01-05"),
    ("date", None, "45296", "2024-01-05", "2024-01-05"),
    ("date", None, "20240105", "2024-01-05", "2024-01-05"),
    ("datetime", None, "2024-01-05 10:30", "2024-01-05T10:30:00Z", "2024-01-05 10:30"),
    ("datetime", None, "2024-01-05T10:30:00+08:00", "2024-01-05T02:30:00Z", "2024-01-05 02:30"),
    ("datetime", {"timezone": "Asia/Shanghai"}, "2024/1/5 10:30", "2024-01-05T02:30:00Z",
     "2024-01-05 10:30"),
    ("datetime", None, 45296.5, "2024-01-05T12:00:00Z", "2024-01-05 12:00"),
    ("datetime", None, "2024年1月5日 8:05", "2024-01-05T08:05:00Z", "2024-01-05 08:05"),
    ("single_select", SELECT, "vip", "VIP", "VIP"),
    ("single_select", SELECT, ["New"], "New", "New"),
    ("multi_select", SELECT, "VIP, New", ["VIP", "New"], "VIP, New"),
    ("multi_select", SELECT, ["new", "New", "VIP"], ["New", "VIP"], "New, VIP"),
    ("multi_select", SELECT, "VIP，New", ["VIP", "New"], "VIP, New"),
    ("email", None, " li@example.cn ", "li@example.cn", "li@example.cn"),
    ("phone", None, "+86 138 0013 8000", "+86 138 0013 8000", "+86 138 0013 8000"),
    ("phone", None, "０１０－１２３４５６７８", "010-12345678", "010-12345678"),
    ("url", None, "example.com/a?b=1", "https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("url", None, "http://clinic.cn", "http://clinic.cn", "http://clinic.cn"),
    ("text", None, "", None, ""),
    ("number", None, None, None, ""),
]

# (type, options, bad input, fragment of the expected form in English, in Chinese)
BAD = [
    ("number", None, "abc", "a number", "数字"),
    ("number", None, "1,23.4", "a number", "数字"),
    ("number", None, "12..5", "a number", "数字"),
    ("currency", None, "¥abc", "an amount", "金额"),
    ("percent", None, "%", "a percentage", "百分比"),
    ("checkbox", None, "maybe", "yes/no", "是/否"),
    ("date", None, "2024-13-01", "a date like 2024-01-05", "日期"),
    ("date", None, "next tuesday", "a date like 2024-01-05", "日期"),
    ("date", None, True, "a date like 2024-01-05", "日期"),
    ("datetime", None, "2024-01-05 25:99", "a date and time", "日期时间"),
    ("single_select", SELECT, "Gold", "one of: VIP, New", "VIP, New"),
    ("single_select", SELECT, ["VIP", "New"], "one of: VIP, New", "VIP, New"),
    ("multi_select", SELECT, "VIP, Gold", "options from: VIP, New", "VIP, New"),
    ("email", None, "li@", "an email address", "邮箱"),
    ("phone", None, "call me", "a phone number", "电话"),
    ("url", None, "not a url", "a web address", "网址"),
]

_counter = itertools.count()


@pytest.fixture(scope="module")
def case_table(shared_engine, shared_base):
    return schema.create_table(shared_engine, shared_base, "Field cases").id


def _case_id(case):
    return f"{case[0]}-{case[2]!r}"


@pytest.mark.parametrize("case", GOOD, ids=[_case_id(c) for c in GOOD])
def test_good_input_round_trips(shared_engine, case_table, case):
    type_, options, raw, expected, display = case
    field = schema.add_field(shared_engine, case_table, f"c{next(_counter)}", type_, options)
    svc = RecordService(shared_engine)
    record = svc.create(case_table, {field.id: raw})
    assert record["fields"][field.name] == expected
    again = svc.get(case_table, record["id"])
    assert again["fields"][field.name] == expected
    stored = field.field_type.parse(raw, field)
    assert field.field_type.display(stored, field) == display


@pytest.mark.parametrize("case", BAD, ids=[_case_id(c) for c in BAD])
def test_bad_input_names_field_value_and_form(shared_engine, case_table, case):
    type_, options, raw, fragment_en, fragment_zh = case
    field = schema.add_field(shared_engine, case_table, f"c{next(_counter)}", type_, options)
    svc = RecordService(shared_engine)
    with pytest.raises(RecordValidationError) as info:
        svc.create(case_table, {field.name: raw})
    [error] = info.value.errors
    assert isinstance(error, FieldValueError)
    assert error.field == field.name and error.value == raw
    assert fragment_en in error.message("en") and field.name in error.message("en")
    assert fragment_zh in error.message("zh") and "应为" in error.message("zh")


@pytest.mark.parametrize("type_", ["lookup", "rollup", "autonumber", "created_time",
                                   "modified_time", "formula"])
def test_computed_types_refuse_input(shared_engine, case_table, type_):
    field = schema.add_field(shared_engine, case_table, f"c{next(_counter)}", type_)
    assert field.read_only
    with pytest.raises(RecordValidationError) as info:
        RecordService(shared_engine).create(case_table, {field.name: "x"})
    assert isinstance(info.value.errors[0], ReadOnlyFieldError)


def test_system_fields_are_filled(shared_engine, shared_base):
    table = schema.create_table(shared_engine, shared_base, f"System {next(_counter)}")
    auto = schema.add_field(shared_engine, table.id, "No.", "autonumber")
    created = schema.add_field(shared_engine, table.id, "Created", "created_time")
    modified = schema.add_field(shared_engine, table.id, "Modified", "modified_time")
    svc = RecordService(shared_engine)
    first = svc.create(table.id, {"Name": "a"})
    second = svc.create(table.id, {"Name": "b"})
    assert [first["fields"][auto.name], second["fields"][auto.name]] == [first["id"], second["id"]]
    assert second["fields"][auto.name] > first["fields"][auto.name]
    assert first["fields"][created.name] == first["created_at"]
    assert first["fields"][modified.name] == first["updated_at"]


def test_registry_declares_everything():
    expected = {"text", "long_text", "number", "currency", "percent", "checkbox", "date",
                "datetime", "single_select", "multi_select", "email", "phone", "url", "link",
                "lookup", "rollup", "autonumber", "created_time", "modified_time", "formula",
                "user"}
    assert set(REGISTRY) == expected
    for name, field_type in REGISTRY.items():
        assert field_type.name == name
        assert field_type.label_en and field_type.label_zh
        assert field_type.value_kind(field_type.default_options()) in (
            "number", "text", "boolean", "date", "datetime", "list")
    assert get_field_type("percent").value_kind({}) == "number"
    assert get_field_type("formula").value_kind({"result_type": "date"}) == "date"
