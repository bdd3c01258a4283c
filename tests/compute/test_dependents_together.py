"""One linked insert writes the customer's dependents with one UPDATE per dependency level
(compute/together.py) and reads the junction once; the values are those of a full recompute."""

from __future__ import annotations

import pytest

from tessera.compute import recompute_table
from tessera.compute.prepared import PreparedSql

FORMULAS = [  # level 1: three rollups; level 2: two fields reading them
    ("T", "SUM({Visits}.{Amount})"),
    ("N", "COUNT({Visits}.{Amount})"),
    ("Last", "MAX({Visits}.{Day})"),
    ("Tier", 'IF({T}>=150,"A","B")'),
    ("Label", '{Name}&"-"&ROUND({T}/MAX(1,{N}),1)&"-"&YEAR({Last})'),
]


@pytest.fixture
def statements(monkeypatch):
    """The SQL of every prepared statement run (the single-record path)."""
    seen: list[str] = []
    original = PreparedSql.scalars

    def scalars(self, conn, values):
        seen.append(self.sql)
        return original(self, conn, values)

    monkeypatch.setattr(PreparedSql, "scalars", scalars)
    return seen


def _add_formulas(clinic):
    for name, formula in FORMULAS:
        clinic.add(clinic.customers, name, "formula", {"formula": formula})


def _snapshot(clinic):
    return {name: clinic.values(clinic.customers, name) for name, _ in FORMULAS}


def test_one_linked_insert_writes_each_dependency_level_once(clinic, statements):
    _add_formulas(clinic)
    statements.clear()
    clinic.svc.create(clinic.visits, {"Name": "v4", "Amount": 45, "Day": "2025-05-01",
                                      "Customer": [clinic.ids["bob"]]})
    updates = [s for s in statements if "UPDATE" in s]
    junction_reads = [s for s in statements if s.lstrip().startswith("SELECT DISTINCT")]
    assert len(updates) == 2, updates  # one per dependency level (was one per field: 5)
    assert len(junction_reads) == 1, junction_reads  # shared by the link pair and the rollups
    values = _snapshot(clinic)
    assert values["T"]["bob"] == 75 and values["N"]["bob"] == 2 and values["Tier"]["bob"] == "B"
    assert values["Label"]["bob"] == "bob-37.5-2025"
    assert values["Label"]["ann"] == "ann-75-2024"  # untouched


def test_values_match_a_full_recompute_after_inserts_updates_and_unlinks(clinic):
    _add_formulas(clinic)
    svc, ids = clinic.svc, clinic.ids
    v5 = svc.create(clinic.visits, {"Name": "v5", "Amount": 200, "Day": "2025-01-02", "Customer": [ids["cat"]]})["id"]
    svc.create(clinic.visits, {"Name": "v6", "Amount": None, "Day": None, "Customer": [ids["cat"]]})
    svc.update(clinic.visits, ids["v1"], {"Amount": 7})  # only T, Tier and Label change for ann
    svc.update(clinic.visits, v5, {"Customer": [ids["bob"]]})  # moves to bob: both ends
    svc.update(clinic.visits, ids["v3"], {"Customer": []})
    incremental = _snapshot(clinic)
    assert incremental["Tier"] == {"ann": "B", "bob": "A", "cat": "B"}
    recompute_table(clinic.engine, clinic.customers)
    assert _snapshot(clinic) == incremental


def test_a_dependent_of_a_field_in_the_group_still_sees_its_new_value(clinic, statements):
    """Tier reads T, written in the level before it: the group is flushed first."""
    _add_formulas(clinic)
    svc, ids = clinic.svc, clinic.ids
    svc.create(clinic.visits, {"Name": "v7", "Amount": 500, "Day": "2025-03-03", "Customer": [ids["bob"]]})
    assert clinic.values(clinic.customers, "Tier")["bob"] == "A"
    assert clinic.values(clinic.customers, "Label")["bob"] == "bob-265-2025"


def test_warm_up_compiles_the_statements_of_a_linked_insert_ahead(clinic, monkeypatch):
    """warm_statements compiles the grouped UPDATEs as well: the first linked insert after it
    compiles nothing."""
    from tessera.compute import together
    from tessera.compute.shapes import SHAPES
    from tessera.compute.warmup import warm_statements

    _add_formulas(clinic)
    SHAPES.clear()
    compiled: list[int] = []
    real = together._prepared
    monkeypatch.setattr(together, "_prepared", lambda *a, **k: compiled.append(1) or real(*a, **k))
    warm_statements(clinic.engine)
    assert compiled  # level 1 (T, N, Last) and level 2 (Tier, Label)
    compiled.clear()
    clinic.svc.create(clinic.visits, {"Name": "v8", "Amount": 10, "Day": "2025-04-04",
                                      "Customer": [clinic.ids["cat"]]})
    assert compiled == []
    assert clinic.values(clinic.customers, "Label")["cat"] == "cat-10-2025"
