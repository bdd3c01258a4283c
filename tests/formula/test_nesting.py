"""Deeply nested formulas compile to SQL that grows with the nesting, not exponentially:
each function's SQL mentions its arguments once (a repeated argument doubles the statement
at every level, and SQLite refuses it with "parser stack overflow")."""

from __future__ import annotations

import pytest

from tessera.formula import evaluate, evaluate_sql


def _nest(template: str, inner: str, depth: int) -> str:
    for _ in range(depth):
        inner = template.format(inner)
    return inner


@pytest.mark.parametrize("formula", [
    _nest('REPLACE({}, 2, 1, "x")', '"abcdefghijklmnop"', 5),
    _nest("MID({}, 2, 30)", '"abcdefghijklmnopqrstuvwxyz"', 5),
    _nest("FLOOR({} / 2 + 0.5, 1)", "{A}", 5),
    _nest("INT({} * 1.5)", "{A}", 6),
], ids=["replace", "mid", "floor", "int"])
def test_nested_formulas_run_in_sql(formula: str, backend: str, request: pytest.FixtureRequest) -> None:
    url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("pg_session_url")
    rows = [{"A": 1000.0}, {"A": -7.25}, {"A": None}]
    assert evaluate_sql(formula, rows=rows, url=url) == evaluate(formula, rows=rows)
