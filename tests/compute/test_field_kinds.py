"""Formulas over stored field kinds that need a conversion to the formula representation:
multi-select (labels), checkbox (never blank), datetime (stored UTC) and date arithmetic with a
number field — materialized through SQL on both backends, and equal to the interpreter."""

from __future__ import annotations

import datetime as dt

import pytest

from tessera import schema_ops as schema
from tessera.formula import evaluate

TAGS = ["VIP", "新客", "老客"]


@pytest.fixture
def shop(engine, svc):
    """Visits (At datetime, Tags multi-select) ← Customers (Ok checkbox, N, D, Tags, Visits)."""
    base = schema.create_base(engine, "Shop").id
    visits = schema.create_table(engine, base, "Visits", fields=[
        schema.FieldSpec("At", "datetime"), schema.FieldSpec("Tags", "multi_select", {"choices": TAGS}),
        schema.FieldSpec("Paid", "checkbox")])
    customers = schema.create_table(engine, base, "Customers", fields=[
        schema.FieldSpec("Ok", "checkbox"), schema.FieldSpec("N", "number"), schema.FieldSpec("D", "date"),
        schema.FieldSpec("Tags", "multi_select", {"choices": TAGS})])
    schema.add_field(engine, customers.id, "Visits", "link", {
        "target_table_id": visits.id, "inverse_name": "Customer", "inverse_many": False})
    v = [svc.create(visits.id, {"Name": f"v{i}", **fields})["id"] for i, fields in enumerate([
        {"At": "2024-03-05T10:00:00Z", "Tags": ["VIP"], "Paid": True},
        {"At": "2024-04-01T09:30:00Z", "Tags": ["新客", "老客"]},
        {"At": "2023-12-31T23:59:59Z"},
    ])]
    rows = {
        "ann": {"Ok": True, "N": 7, "D": "2024-03-05", "Tags": ["VIP", "新客"], "Visits": v[:2]},
        "bob": {"N": 7.9, "D": "2024-01-31", "Tags": ["老客"], "Visits": v[2:]},
        "cat": {"Ok": False, "N": -1.5},
    }
    ids = {name: svc.create(customers.id, {"Name": name, **fields})["id"] for name, fields in rows.items()}
    return engine, svc, customers.id, ids


def values(shop, formula: str) -> dict[str, object]:
    engine, svc, table, ids = shop
    schema.add_field(engine, table, "F", "formula", {"formula": formula})
    return {name: svc.get(table, rid)["fields"]["F"] for name, rid in ids.items()}


MULTI_SELECT = [
    ("{Tags}", {"ann": "VIP, 新客", "bob": "老客", "cat": None}),
    ('{Tags} & "!"', {"ann": "VIP, 新客!", "bob": "老客!", "cat": "!"}),
    ("COUNTA({Tags})", {"ann": 2.0, "bob": 1.0, "cat": 0.0}),
    ('ISNUMBER(SEARCH("vip", {Tags}))', {"ann": True, "bob": False, "cat": False}),
    ('TEXTJOIN("/", TRUE, {Tags})', {"ann": "VIP/新客", "bob": "老客", "cat": None}),
    ('COUNTIFS({Tags}, "新客")', {"ann": 1.0, "bob": 0.0, "cat": 0.0}),
    ('MATCH("新客", {Tags}, 0)', {"ann": 2.0, "bob": {"error": "#N/A"}, "cat": {"error": "#N/A"}}),
    ("ISBLANK({Tags})", {"ann": False, "bob": False, "cat": True}),
    ("LEN({Tags})", {"ann": 7.0, "bob": 2.0, "cat": 0.0}),
    ("ARRAYJOIN({Visits}.{Tags}, \"; \")", {"ann": "VIP; 新客, 老客", "bob": None, "cat": None}),
    ('COUNTIFS({Visits}.{Tags}, "*老客*")', {"ann": 1.0, "bob": 0.0, "cat": 0.0}),
]


@pytest.mark.parametrize(("formula", "expected"), MULTI_SELECT, ids=[c[0] for c in MULTI_SELECT])
def test_multi_select_is_readable(shop, formula, expected):
    assert values(shop, formula) == expected


