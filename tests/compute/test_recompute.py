"""Record changes recompute exactly the affected records, following the dependency graph."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.compute import recompute_table


@pytest.fixture
def chain(clinic):
    """Visits.Net = Amount*0.9 → Customers.Spend = SUM(Visits.Net) → Customers.Tier (IF)."""
    net = clinic.add(clinic.visits, "Net", "formula", {"formula": "{Amount} * 0.9"})
    spend = clinic.add(clinic.customers, "Spend", "rollup", {
        "link_field_id": clinic.link, "target_field_id": net.id, "function": "SUM"})
    tier = clinic.add(clinic.customers, "Tier", "formula", {"formula": 'IF({Spend} >= 100, "gold", "basic")'})
    return net, spend, tier


def test_chain_is_filled_in_dependency_order(clinic, chain):
    assert clinic.values(clinic.customers, "Spend") == {"ann": 135.0, "bob": 27.0, "cat": 0.0}
    assert clinic.values(clinic.customers, "Tier") == {"ann": "gold", "bob": "basic", "cat": "basic"}


def test_update_recomputes_only_the_affected_records(clinic, chain):
    _net, spend, tier = chain
    # sentinels in records the change does not touch: a recompute would overwrite them
    clinic.poke(clinic.customers, tier.column, "ann", "SENTINEL")
    clinic.poke(clinic.customers, spend.column, "cat", 999.0)
    clinic.poke(clinic.visits, clinic.field(clinic.visits, "Net").column, "v1", -1.0)
    clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Amount": 200})
    assert clinic.values(clinic.customers, "Spend") == {"ann": 135.0, "bob": 180.0,
                                                         "cat": 999.0}
    assert clinic.values(clinic.customers, "Tier") == {"ann": "SENTINEL", "bob": "gold", "cat": "basic"}
    assert clinic.values(clinic.visits, "Net")["v1"] == -1.0


def test_unrelated_field_changes_recompute_nothing(clinic, chain):
    _net, _spend, tier = chain
    clinic.poke(clinic.customers, tier.column, "bob", "SENTINEL")
    clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Day": "2025-01-01"})
    clinic.svc.update(clinic.customers, clinic.ids["bob"], {"Age": 77})
    assert clinic.values(clinic.customers, "Tier")["bob"] == "SENTINEL"


@pytest.mark.parametrize("side", ["visit", "customer"])
def test_moving_a_link_recomputes_both_ends(clinic, chain, side):
    if side == "visit":  # the inverse field: the visit changes customer
        clinic.svc.update(clinic.visits, clinic.ids["v1"], {"Customer": [clinic.ids["cat"]]})
    else:  # the owning field: cat takes v1 (a visit has one customer, so ann loses it)
        clinic.svc.update(clinic.customers, clinic.ids["cat"], {"Visits": [clinic.ids["v1"]]})
    assert clinic.values(clinic.customers, "Spend") == {"ann": 45.0, "bob": 27.0, "cat": 90.0}
    assert clinic.values(clinic.customers, "Tier") == {"ann": "basic", "bob": "basic", "cat": "basic"}


def test_unlink_and_delete_recompute(clinic, chain):
    clinic.svc.update(clinic.customers, clinic.ids["ann"], {"Visits": [clinic.ids["v2"]]})
    assert clinic.values(clinic.customers, "Spend")["ann"] == 45.0
    clinic.svc.delete(clinic.visits, clinic.ids["v3"])
    assert clinic.values(clinic.customers, "Spend")["bob"] == 0.0
    new = clinic.svc.create(clinic.visits, {"Name": "v4", "Amount": 10, "Customer": [clinic.ids["bob"]]})
    assert new["fields"]["Net"] == 9.0
    assert clinic.values(clinic.customers, "Spend")["bob"] == 9.0


def test_deleting_a_linked_record_without_inverse_field(engine, svc):
    base = schema.create_base(engine, "B").id
    parts = schema.create_table(engine, base, "Parts", fields=[schema.FieldSpec("Cost", "number")])
    kits = schema.create_table(engine, base, "Kits")
    link = schema.add_field(engine, kits.id, "Parts", "link", {"target_table_id": parts.id})
    p1 = svc.create(parts.id, {"Name": "p1", "Cost": 3})["id"]
    p2 = svc.create(parts.id, {"Name": "p2", "Cost": 4})["id"]
    kit = svc.create(kits.id, {"Name": "k", "Parts": [p1, p2]})["id"]
    schema.add_field(engine, kits.id, "Cost", "rollup", {
        "link_field_id": link.id, "target_field_id": schema.get_table(engine, parts.id).field("Cost").id})
    assert svc.get(kits.id, kit)["fields"]["Cost"] == 7.0
    svc.delete(parts.id, p2)
    assert svc.get(kits.id, kit)["fields"]["Cost"] == 3.0


def test_whole_column_formulas_follow_any_change(clinic):
    clinic.add(clinic.customers, "Rank", "formula", {"formula": "RANK.EQ({Age}, ALL({Age}))"})
    assert clinic.values(clinic.customers, "Rank") == {"ann": 1.0, "bob": 3.0, "cat": 2.0}
    clinic.svc.update(clinic.customers, clinic.ids["bob"], {"Age": 99})
    assert clinic.values(clinic.customers, "Rank") == {"ann": 2.0, "bob": 1.0, "cat": 3.0}
    clinic.svc.create(clinic.customers, {"Name": "dan", "Age": 50})
    assert clinic.values(clinic.customers, "Rank") == {"ann": 3.0, "bob": 1.0, "cat": 4.0, "dan": 2.0}
    clinic.svc.delete(clinic.customers, clinic.ids["bob"])
    assert clinic.values(clinic.customers, "Rank") == {"ann": 2.0, "cat": 3.0, "dan": 1.0}


def test_recompute_table_restores_every_column(clinic, chain):
    _net, spend, tier = chain
    for name in ("ann", "bob", "cat"):
        clinic.poke(clinic.customers, spend.column, name, None)
        clinic.poke(clinic.customers, tier.column, name, None)
    written = recompute_table(clinic.engine, clinic.customers)
    assert written == sorted([spend.id, tier.id])
    assert clinic.values(clinic.customers, "Spend") == {"ann": 135.0, "bob": 27.0, "cat": 0.0}
    assert clinic.values(clinic.customers, "Tier") == {"ann": "gold", "bob": "basic", "cat": "basic"}


def test_errors_flow_into_dependent_formulas(clinic):
    clinic.add(clinic.customers, "Per year", "formula", {"formula": "100 / {Age}"})
    clinic.add(clinic.customers, "Label", "formula", {"formula": '"x" & {Per year}'})
    clinic.add(clinic.customers, "Safe", "formula", {"formula": 'IFERROR({Per year}, "none")'})
    assert clinic.values(clinic.customers, "Label")["bob"] == {"error": "#DIV/0!"}
    assert clinic.values(clinic.customers, "Safe") == {"ann": "2.5", "bob": "none", "cat": "4"}
    clinic.svc.update(clinic.customers, clinic.ids["bob"], {"Age": 50})
    assert clinic.values(clinic.customers, "Label")["bob"] == "x2"
