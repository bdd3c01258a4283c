"""Differential test at the ends of the double range: random arithmetic over records that now
and then hold magnitudes from 1e-200 to 1.8e308. The interpreter is the oracle; SQLite (inf)
and PostgreSQL (which raises) must give the same numbers and the same #NUM! cells.

A test of its own rather than more values in test_properties.py: the examples there are
derandomized, and changing its strategies would trade the formulas it has run for new ones."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.formula import evaluate, evaluate_sql

from .test_conformance import same
from .test_properties import SQL_BACKENDS, TODAY

ordinary = st.one_of(st.integers(-20, 20).map(float), st.sampled_from([0.5, -1.25, 1e-3, 100.0]))
extreme = st.sampled_from([1e150, -1e150, 1e200, -1e250, 1e300, -1e300, 1.7976931348623157e308, 1e-200, -1e-300])
numbers = st.one_of(ordinary, extreme)
records = st.fixed_dictionaries({
    "A": st.one_of(st.none(), numbers),
    "B": st.one_of(st.none(), numbers),
    "C": numbers,
    "L.x": st.lists(st.one_of(st.none(), numbers), max_size=3),
})
ANCHOR = {"A": 1.0, "B": 2.0, "C": 3.0, "L.x": [1.0]}

leaves = st.sampled_from(["{A}", "{B}", "{C}", "{A}", "{B}", "2", "0.5", "-3", "1e200", "1e-200", "1e308",
                          "MAX({L}.{x})", "MIN({L}.{x})"])


# Aggregates over the list (one aggregate, not a chain of +: PostgreSQL's sum() raised there)
# and over the column; a second test, so that the first keeps the formulas it has run.
range_leaves = st.sampled_from(["{A}", "{C}", "2", "1e308", "SUM({L}.{x})", "AVERAGE({L}.{x})",
                                'SUMIF({L}.{x},">0")', 'AVERAGEIFS({L}.{x},{L}.{x},"<>0")', "SUM(ALL({C}))",
                                "AVERAGE(ALL({C}))", 'SUMIF(ALL({C}),"<0")', "PERCENTILE.INC({L}.{x},0.3)",
                                "PERCENTRANK.INC({L}.{x},{C})", "SUM({L}.{x},{A})"])


def _formulas(leaves=leaves):
    def extend(num):
        return st.one_of(
            st.tuples(num, st.sampled_from(["+", "-", "*", "/", "*", "/"]), num).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(num, st.sampled_from(["2", "3", "-2", "0.5", "{C}"])).map(lambda t: f"({t[0]})^{t[1]}"),
            num.map(lambda t: f"-{t}"),
            st.tuples(st.sampled_from(["SUM", "PRODUCT", "AVERAGE", "MIN", "MAX", "MEDIAN"]),
                      st.lists(num, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({','.join(t[1])})"),
            st.tuples(st.sampled_from(["ABS", "INT", "SQRT", "SIGN"]), num).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["ROUND", "MOD", "POWER"]), num, st.sampled_from(["2", "0", "-1", "{B}"])).map(
                lambda t: f"{t[0]}({t[1]},{t[2]})"),
            st.tuples(num, num).map(lambda t: f"IFERROR({t[0]},{t[1]})"),
            st.tuples(num, st.sampled_from([">", "<=", "="]), num, num, num).map(
                lambda t: f"IF({t[0]}{t[1]}{t[2]},{t[3]},{t[4]})"),
        )

    return st.recursive(leaves, extend, max_leaves=6)


FORMULAS = _formulas()
RANGE_FORMULAS = _formulas(range_leaves)


@pytest.mark.parametrize("formulas", [FORMULAS, RANGE_FORMULAS], ids=["cells", "range_aggregates"])
@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_extreme_magnitudes_agree_with_interpreter(backend: str, formulas: st.SearchStrategy[str],
                                                   request: pytest.FixtureRequest) -> None:
    """Cell arithmetic, and aggregates over a list or a column (SUM, AVERAGE, SUMIFS …), of
    values up to the double range: SQL == interpreter."""
    url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("pg_session_url")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(formula=formulas, rows=st.lists(records, min_size=1, max_size=3))
    def check(formula: str, rows: list[dict]) -> None:
        table = [ANCHOR, *rows]
        expected = evaluate(formula, rows=table, today=TODAY)
        actual = evaluate_sql(formula, rows=table, today=TODAY, url=url)
        assert same(actual, expected), f"{formula!r} rows={table!r}: SQL {actual!r} != Python {expected!r}"

    check()
