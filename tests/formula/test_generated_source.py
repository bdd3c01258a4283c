"""The generated Python source (tessera/formula/pysource.py) against the closure compiler it
replaces: the same value, of the same kind, errors included, for every conformance case and
for random formulas; plus the cases only the generator has (folded constants, the clock
cache, deep nesting)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.formula import evaluate
from tessera.formula.checker import check
from tessera.formula.harness import build_dataset, clock_values
from tessera.formula.interpreter import Env, compile_closures, compile_python
from tessera.formula.parser import parse
from tessera.formula.schema import FieldInfo, TableSchema
from tessera.formula.types import DATE, NUMBER
from tessera.formula.values import ExcelError

from .cases import all_cases
from .test_properties import ANCHOR, FORMULAS, TODAY, records


def both_ways(formula: str, values: dict[str, Any] | None = None, rows: list[dict[str, Any]] | None = None,
              today: dt.date | dt.datetime | None = None) -> tuple[list[Any], list[Any], Any]:
    """Results per record of the generated function and of the closures, and the function."""
    data = build_dataset(list(rows) if rows is not None else [dict(values or {})])
    typed = check(parse(formula), data.schema)
    generated, closures = compile_python(typed), compile_closures(typed)
    day, now = clock_values(today)
    columns = {name: [r[name] for r in data.rows] for name in data.schema.fields}
    envs = [Env(row, lists, columns, day, now) for row, lists in zip(data.rows, data.lists, strict=True)]
    return [generated(e) for e in envs], [closures(e) for e in envs], generated


def identical(a: Any, b: Any) -> bool:
    """Same kind and value; floats exactly (NaN never occurs: it is #NUM!)."""
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, ExcelError) or isinstance(b, ExcelError):
        return isinstance(a, ExcelError) and isinstance(b, ExcelError) and a.code == b.code
    return type(a) is type(b) and a == b


def test_every_conformance_case_is_the_same_through_generated_source() -> None:
    differences = []
    for case_id, case in all_cases():
        generated, closures, _fn = both_ways(case.formula, case.values, case.rows, case.today)
        if not identical(generated, closures):
            differences.append(f"{case_id} {case.formula!r}: generated {generated!r}, closures {closures!r}")
    assert not differences, "\n".join(differences)


def test_the_formulas_are_really_generated() -> None:
    *_, fn = both_ways('IF(AND({A}>=30000,{B}<180),"A","B")', {"A": 1.0, "B": 2.0})
    assert "def formula(env" in fn.__tessera_source__


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(formula=FORMULAS, rows=st.lists(records, min_size=1, max_size=3))
def test_random_formulas_are_the_same_through_generated_source(formula: str, rows: list[dict]) -> None:
    generated, closures, _fn = both_ways(formula, rows=[ANCHOR, *rows], today=TODAY)
    assert identical(generated, closures), f"{formula!r}: generated {generated!r}, closures {closures!r}"


def test_a_clock_subtree_is_recomputed_when_the_clock_changes() -> None:
    schema = TableSchema("t", "id", {"D": FieldInfo("D", DATE, "d")})
    fn = compile_python(check(parse('IF({D}>=DATE(YEAR(TODAY()),1,1),"this year","before")'), schema))
    record = {"D": dt.date(2025, 6, 1)}
    assert fn(Env(record, today=dt.date(2025, 12, 31))) == "this year"
    assert fn(Env(record, today=dt.date(2026, 1, 1))) == "before"
    assert fn(Env(record, today=dt.date(2025, 1, 2))) == "this year"


def test_deep_nesting_falls_back_to_closures_with_the_same_result() -> None:
    deep = "1"
    for i in range(120):
        deep = f"IF({{A}}>{i}, {deep}+{{A}}, {i})"
    long_sum = "+".join(["{A}"] * 300)
    for formula in (deep, long_sum, "AND(" + ",".join(f"{{A}}>{i}" for i in range(150)) + ")"):
        for a in (None, 0.0, 7.0, 500.0):
            generated, closures, _fn = both_ways(formula, {"A": a})
            assert identical(generated, closures), formula[:60]


def test_constant_subtrees_are_folded_but_still_give_their_errors() -> None:
    schema = TableSchema("t", "id", {"A": FieldInfo("A", NUMBER, "a")})
    fn = compile_python(check(parse('IF({A}>0, LEFT("abc", 1+1), 1/0)'), schema))
    assert "LEFT" not in fn.__tessera_source__ and fn(Env({"A": 1.0})) == "ab"
    assert fn(Env({"A": 0.0})) == ExcelError("#DIV/0!")
    assert evaluate('{A}&LEFT("abc", "x")', {"A": 1}) == ExcelError("#VALUE!")


def test_overflow_is_num_both_ways() -> None:
    for formula, values in (("{A}*{B}", {"A": 1e200, "B": 1e200}), ("{A}/{B}", {"A": 1e308, "B": 1e-10}),
                            ("{A}+{B}", {"A": 1.7e308, "B": 1.7e308}), ("{A}-1e308*10", {"A": 1.0})):
        generated, closures, _fn = both_ways(formula, values)
        assert generated == closures == [ExcelError("#NUM!")], formula
