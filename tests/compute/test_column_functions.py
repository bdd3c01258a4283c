"""The column-function pass (tessera/compute/column_functions.py): PERCENTRANK.INC over an
ALL() column read from a rank table gives exactly what the compiler's per-record whole-column
subquery gives, for every record, on every backend — ties, blanks, interpolation, values
outside the column, significance digits (constant, fractional, per record, invalid) — and the
materialized field equals the Python interpreter."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.compute.column_functions import column_functions
from tessera.compute.materialize import Clock, typed_expression
from tessera.compute.schema_adapter import current_row, table_schema
from tessera.formula import evaluate
from tessera.formula.sqlcompile import compile_sql
from tessera.formula.sqlcore import SqlContext

# A: ties (3.5 twice), a blank, negatives; B: per-record significance; C: one value only.
ROWS = [(3.5, 2, 7), (1.0, 1, None), (3.5, 3, None), (None, 4, None), (-2.25, 5, None),
        (10.0, 0.5, None), (7.125, 3, None), (0.0, 6, None)]

CASES = [
    "PERCENTRANK.INC(ALL({A}),{A})",
    "PERCENTRANK.INC(ALL({A}),{A},2)",
    "PERCENTRANK.INC(ALL({A}),{A},2.9)",
    "PERCENTRANK.INC(ALL({A}),{A},{B})",
    "PERCENTRANK.INC(ALL({A}),{A},0)",
    "PERCENTRANK.INC(ALL({A}),{A}+0.3)",
    "PERCENTRANK.INC(ALL({A}),5)",
    "PERCENTRANK.INC(ALL({A}),-10)",
    "PERCENTRANK.INC(ALL({A}),{A},9)",
    "PERCENTRANK.INC(ALL({C}),{A})",
    "PERCENTRANK.INC(ALL({C}),7)",
    "1+MIN(4,INT(5*PERCENTRANK.INC(ALL({A}),{A})))",
    "PERCENTRANK.INC(ALL({A}),{A})+PERCENTRANK.INC(ALL({B}),{B},1)",
]


@pytest.fixture
def scores(engine, svc):
    base = schema.create_base(engine, "Ranks").id
    table = schema.create_table(engine, base, "Scores", fields=[
        schema.FieldSpec("A", "number"), schema.FieldSpec("B", "number"), schema.FieldSpec("C", "number")])
    for i, (a, b, c) in enumerate(ROWS):
        svc.create(table.id, {"Name": f"r{i}", "A": a, "B": b, "C": c})
    return schema.get_table(engine, table.id)


def _evaluate(engine, table, text: str, fast: bool) -> list[tuple]:
    with engine.begin() as conn:
        from tessera.compute.maintenance import to_id_form

        typed = typed_expression(conn, table, to_id_form(conn, table, text))
        cur = current_row(conn, table)
        at = Clock.current(dt.date(2025, 6, 30))
        ctx = SqlContext(conn.dialect.name, table_schema(conn, table, by="id"), at.today, at.now, cur)
        if not fast:
            sv = compile_sql(ctx, typed)
            return [tuple(r) for r in conn.execute(sa.select(cur.c.id, sv.value, sv.error).order_by(cur.c.id))]
        with column_functions(conn, typed, table.physical_name) as rewritten:
            sv = compile_sql(ctx, rewritten)
            return [tuple(r) for r in conn.execute(sa.select(cur.c.id, sv.value, sv.error).order_by(cur.c.id))]


@pytest.mark.parametrize("text", CASES)
def test_rank_table_equals_per_record_subquery(engine, scores, text):
    slow = _evaluate(engine, scores, text, fast=False)
    fast = _evaluate(engine, scores, text, fast=True)
    assert fast == slow
    assert len(fast) == len(ROWS)


def test_rank_tables_are_dropped(engine, scores):
    _evaluate(engine, scores, CASES[0], fast=True)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names() + sa.inspect(conn).get_temp_table_names()
    assert not [n for n in names if n.startswith("tx_ranks_")]


@pytest.mark.parametrize("text", ["PERCENTRANK.INC(ALL({A}),{A})", "1+MIN(4,INT(5*PERCENTRANK.INC(ALL({A}),{A})))"])
def test_materialized_rank_equals_interpreter(engine, svc, scores, text):
    field = schema.add_field(engine, scores.id, "P", "formula", {"formula": text})
    rows = [{"A": a, "B": float(b), "C": c} for a, b, c in ROWS]
    expected = evaluate(text, rows=rows)
    got = []
    for rid in sorted(r["id"] for r in _records(engine, scores.id)):
        got.append(svc.get(scores.id, rid)["fields"]["P"])
    want = [e if isinstance(e, float) else {"error": str(e)} for e in expected]
    assert [g if not isinstance(g, dict) else {"error": g.get("error")} for g in got] == want
    assert field.id


def _records(engine, table_id):
    table = schema.get_table(engine, table_id)
    t = schema.sa_table(table)
    with engine.connect() as conn:
        return [{"id": i} for i in conn.execute(sa.select(t.c.id)).scalars()]


def _evaluate_joined(engine, table, text: str) -> tuple[list[tuple], int]:
    """The rank-table pass with the rank tables LEFT JOINed to the row (as materialize.py
    compiles its UPDATEs): the rows, and how many joins the compiler asked for."""
    from tessera.compute.maintenance import to_id_form
    from tessera.compute.materialize import joined

    with engine.begin() as conn:
        typed = typed_expression(conn, table, to_id_form(conn, table, text))
        cur = current_row(conn, table)
        at = Clock.current(dt.date(2025, 6, 30))
        joins: list = []
        ctx = SqlContext(conn.dialect.name, table_schema(conn, table, by="id"), at.today, at.now, cur, joins=joins)
        with column_functions(conn, typed, table.physical_name) as rewritten:
            sv = compile_sql(ctx, rewritten)
            query = sa.select(cur.c.id, sv.value, sv.error).select_from(joined(cur, joins)).order_by(cur.c.id)
            return [tuple(r) for r in conn.execute(query)], len(joins)


@pytest.mark.parametrize("text", CASES)
def test_joined_rank_table_equals_per_record_subquery(engine, scores, text):
    """Exact hits read once per row through a join, never through a correlated probe per use."""
    slow = _evaluate(engine, scores, text, fast=False)
    fast, joins = _evaluate_joined(engine, scores, text)
    assert fast == slow
    calls = text.count("PERCENTRANK")
    if "ALL({C})" in text:  # a one-value column: no lookups at all
        assert joins == 0
    else:
        assert joins == calls
