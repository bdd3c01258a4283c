"""Rank snapshots (column_functions.py): a PERCENTRANK.INC(ALL()) field recomputes a changed
record against the ranks kept from the last full pass, the other records keep their values
until the column has drifted by SNAPSHOT_DRIFT of its records, then the whole column is
refreshed exactly. Expected values come from the Python interpreter."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.compute import recompute_table
from tessera.compute.column_functions import snapshot_budget
from tessera.compute.models import ColumnSnapshot
from tessera.formula import evaluate

FORMULAS = ["PERCENTRANK.INC(ALL({A}),{A})", "1+MIN(4,INT(5*PERCENTRANK.INC(ALL({A}),{A},2)))"]


def _table(engine, svc, values: list[float | None], formula: str):
    base = schema.create_base(engine, "Ranks").id
    table = schema.create_table(engine, base, "Scores", fields=[schema.FieldSpec("A", "number")])
    ids = svc.bulk_create(table.id, [{"Name": f"r{i}", "A": v} for i, v in enumerate(values)])
    schema.add_field(engine, table.id, "P", "formula", {"formula": formula})
    return table.id, list(ids)


def _stored(svc, table_id: int, ids: list[int]) -> list:
    return [svc.get(table_id, rid)["fields"]["P"] for rid in ids]


def _exact(formula: str, values: list[float | None]) -> list:
    return [v if not hasattr(v, "code") else {"error": str(v)} for v in evaluate(formula, rows=[{"A": a} for a in values])]


def _against(formula: str, snapshot: list[float | None], x: float):
    """The formula for a record whose A is ``x``, ranked in the ``snapshot`` column."""
    text = formula.replace("ALL({A}),{A}", "ALL({A}),{X}")
    return evaluate(text, rows=[{"A": a, "X": x} for a in snapshot])[0]


def _plain(values: list) -> list:
    return [v if not isinstance(v, dict) else {"error": v.get("error")} for v in values]


@pytest.mark.parametrize("formula", FORMULAS)
def test_changed_record_is_ranked_against_the_snapshot(engine, svc, formula: str) -> None:
    values: list[float | None] = [float(i * 3 % 997) for i in range(300)]  # budget: 3 records
    table_id, ids = _table(engine, svc, values, formula)
    assert _plain(_stored(svc, table_id, ids)) == _exact(formula, values)
    before = _stored(svc, table_id, ids)
    svc.update(table_id, ids[5], {"A": 500.5})  # not in the column: interpolated
    after = _stored(svc, table_id, ids)
    assert after[5] == _against(formula, values, 500.5)
    assert after[:5] + after[6:] == before[:5] + before[6:]  # the others wait for the refresh


@pytest.mark.parametrize("formula", FORMULAS)
def test_drift_past_the_budget_refreshes_the_whole_column(engine, svc, formula: str) -> None:
    values: list[float | None] = [float(i) for i in range(300)]
    table_id, ids = _table(engine, svc, values, formula)
    budget = snapshot_budget(300)
    for k in range(budget + 1):  # the last change goes past the budget
        values[k] = 1000.0 + k
        svc.update(table_id, ids[k], {"A": values[k]})
    assert _plain(_stored(svc, table_id, ids)) == _exact(formula, values)


@pytest.mark.parametrize("change", ["update", "create", "delete"])
def test_small_columns_stay_exact_on_every_change(engine, svc, change: str) -> None:
    formula = FORMULAS[0]
    values: list[float | None] = [3.5, 1.0, 3.5, None, -2.25, 10.0, 7.125, 0.0]
    table_id, ids = _table(engine, svc, values, formula)
    assert snapshot_budget(len(values)) == 0
    if change == "update":
        values[1] = 8.0
        svc.update(table_id, ids[1], {"A": 8.0})
    elif change == "create":
        ids.append(svc.create(table_id, {"Name": "new", "A": 4.0})["id"])
        values.append(4.0)
    else:
        svc.delete(table_id, ids.pop(0))
        values.pop(0)
    assert _plain(_stored(svc, table_id, ids)) == _exact(formula, values)


def test_recompute_table_is_exact_and_resets_the_drift(engine, svc) -> None:
    formula = FORMULAS[0]
    values: list[float | None] = [float(i) for i in range(300)]
    table_id, ids = _table(engine, svc, values, formula)
    values[0] = 250.5
    svc.update(table_id, ids[0], {"A": 250.5})
    snapshots = ColumnSnapshot.__table__
    with engine.connect() as conn:
        assert conn.execute(sa.select(snapshots.c.drift)).scalars().all() == [1]
    recompute_table(engine, table_id)
    assert _plain(_stored(svc, table_id, ids)) == _exact(formula, values)
    with engine.connect() as conn:
        assert conn.execute(sa.select(snapshots.c.drift)).scalars().all() == [0]


@pytest.mark.parametrize("action", ["delete field", "new formula", "delete table"])
def test_snapshots_go_with_their_field(engine, svc, action: str) -> None:
    table_id, _ids = _table(engine, svc, [float(i) for i in range(10)], FORMULAS[0])
    field = schema.get_table(engine, table_id).field("P")
    snapshots = ColumnSnapshot.__table__
    with engine.connect() as conn:
        (name,) = conn.execute(sa.select(snapshots.c.name)).scalars().all()
        assert sa.inspect(conn).has_table(name)
    if action == "delete field":
        schema.delete_field(engine, field.id)
    elif action == "new formula":
        schema.update_field_options(engine, field.id, {"formula": "{A} * 2"})
    else:
        schema.delete_table(engine, table_id)
    with engine.connect() as conn:
        assert conn.execute(sa.select(snapshots.c.name)).scalars().all() == []
        assert not sa.inspect(conn).has_table(name)
