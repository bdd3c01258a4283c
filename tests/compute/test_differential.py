"""The materialized column equals the interpreter (the oracle) evaluated over the same records."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pytest

from tessera import schema_ops as schema
from tessera.formula import ExcelError, evaluate

FORMULAS = [
    "{A} + {B}",
    'IF({A} > {B}, "x", "y")',
    "{A} / {B}",
    "ROUND({A} * 1.5, 1)",
    'LEFT({T}, 2) & LEN({T})',
    'UPPER({T}) = "AB"',
    "{D} + 7",
    "IF({Flag}, {A}, -{B})",
    "SUM({Visits}.{Amount})",
    "MAX({Visits}.{Amount})",
    "COUNTA({Visits}.{Amount})",
    "AVERAGE({Visits}.{Amount})",
    "ARRAYJOIN({Visits}.{Amount})",
    "RANK.EQ({A}, ALL({A}))",
    # constants that the PostgreSQL prepared path writes as literals: %, quotes, dates, big ints
    'IF({T} = "ab", "50% off", "it""s")',
    "IF({D} > DATE(2024, 6, 30), {A} * 3000000000, -0.25)",
]


def _api(value: Any) -> Any:
    """An interpreter result as the records API shows it."""
    if isinstance(value, ExcelError):
        return {"error": str(value)}
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


@pytest.fixture
def random_base(engine, svc):
    """Customers (A, B, T, D, Flag) ↔ Visits (Amount) filled from a fixed seed."""
    rng = random.Random(20240611)
    base = schema.create_base(engine, "Random").id
    customers = schema.create_table(engine, base, "Customers", fields=[
        schema.FieldSpec("A", "number"), schema.FieldSpec("B", "number"), schema.FieldSpec("T", "text"),
        schema.FieldSpec("D", "date"), schema.FieldSpec("Flag", "checkbox")])
    visits = schema.create_table(engine, base, "Visits", fields=[schema.FieldSpec("Amount", "number")])
    schema.add_field(engine, customers.id, "Visits", "link", {"target_table_id": visits.id})

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.15 else value

    visit_ids = [svc.create(visits.id, {"Name": f"v{i}", "Amount": maybe(rng.choice([0, 1, 2.5, -3, 10, 7]))})["id"]
                 for i in range(24)]
    ids = [svc.create(customers.id, {
        "Name": f"c{i}", "A": maybe(rng.choice([0, 1, 2, 2, 3.5, -1, 10])), "B": maybe(rng.choice([0, 1, 4, -2, 0.5])),
        "T": maybe(rng.choice(["ab", "Abc", "x", "été", "AB"])),
        "D": maybe((dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(400))).isoformat()),
        "Flag": rng.random() < 0.5, "Visits": rng.sample(visit_ids, rng.randrange(4))})["id"] for i in range(14)]
    return customers.id, visits.id, ids, visit_ids, rng


def _oracle_rows(svc, table_id: int, visits_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """The records as the interpreter takes them, read back through the records API."""
    rows = []
    for rid in ids:
        f = svc.get(table_id, rid)["fields"]
        amounts = [svc.get(visits_id, v)["fields"]["Amount"] for v in sorted(f["Visits"])]
        rows.append({"A": f["A"], "B": f["B"], "T": f["T"], "Flag": bool(f["Flag"]),
                     "D": dt.date.fromisoformat(f["D"]) if f["D"] else None, "Visits.Amount": amounts})
    return rows


def _compare(svc, random_base, formula: str, field_name: str) -> list[tuple[int, Any, Any]]:
    table_id, visits_id, ids, _visit_ids, _rng = random_base
    rows = _oracle_rows(svc, table_id, visits_id, ids)
    expected = [_api(v) for v in evaluate(formula, rows=rows)]
    got = [svc.get(table_id, rid)["fields"][field_name] for rid in ids]
    return [(i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=True)) if not _same(g, e)]


@pytest.mark.parametrize("formula", FORMULAS)
def test_materialized_column_matches_the_interpreter(engine, svc, random_base, formula):
    table_id, visits_id, ids, visit_ids, rng = random_base
    schema.add_field(engine, table_id, "F", "formula", {"formula": formula})
    assert _compare(svc, random_base, formula, "F") == []
    # then the recompute path: random edits of inputs, links and linked values
    for _ in range(4):
        svc.update(table_id, rng.choice(ids), {"A": rng.choice([None, 5, -2, 0]), "T": rng.choice([None, "ab", "zz"])})
        svc.update(table_id, rng.choice(ids), {"Visits": rng.sample(visit_ids, rng.randrange(3))})
        svc.update(visits_id, rng.choice(visit_ids), {"Amount": rng.choice([None, 4, 100])})
    assert _compare(svc, random_base, formula, "F") == []
