"""Criteria primitives: Python, SQLite and PostgreSQL agree on which values meet a criterion.

Each case runs criteria_match in Python and the typed ``tx_crit_*`` function for the value's
type on SQLite and PostgreSQL (a blank value on every one of them). The criterion travels
to SQL as text (criteria_text), as the compiler sends it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tessera.db import create_engine
from tessera.formula.excel import criteria
from tessera.formula.excel.criteria import Criterion, criteria_match, parse_criteria

from .test_excel_dates import (  # noqa: F401  (sql_engines is a fixture)
    BOOL,
    DATE,
    ENGINES,
    NUM,
    SETTINGS,
    TEXT,
    TS,
    call_sql,
    sql_engines,
)

D, T = dt.date, dt.datetime
VARIANTS = {  # Python type of the value -> (SQL function, SQL type of the value)
    float: ("tx_crit_num", NUM),
    str: ("tx_crit_text", TEXT),
    D: ("tx_crit_date", DATE),
    T: ("tx_crit_ts", TS),
    bool: ("tx_crit_bool", BOOL),
}


def sql_variants(value: Any) -> list[tuple[str, str]]:
    """The typed functions that receive ``value``: all of them for a blank."""
    if value is None:
        return list(VARIANTS.values())
    return [VARIANTS[type(value)]]


def run(engine: str, engines: dict, value: Any, crit: Any) -> list[bool]:
    if engine == "python":
        return [criteria_match(value, crit)]
    text = criteria.criteria_text(crit)
    return [
        call_sql(engines[engine], name, (sql_type, TEXT), BOOL, (value, text))
        for name, sql_type in sql_variants(value)
    ]


# (value, criterion, expected)
CASES: list[tuple[Any, Any, bool]] = [
    # numbers against comparisons
    (30000.0, ">=30000", True),
    (29999.5, ">=30000", False),
    (5.0, ">4", True),
    (4.0, ">4", False),
    (4.0, "<=4", True),
    (-1.0, "<0", True),
    (5.0, "<>5", False),
    (6.0, "<>5", True),
    (1000.0, ">=1,000", True),
    (0.5, "=50%", True),
    (10.0, "10", True),
    (10.0, "=10", True),
    (10.0, " 10", True),
    (10.0, 10.0, True),
    (10.5, 10.0, False),
    (0.1, 0.1, True),
    # text that looks like a number: equal text matches, ordering never does
    ("10", "10", True),
    ("10", 10.0, True),
    ("10.0", 10.0, False),
    ("7", ">5", False),
    ("abc", ">5", False),
    ("10", "<>10", False),
    # blanks
    (None, "", True),
    ("", "", True),
    (None, "=", True),
    ("x", "", False),
    (0.0, "", False),
    (False, "", False),
    (None, "<>", False),
    ("x", "<>", True),
    (0.0, "<>", True),
    (None, None, True),
    (None, "0", False),
    (None, "<>abc", True),
    (None, ">0", False),
    (None, "<a", False),
    (None, "=abc", False),
    # text equality: case-insensitive, wildcards and escapes
    ("Apple", "apple", True),
    ("Apple", "=APPLE", True),
    ("Apple", "<>apple", False),
    ("Apple", "<>pear", True),
    ("apple", "a*", True),
    ("Banana", "a*", False),
    ("Banana", "*an*", True),
    ("Banana", "?anana", True),
    ("anana", "?anana", False),
    ("a", "*", True),
    ("a*b", "a~*b", True),
    ("axb", "a~*b", False),
    ("a?b", "a~?b", True),
    ("a~b", "a~~b", True),
    ("a~b", "a~b", True),
    ("a~", "a~", True),
    ("line1\nline2", "line1*", True),
    ("x.y(z)", "x.y(z)", True),
    ("x.y(z)", "x?y(*)", True),
    ("[a]+$^", "[a]+$^", True),
    ("张三", "张*", True),
    ("张三", "?三", True),
    ("ÄBC", "äbc", False),
    ("apple pie", "apple", False),
    ("Apple", "<>a*", False),
    # text ordering: ASCII case-insensitive, no wildcards; numbers never match text operands
    ("b", ">a", True),
    ("B", ">a", True),
    ("a", ">a", False),
    ("a", ">=A", True),
    ("abc", "<b", True),
    ("c", "<b*", False),
    (5.0, ">a", False),
    (True, ">a", False),
    # dates: operands that read as dates compare as dates (through the serial)
    (D(2025, 2, 1), ">=2025-01-31", True),
    (D(2025, 1, 30), ">=2025-01-31", False),
    (D(2025, 1, 31), "2025-01-31", True),
    (D(2025, 1, 31), "=2025/1/31", True),
    (D(2025, 1, 31), "2025年1月31日", True),
    (D(2025, 1, 31), "<>2025-01-31", False),
    (D(2025, 1, 31), D(2025, 1, 31), True),
    (D(2025, 1, 31), D(2025, 2, 1), False),
    (D(2023, 3, 15), "45000", True),
    (D(2023, 3, 15), ">44999.5", True),
    (45000.0, "2023-03-15", True),
    (45001.0, ">2023-03-15", True),
    (T(2025, 1, 31, 8, 30), ">=2025-01-31", True),
    (T(2025, 1, 31, 8, 30), "2025-01-31", False),
    (T(2025, 1, 31, 8, 30), "2025-01-31 08:30", True),
    (T(2025, 1, 31, 8, 30), "<2025-01-31 08:30:01", True),
    (T(2025, 1, 31, 8, 30), T(2025, 1, 31, 8, 30), True),
    ("2025-01-31", "2025-01-31", True),
    ("2025-01-31", ">=2025-01-01", False),
    (D(2025, 1, 31), "Jan*", False),
    (D(2025, 1, 31), "", False),
    (D(2025, 1, 31), "<>", True),
    # booleans
    (True, True, True),
    (True, "TRUE", True),
    (True, "true", True),
    (False, "FALSE", True),
    (True, "FALSE", False),
    (True, "<>FALSE", True),
    (True, ">FALSE", True),
    (False, "<TRUE", True),
    (True, 1.0, False),
    (True, "1", False),
    (1.0, True, False),
    ("TRUE", True, True),
    ("yes", True, False),
    # odd operators
    ("=a", "==a", True),
    ("a", "==a", False),
    ("x", ">", True),
    (5.0, ">", False),
]


def case_id(case: tuple) -> str:
    value, crit, _ = case
    return f"{value!r} ~ {crit!r}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(case: tuple, engine: str, sql_engines: dict) -> None:  # noqa: F811
    value, crit, expected = case
    for got in run(engine, sql_engines, value, crit):
        assert got is expected, f"{engine}: {value!r} against {crit!r} gave {got!r}"


PARSED = [
    (">=30000", Criterion(">=", "number", "30000", 30000.0, 30000.0)),
    ("", Criterion("=", "blank", "")),
    ("=", Criterion("=", "blank", "")),
    ("<>", Criterion("<>", "blank", "")),
    ("a*", Criterion("=", "text", "a*", None, "a*")),
    ("<>abc", Criterion("<>", "text", "abc", None, "abc")),
    (">=2025-01-31", Criterion(">=", "date", "2025-01-31", 45688.0, D(2025, 1, 31))),
    ("TRUE", Criterion("=", "boolean", "TRUE", None, True)),
    (12.5, Criterion("=", "number", "12.5", 12.5, 12.5)),
    (D(2024, 3, 5), Criterion("=", "date", "2024-03-05", 45356.0, D(2024, 3, 5))),
    (None, Criterion("=", "blank", "")),
]


@pytest.mark.parametrize(("crit", "expected"), PARSED, ids=[repr(p[0]) for p in PARSED])
def test_parse_criteria(crit: Any, expected: Criterion) -> None:
    assert parse_criteria(crit) == expected


def test_has_wildcards() -> None:
    assert parse_criteria("a*").has_wildcards and parse_criteria("a~b").has_wildcards
    assert not parse_criteria("abc").has_wildcards


def test_unsupported_criteria_type_is_refused() -> None:
    with pytest.raises(TypeError, match="criteria must be"):
        parse_criteria([1, 2])


# ------------------------------------------------------------------------- hypothesis

operators = st.sampled_from(["", "=", "<>", "<", "<=", ">", ">="])
words = st.text(alphabet="abAB*?~ 张.10-/", max_size=6)
operands = st.one_of(
    words,
    st.integers(-50, 50).map(str),
    st.floats(-100, 100).map(lambda x: f"{x:.2f}"),
    st.dates(D(2024, 12, 25), D(2025, 1, 10)).map(lambda d: d.isoformat()),
    st.sampled_from(["TRUE", "false", "", "45660", "2025/1/1", "1,000", "50%"]),
)
criteria_st = st.one_of(
    st.builds(lambda op, operand: op + operand, operators, operands),
    st.integers(-5, 5).map(float),
    st.dates(D(2024, 12, 25), D(2025, 1, 10)),
    st.booleans(),
    st.none(),
)
values_st = st.one_of(
    st.none(),
    words,
    st.integers(-50, 50).map(float),
    st.floats(-100, 100),
    st.floats(45640, 45670),
    st.dates(D(2024, 12, 25), D(2025, 1, 10)),
    st.datetimes(T(2024, 12, 25), T(2025, 1, 10)).map(lambda t: t.replace(microsecond=0)),
    st.booleans(),
)


@SETTINGS
@given(value=values_st, crit=criteria_st)
def test_backends_agree(value: Any, crit: Any, sql_engines: dict) -> None:  # noqa: F811
    expected = criteria_match(value, crit)
    for engine in sql_engines:
        for got in run(engine, sql_engines, value, crit):
            assert got is expected, f"{engine}: {value!r} against {crit!r} gave {got!r}"


def test_sqlite_reads_non_text_criteria_like_python() -> None:
    """SQLite hands numbers to the function as they are; they mean equality, as in Python."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT tx_crit_num(10, 10), tx_crit_text('10', 10), tx_crit_num(11, 10),"
                    " tx_crit_text(NULL, NULL), tx_crit_date('2025-01-31 00:00:00', '2025-01-31')")
        ).one()
    engine.dispose()
    assert tuple(rows) == (1, 1, 0, 1, 1)
