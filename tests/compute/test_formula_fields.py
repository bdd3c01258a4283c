"""Adding formula, lookup and rollup fields: checked, typed, filled for every record."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.compute import preview_formula
from tessera.errors import SchemaError
from tessera.fields.computed import error_column_name
from tessera.formula import FormulaError

RESULT_TYPES = [
    # formula, result type, ann's API value, bob's API value
    ("{Age} * 2", "number", 80.0, 0.0),
    ("{Name} & \"!\"", "text", "ann!", "bob!"),
    ("{Age} > 30", "boolean", True, False),
    ("DATE(2024, 1, 1) + {Age}", "date", "2024-02-10", "2024-01-01"),
    ("DATE(2024, 1, 1) + {Age} / 80", "date", "2024-01-01", "2024-01-01"),
    ("DATE(2024, 1, 1) + 0.5", "datetime", "2024-01-01T12:00:00Z", "2024-01-01T12:00:00Z"),
    ("DATE(2024, 1, 1) + 7", "date", "2024-01-08", "2024-01-08"),
    ("IF({Age} > 30, \"old\")", "text", "old", None),
    ("100 / {Age}", "number", 2.5, {"error": "#DIV/0!"}),
    ("IFERROR(100 / {Age}, -1)", "number", 2.5, -1.0),
    ("NA()", "text", {"error": "#N/A"}, {"error": "#N/A"}),
]


@pytest.mark.parametrize(("formula", "kind", "ann", "bob"), RESULT_TYPES, ids=[c[0] for c in RESULT_TYPES])
def test_formula_results_and_types(clinic, formula, kind, ann, bob):
    field = clinic.add(clinic.customers, "F", "formula", {"formula": formula})
    assert field.options["result_type"] == kind and field.value_kind == kind
    values = clinic.values(clinic.customers, "F")
    assert values["ann"] == ann
    assert values["bob"] == bob


def test_error_code_is_stored_beside_a_blank_value(clinic):
    field = clinic.add(clinic.customers, "Ratio", "formula", {"formula": "{Age} / 0 + LEN(\"x\")"})
    err = error_column_name(field.column)
    assert clinic.raw(clinic.customers, field.column, "ann") is None
    assert clinic.raw(clinic.customers, err, "ann") == "#DIV/0!"
    assert clinic.svc.get(clinic.customers, clinic.ids["ann"])["fields"]["Ratio"] == {"error": "#DIV/0!"}


def test_new_records_get_their_formula_values(clinic):
    clinic.add(clinic.customers, "Double", "formula", {"formula": "{Age} * 2"})
    clinic.add(clinic.customers, "Const", "formula", {"formula": "1 + 1"})
    rec = clinic.svc.create(clinic.customers, {"Name": "dan", "Age": 7})
    assert rec["fields"]["Double"] == 14.0 and rec["fields"]["Const"] == 2.0


STATIC_ERRORS = [
    ("{Agee} + 1", "reference.unknown_field", "did you mean {Age}"),
    ("SUM({Visits}.{Amont})", "reference.unknown_field", "did you mean {Amount}"),
    ("{Age} +", None, ""),
    ("IF({Age} > 1, DATE(2024,1,1), 5)", "type.mix", "mix dates and numbers"),
    ("{Visits}.{Amount}", "type.list", "cannot result in a list"),
]


@pytest.mark.parametrize(("formula", "code", "fragment"), STATIC_ERRORS, ids=[c[0] for c in STATIC_ERRORS])
def test_static_errors_refuse_the_field(clinic, formula, code, fragment):
    with pytest.raises(FormulaError) as info:
        clinic.add(clinic.customers, "Bad", "formula", {"formula": formula})
    if code:
        assert info.value.code == code
    assert fragment in info.value.message
    assert info.value.position[0] == 1 and info.value.messages["zh-CN"]
    assert "Bad" not in [f.name for f in schema.get_table(clinic.engine, clinic.customers).fields]


ROLLUPS = [
    ("SUM", {"ann": 150.0, "bob": 30.0, "cat": 0.0}),
    ("MAX", {"ann": 100.0, "bob": 30.0, "cat": 0.0}),
    ("COUNTA", {"ann": 2.0, "bob": 1.0, "cat": 0.0}),
    ("AVERAGE", {"ann": 75.0, "bob": 30.0, "cat": {"error": "#DIV/0!"}}),
]


@pytest.mark.parametrize(("function", "expected"), ROLLUPS, ids=[c[0] for c in ROLLUPS])
def test_rollup_is_a_formula_over_the_link(clinic, function, expected):
    amount = clinic.field(clinic.visits, "Amount")
    field = clinic.add(clinic.customers, "R", "rollup", {
        "link_field_id": clinic.link, "target_field_id": amount.id, "function": function})
    assert field.options["formula"] == f"{function}({{Visits}}.{{Amount}})"
    assert clinic.values(clinic.customers, "R") == expected


def test_lookup_joins_the_linked_values(clinic):
    age = clinic.field(clinic.customers, "Age")
    field = clinic.add(clinic.visits, "Customer age", "lookup", {
        "link_field_id": clinic.inverse, "target_field_id": age.id})
    assert field.options["result_type"] == "text"
    assert clinic.values(clinic.visits, "Customer age") == {"v1": "40", "v2": "40", "v3": "0"}


@pytest.mark.parametrize("options", [
    {"link_field_id": 999999, "target_field_id": 1},
    {"function": "NOPE"},
], ids=["not-a-link", "unknown-function"])
def test_bad_rollup_options_are_refused(clinic, options):
    amount = clinic.field(clinic.visits, "Amount")
    full = {"link_field_id": clinic.link, "target_field_id": amount.id, **options}
    with pytest.raises(SchemaError):
        clinic.add(clinic.customers, "R", "rollup", full)


def test_unconfigured_computed_fields_stay_blank(clinic):
    field = clinic.add(clinic.customers, "Later", "formula")
    assert field.options["expression"] is None
    assert set(clinic.values(clinic.customers, "Later").values()) == {None}


def test_preview_gives_the_first_records_through_sql(clinic):
    preview = preview_formula(clinic.engine, clinic.customers, "100 / {Age}", limit=2)
    assert preview.result_type == "number"
    assert [r.to_dict() for r in preview.rows] == [
        {"id": clinic.ids["ann"], "value": 2.5}, {"id": clinic.ids["bob"], "value": {"error": "#DIV/0!"}}]


def test_preview_reports_static_errors(clinic):
    with pytest.raises(FormulaError) as info:
        preview_formula(clinic.engine, clinic.customers, "SUMM({Age})")
    assert "did you mean SUM" in info.value.message


def test_query_rows_include_formula_values(clinic):
    from tessera.query import query_records

    clinic.add(clinic.customers, "Double", "formula", {"formula": "{Age} * 2"})
    page = query_records(clinic.engine, clinic.customers, sort=[{"field": "Double", "direction": "desc"}])
    assert [(r["fields"]["Name"], r["fields"]["Double"]) for r in page.rows] == [
        ("ann", 80.0), ("cat", 50.0), ("bob", 0.0)]


@pytest.mark.parametrize("op, value, expected", [
    ("contains", "4", {"v1", "v2"}),
    ("is", "0", {"v3"}),
    ("is_not_empty", None, {"v1", "v2", "v3"}),
])
def test_lookup_fields_filter_as_text(clinic, op, value, expected):
    from tessera.query import query_records

    age = clinic.field(clinic.customers, "Age")
    clinic.add(clinic.visits, "Customer age", "lookup", {
        "link_field_id": clinic.inverse, "target_field_id": age.id})
    page = query_records(clinic.engine, clinic.visits,
                         filter={"field": "Customer age", "op": op, "value": value})
    assert {r["fields"]["Name"] for r in page.rows} == expected


@pytest.mark.parametrize("formula, expected", [
    ('"C" & {No}', ["C1", "C2"]),
    ("{No} * 2 + 0.5", [2.5, 4.5]),
    ('TEXT({No}, "000")', ["001", "002"]),
])
def test_formulas_read_autonumber_fields(engine, svc, formula, expected):
    base = schema.create_base(engine, "Auto").id
    table = schema.create_table(engine, base, "T", fields=[schema.FieldSpec("No", "autonumber")])
    ids = [svc.create(table.id, {"Name": n})["id"] for n in ("a", "b")]
    schema.add_field(engine, table.id, "F", "formula", {"formula": formula})
    assert [svc.get(table.id, rid)["fields"]["F"] for rid in ids] == expected
