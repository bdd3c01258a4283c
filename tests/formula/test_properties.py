"""Differential test: random well-typed formulas and records; the interpreter is the oracle and
SQLite and PostgreSQL must agree with it cell for cell, errors included."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.formula import evaluate, evaluate_sql

from .test_conformance import same

SQL_BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
TODAY = dt.date(2026, 1, 31)

numbers = st.one_of(st.integers(-20, 20).map(float), st.sampled_from([0.5, -1.25, 2.75, 1e-3, 100.0]))
texts = st.sampled_from([None, "3", "abc", "ABC", "1.5", " 2 ", "a*b", "TRUE", "你好", "~", "(", "?", "a  b"])
dates = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
records = st.fixed_dictionaries({
    "A": st.one_of(st.none(), numbers),
    "B": st.one_of(st.none(), numbers),
    "T": texts,
    "F": st.one_of(st.none(), st.booleans()),
    "D": dates,
    "L.x": st.lists(st.one_of(st.none(), numbers), max_size=4),
})
# Keep every field typed (a None-only field would be typed blank): one fixed record per type.
ANCHOR = {"A": 1.0, "B": 2.0, "T": "x", "F": True, "D": dt.date(2024, 1, 1), "L.x": [1.0]}

num_leaf = st.one_of(
    st.integers(-9, 9).map(str), st.sampled_from(["0.5", "2.5", "1e1", "{A}", "{B}", "{A}", "{B}"])
)
text_leaf = st.sampled_from(['"a"', '"Abc"', '"3"', '""', "{T}", "{T}", '"x y"'])
bool_leaf = st.sampled_from(["TRUE", "FALSE", "{F}", "{F}"])


def _formulas():
    def extend(children):
        num, txt, boo = children, children, children
        return st.one_of(
            st.tuples(num, st.sampled_from(["+", "-", "*", "/"]), num).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(num, st.integers(0, 3)).map(lambda t: f"({t[0]})^{t[1]}"),
            st.tuples(num, txt).map(lambda t: f"({t[0]}&{t[1]})"),
            st.tuples(num, st.sampled_from(["=", "<>", "<", ">=", ">"]), txt).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(boo, num, num).map(lambda t: f"IF({t[0]},{t[1]},{t[2]})"),
            st.tuples(num, num).map(lambda t: f"IFERROR({t[0]},{t[1]})"),
            st.tuples(st.sampled_from(["SUM", "MIN", "MAX", "AVERAGE", "COUNT", "COUNTA", "PRODUCT", "AND", "OR"]),
                      st.lists(num, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({','.join(t[1])})"),
            st.tuples(st.sampled_from(["ABS", "SIGN", "INT", "SQRT", "LEN", "VALUE", "ISBLANK", "ISNUMBER",
                                       "ISERROR", "NOT", "LOWER", "UPPER", "ISTEXT"]), num).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["ROUND", "MOD", "LEFT", "RIGHT"]), num, st.integers(0, 3)).map(
                lambda t: f"{t[0]}({t[1]},{t[2]})"),
            st.tuples(num, num).map(lambda t: f"SWITCH({t[0]},1,{t[1]},0)"),
            st.tuples(txt, num, num).map(lambda t: f"MID({t[0]},{t[1]},{t[2]})"),
            st.tuples(txt, num, num, txt).map(lambda t: f"REPLACE({t[0]},{t[1]},{t[2]},{t[3]})"),
            st.tuples(txt, txt, txt, st.sampled_from(["", ",1", ",2", ",3"])).map(
                lambda t: f"SUBSTITUTE({t[0]},{t[1]},{t[2]}{t[3]})"),
            st.tuples(st.sampled_from(["FIND", "SEARCH"]), txt, txt).map(lambda t: f"{t[0]}({t[1]},{t[2]})"),
            st.tuples(st.sampled_from(["TRIM", "PROPER"]), txt).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(txt, txt).map(lambda t: f"EXACT({t[0]},{t[1]})"),
            st.tuples(txt, st.integers(0, 3)).map(lambda t: f"REPT({t[0]},{t[1]})"),
            st.tuples(num, st.sampled_from(['"0.00"', '"#,##0"', '"0%"', '"yyyy-mm-dd"'])).map(
                lambda t: f"TEXT({t[0]},{t[1]})"),
            st.tuples(boo, txt).map(lambda t: f'TEXTJOIN("-",{t[0]},{t[1]},{{L}}.{{x}})'),
            txt.map(lambda t: f'REGEXMATCH({t},"\\d")'),
        )

    leaves = st.one_of(num_leaf, text_leaf, bool_leaf, st.sampled_from([
        "SUM({L}.{x})", "MAX({L}.{x})", "COUNT({L}.{x})", "AVERAGE(ALL({A}))", "YEAR({D})",
        "TODAY()-{D}", "DAY({D}+{A})", "COUNTBLANK({L}.{x})", "-{A}%",
        'COUNTIF({L}.{x}, ">0")', 'SUMIF({L}.{x}, "<>")', "MEDIAN({L}.{x})", "LARGE({L}.{x}, 1)",
        "RANK.EQ({A}, ALL({A}))", "PERCENTRANK.INC(ALL({A}), {A})", "COUNTUNIQUE({L}.{x})",
        "COUNTIFS({L}.{x}, {A})", 'SUMIFS(ALL({B}), ALL({A}), ">="&{A})',
    ]))
    return st.recursive(leaves, extend, max_leaves=6)


FORMULAS = _formulas()


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_sql_agrees_with_interpreter(backend: str, request: pytest.FixtureRequest) -> None:
    url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("pg_session_url")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(formula=FORMULAS, rows=st.lists(records, min_size=1, max_size=3))
    def check(formula: str, rows: list[dict]) -> None:
        table = [ANCHOR, *rows]
        expected = evaluate(formula, rows=table, today=TODAY)
        actual = evaluate_sql(formula, rows=table, today=TODAY, url=url)
        assert same(actual, expected), f"{formula!r} rows={table!r}: SQL {actual!r} != Python {expected!r}"

    check()
