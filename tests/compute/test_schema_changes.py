"""Schema changes around formulas: cycles refused, renames kept, deletions break cleanly,
type changes re-type dependents."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.compute import FormulaCycleError
from tessera.fields.computed import error_column_name


def test_direct_and_indirect_cycles_are_refused(clinic):
    a = clinic.add(clinic.customers, "A", "formula", {"formula": "{Age} + 1"})
    clinic.add(clinic.customers, "B", "formula", {"formula": "{A} * 2"})
    with pytest.raises(FormulaCycleError) as info:
        schema.update_field_options(clinic.engine, a.id, {"formula": "{B} + 1"})
    message = info.value.message
    assert "Customers.{A} → Customers.{B} → Customers.{A}" in message
    assert "循环引用" in info.value.message_for("zh")
    assert schema.get_field(clinic.engine, a.id).options["formula"] == "{Age} + 1"


def test_self_reference_is_refused(clinic):
    a = clinic.add(clinic.customers, "A", "formula", {"formula": "{Age} + 1"})
    with pytest.raises(FormulaCycleError) as info:
        schema.update_field_options(clinic.engine, a.id, {"formula": "{A} + 1"})
    assert "refers to itself" in info.value.message


def test_cycles_through_links_are_refused(clinic):
    share = clinic.add(clinic.visits, "Share", "formula", {"formula": "{Amount}"})
    clinic.add(clinic.customers, "Total", "rollup", {
        "link_field_id": clinic.link, "target_field_id": share.id, "function": "SUM"})
    with pytest.raises(FormulaCycleError) as info:
        schema.update_field_options(clinic.engine, share.id, {"formula": "{Amount} / SUM({Customer}.{Total})"})
    assert "Visits.{Share} → Customers.{Total} → Visits.{Share}" in info.value.message


def test_changing_a_formula_retypes_and_refills_its_column(clinic):
    f = clinic.add(clinic.customers, "F", "formula", {"formula": "{Age} * 2"})
    g = clinic.add(clinic.customers, "G", "formula", {"formula": "{F} & \"\""})
    f = schema.update_field_options(clinic.engine, f.id, {"formula": "{Age} > 30"})
    assert f.value_kind == "boolean"
    assert clinic.values(clinic.customers, "F") == {"ann": True, "bob": False, "cat": False}
    assert clinic.values(clinic.customers, "G") == {"ann": "TRUE", "bob": "FALSE", "cat": "FALSE"}
    assert schema.get_field(clinic.engine, g.id).options["broken"] is None


@pytest.mark.parametrize("renamed", ["Age", "Visits", "Amount"])
def test_renames_keep_formulas_working(clinic, renamed):
    amount = clinic.field(clinic.visits, "Amount")
    f = clinic.add(clinic.customers, "F", "formula", {"formula": "{Age} + SUM( {Visits}.{Amount} )"})
    table = clinic.visits if renamed == "Amount" else clinic.customers
    schema.rename_field(clinic.engine, clinic.field(table, renamed).id, renamed + " (new)")
    text = schema.get_field(clinic.engine, f.id).options["formula"]
    assert "{" + renamed + " (new)}" in text and text.count("{") == 3
    assert " + SUM( " in text  # the user's spacing is kept
    clinic.svc.update(clinic.visits, clinic.ids["v1"], {amount.id: 1})
    assert clinic.values(clinic.customers, "F") == {"ann": 91.0, "bob": 30.0, "cat": 25.0}


def test_deleting_a_referenced_field_breaks_the_formula_cleanly(clinic):
    age = clinic.field(clinic.customers, "Age")
    f = clinic.add(clinic.customers, "F", "formula", {"formula": "{Age} * 2"})
    clinic.add(clinic.customers, "G", "formula", {"formula": "{F} + 1"})
    schema.delete_field(clinic.engine, age.id)
    broken = schema.get_field(clinic.engine, f.id).options["broken"]
    assert broken["code"] == "reference.unknown_field" and "{Age}" in broken["message_en"]
    assert clinic.values(clinic.customers, "F") == {n: {"error": "#REF!"} for n in ("ann", "bob", "cat")}
    assert clinic.values(clinic.customers, "G") == {n: {"error": "#REF!"} for n in ("ann", "bob", "cat")}
    rec = clinic.svc.create(clinic.customers, {"Name": "dan"})  # writes keep working
    assert rec["fields"]["G"] == {"error": "#REF!"}
    fixed = schema.update_field_options(clinic.engine, f.id, {"formula": "LEN({Name})"})
    assert fixed.options["broken"] is None
    assert clinic.values(clinic.customers, "G")["dan"] == 4.0


def test_deleting_the_link_breaks_rollups(clinic):
    amount = clinic.field(clinic.visits, "Amount")
    r = clinic.add(clinic.customers, "R", "rollup", {"link_field_id": clinic.link, "target_field_id": amount.id})
    schema.delete_field(clinic.engine, clinic.inverse)  # either side deletes the pair
    assert schema.get_field(clinic.engine, r.id).options["broken"]["code"] == "lookup_link"
    assert clinic.values(clinic.customers, "R")["ann"] == {"error": "#REF!"}


def test_deleting_a_table_breaks_formulas_reading_it(clinic):
    amount = clinic.field(clinic.visits, "Amount")
    r = clinic.add(clinic.customers, "R", "rollup", {"link_field_id": clinic.link, "target_field_id": amount.id})
    schema.delete_table(clinic.engine, clinic.visits)
    assert schema.get_field(clinic.engine, r.id).options["broken"] is not None


def test_deleting_the_formula_field_drops_both_columns(clinic):
    import sqlalchemy as sa

    f = clinic.add(clinic.customers, "F", "formula", {"formula": "{Age}"})
    schema.delete_field(clinic.engine, f.id)
    columns = {c["name"] for c in sa.inspect(clinic.engine).get_columns(f"t_{clinic.customers}")}
    assert f.column not in columns and error_column_name(f.column) not in columns


def test_type_change_of_a_referenced_field_retypes_dependents(clinic):
    f = clinic.add(clinic.customers, "F", "formula", {"formula": "{Age}"})
    g = clinic.add(clinic.customers, "G", "formula", {"formula": "{Age} * 2"})
    schema.change_field_type(clinic.engine, clinic.field(clinic.customers, "Age").id, "text")
    assert schema.get_field(clinic.engine, f.id).value_kind == "text"
    assert clinic.values(clinic.customers, "F") == {"ann": "40", "bob": "0", "cat": "25"}
    assert clinic.values(clinic.customers, "G") == {"ann": 80.0, "bob": 0.0, "cat": 50.0}
    assert schema.get_field(clinic.engine, g.id).value_kind == "number"


def test_changing_a_field_into_a_formula(clinic):
    field = clinic.add(clinic.customers, "Note", "text")
    schema.change_field_type(clinic.engine, field.id, "formula", {"formula": "{Name} & \"?\""})
    assert clinic.values(clinic.customers, "Note") == {"ann": "ann?", "bob": "bob?", "cat": "cat?"}
    schema.change_field_type(clinic.engine, field.id, "number")
    assert set(clinic.values(clinic.customers, "Note").values()) == {None}