def test_multi_select_formula_follows_edits(shop):
    engine, svc, table, ids = shop
    schema.add_field(engine, table, "F", "formula", {"formula": "COUNTA({Tags}) & \":\" & {Tags}"})
    svc.update(table, ids["cat"], {"Tags": ["老客", "VIP"]})
    assert svc.get(table, ids["cat"])["fields"]["F"] == "2:老客, VIP"


def test_multi_select_agrees_with_the_interpreter(shop):
    formula = 'IF(COUNTIFS({Tags}, "VIP") > 0, UPPER({Tags}), COUNTA({Tags}) & "")'
    stored = values(shop, formula)
    given = {"ann": ["VIP", "新客"], "bob": ["老客"], "cat": None}
    assert stored == {name: evaluate(formula, {"Tags": tags}) for name, tags in given.items()}


CHECKBOX = [
    ("AND({Ok}, TRUE)", {"ann": True, "bob": False, "cat": False}),
    ("OR({Ok})", {"ann": True, "bob": False, "cat": False}),
    ("XOR({Ok}, TRUE)", {"ann": False, "bob": True, "cat": True}),
    ("ISBLANK({Ok})", {"ann": False, "bob": False, "cat": False}),
    ("AND({Visits}.{Paid})", {"ann": False, "bob": False, "cat": {"error": "#VALUE!"}}),
    ("COUNTIFS({Visits}.{Paid}, FALSE)", {"ann": 1.0, "bob": 1.0, "cat": 0.0}),
]


@pytest.mark.parametrize(("formula", "expected"), CHECKBOX, ids=[c[0] for c in CHECKBOX])
def test_a_checkbox_is_never_blank(shop, formula, expected):
    assert values(shop, formula) == expected


DATETIMES = [
    ("MAX({Visits}.{At})", {"ann": "2024-04-01T09:30:00Z", "bob": "2023-12-31T23:59:59Z", "cat": None}),
    ("MIN({Visits}.{At})", {"ann": "2024-03-05T10:00:00Z", "bob": "2023-12-31T23:59:59Z", "cat": None}),
    ("YEAR(MAX({Visits}.{At}))", {"ann": 2024.0, "bob": 2023.0, "cat": None}),
    ("ARRAYJOIN({Visits}.{At})", {"ann": "2024-03-05 10:00:00, 2024-04-01 09:30:00", "bob": "2023-12-31 23:59:59",
                                 "cat": None}),
    ('COUNTIFS({Visits}.{At}, ">=2024-01-01")', {"ann": 2.0, "bob": 0.0, "cat": 0.0}),
]


@pytest.mark.parametrize(("formula", "expected"), DATETIMES, ids=[c[0] for c in DATETIMES])
def test_lists_of_stored_datetimes(shop, formula, expected):
    assert values(shop, formula) == expected


DATE_PLUS_NUMBER = [  # cat: blank date (0 in arithmetic) and N = -1.5
    ("{D} + {N}", "date", {"ann": "2024-03-12", "bob": "2024-02-07", "cat": "1899-12-28"}),
    ("{D} - {N}", "date", {"ann": "2024-02-27", "bob": "2024-01-23", "cat": "1899-12-31"}),
    ("{N} + {D}", "date", {"ann": "2024-03-12", "bob": "2024-02-07", "cat": "1899-12-28"}),
    ("{D} + 0.5", "datetime", {"ann": "2024-03-05T12:00:00Z", "bob": "2024-01-31T12:00:00Z",
                                  "cat": "1899-12-30T12:00:00Z"}),
]


@pytest.mark.parametrize(("formula", "kind", "expected"), DATE_PLUS_NUMBER, ids=[c[0] for c in DATE_PLUS_NUMBER])
def test_date_plus_a_number_field_is_a_date(shop, formula, kind, expected):
    engine, _svc, table, _ids = shop
    assert values(shop, formula) == expected
    assert schema.get_table(engine, table).field("F").options["result_type"] == kind


@pytest.mark.parametrize(("formula", "expected"), [
    ("{D} + {N}", dt.date(2024, 3, 12)),
    ("{D} - {N}", dt.date(2024, 2, 26)),
    ("{D} + {N} / 2", dt.date(2024, 3, 8)),
])
def test_date_plus_a_number_field_in_the_interpreter(formula, expected):
    assert evaluate(formula, {"D": dt.date(2024, 3, 5), "N": 7.5}) == expected
