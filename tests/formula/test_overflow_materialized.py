"""Formula fields whose aggregates overflow: the stored cell is #NUM!, written by the full
recompute (grouped link aggregates), by a record change (the single-record path) and by
materialize_together, on SQLite and PostgreSQL. On PostgreSQL the statement used to stop with
"value out of range" (its sum() raises), failing the whole write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import tessera.compute  # noqa: F401  (registers the recompute hooks)
from tessera import schema_ops as schema
from tessera.compute import recompute_table
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.records import RecordService

FORMULAS = {
    "Total": "SUM({Visits}.{Amount})",
    "Mean": "AVERAGE({Visits}.{Amount})",
    "Big": 'SUMIFS({Visits}.{Amount}, {Visits}.{Amount}, ">0")',
    "Column": "SUM(ALL({Score}))",
    "Mid": "PERCENTILE.INC({Visits}.{Amount}, 0.5)",
    "Plain": "{Score} * 2",
}
NUM = {"error": "#NUM!"}


@pytest.fixture
def engine(backend_url: str) -> Iterator[Engine]:
    eng = create_engine(backend_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _cells(svc: RecordService, table: int, rid: int) -> dict[str, Any]:
    fields = svc.get(table, rid)["fields"]
    return {name: fields[name] for name in FORMULAS}


def test_overflowing_aggregates_store_num_error(engine: Engine) -> None:
    svc = RecordService(engine)
    base = schema.create_base(engine, "Overflow").id
    customers = schema.create_table(engine, base, "Customers", fields=[schema.FieldSpec("Score", "number")]).id
    visits = schema.create_table(engine, base, "Visits", fields=[schema.FieldSpec("Amount", "number")]).id
    schema.add_field(engine, customers, "Visits", "link", {
        "target_table_id": visits, "inverse_name": "Customer", "inverse_many": False})
    v = [svc.create(visits, {"Name": f"v{k}", "Amount": a})["id"] for k, a in enumerate([1e308, 1e308, 1.0, 2.0])]
    ann = svc.create(customers, {"Name": "ann", "Score": 1.0, "Visits": [v[0], v[1]]})["id"]
    bob = svc.create(customers, {"Name": "bob", "Score": 2.0, "Visits": [v[2], v[3]]})["id"]
    for name, formula in FORMULAS.items():  # each added field is computed for every record
        schema.add_field(engine, customers, name, "formula", {"formula": formula})
    ordinary = {"Total": 3.0, "Mean": 1.5, "Big": 3.0, "Column": 3.0, "Mid": 1.5, "Plain": 4.0}
    assert _cells(svc, customers, ann) == {**ordinary, "Total": NUM, "Mean": NUM, "Big": NUM, "Mid": 1e308,
                                           "Plain": 2.0}
    assert _cells(svc, customers, bob) == ordinary

    recompute_table(engine, customers)  # full recompute: grouped aggregates, one UPDATE for all fields
    assert _cells(svc, customers, ann)["Total"] == NUM
    assert _cells(svc, customers, bob) == ordinary

    # a record change recomputes its dependents through the single-record path
    svc.update(customers, bob, {"Score": 1e308, "Visits": [v[2], v[3], v[0]]})
    assert _cells(svc, customers, bob) == {"Total": 1e308, "Mean": 1e308 / 3, "Big": 1e308, "Column": 1e308,
                                           "Mid": 2.0, "Plain": NUM}
    assert _cells(svc, customers, ann)["Total"] == 1e308
    svc.update(customers, ann, {"Score": 1e308})  # the column's sum overflows for every record
    assert [_cells(svc, customers, r)["Column"] for r in (ann, bob)] == [NUM, NUM]
    svc.update(visits, v[2], {"Amount": -1e308})  # back in range for bob: -1e308 + 2 + 1e308
    assert _cells(svc, customers, bob)["Total"] == 2.0


def test_materialized_statement_evaluates_the_error_expression_once(engine: Engine) -> None:
    """The calc CTE holds the raw value and the error; the UPDATE blanks the value outside it.
    Blanking inside (CASE WHEN <error> IS NULL THEN <value> END) repeated the error expression,
    which the planners evaluate again: ROUND's error reads tx_round(x, n) a second time."""
    svc = RecordService(engine)
    base = schema.create_base(engine, "Once").id
    table = schema.create_table(engine, base, "T", fields=[schema.FieldSpec("A", "number"),
                                                         schema.FieldSpec("N", "number")]).id
    ok = svc.create(table, {"Name": "ok", "A": 2.345, "N": 2})["id"]
    bad = svc.create(table, {"Name": "bad", "A": 1.7976931348623157e308, "N": -308})["id"]  # 2e308
    schema.add_field(engine, table, "R", "formula", {"formula": "ROUND({A},{N})"})
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        recompute_table(engine, table)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    updates = [s for s in seen if "calc" in s and "UPDATE" in s]
    assert updates and all(s.count("tx_round(") == 2 for s in updates), updates  # the value's, the error's
    assert svc.get(table, ok)["fields"]["R"] == 2.35
    assert svc.get(table, bad)["fields"]["R"] == NUM
