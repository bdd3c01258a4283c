"""TEXT() and PROPER: Python, SQLite and PostgreSQL give the same, Excel-correct text."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.db import create_engine
from tessera.formula.excel import text_format
from tessera.formula.pg_functions import install_pg_functions

ENGINES = ["python"] + [
    b.strip()
    for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def sql_engines(request: pytest.FixtureRequest) -> Iterator[dict[str, sa.Connection]]:
    connections: dict[str, sa.Connection] = {}
    engines: list[sa.Engine] = []
    if "sqlite" in ENGINES:
        engines.append(create_engine("sqlite://"))
        connections["sqlite"] = engines[-1].connect()
    if "postgresql" in ENGINES:
        engines.append(create_engine(request.getfixturevalue("pg_session_url")))
        with engines[-1].begin() as conn:
            install_pg_functions(conn)
        connections["postgresql"] = engines[-1].connect()
    yield connections
    for conn in connections.values():
        conn.close()
    for engine in engines:
        engine.dispose()


def text_sql(conn: sa.Connection, value: Any, fmt: str) -> Any:
    """TEXT through the SQL function matching the value's type on this backend."""
    if isinstance(value, dt.datetime):
        name, pg_type, param = "tx_text_ts", "timestamp", value
    elif isinstance(value, dt.date):
        name, pg_type, param = "tx_text_date", "date", value
    else:
        name, pg_type, param = "tx_text_num", "double precision", value
    if conn.dialect.name == "sqlite":
        if isinstance(value, dt.date):
            param = (
                value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
            )
        sql = f"SELECT {name}(:v, :f)"
    else:
        sql = f"SELECT {name}(CAST(:v AS {pg_type}), CAST(:f AS text))"
    return conn.execute(sa.text(sql), {"v": param, "f": fmt}).scalar()


def run_text(engine: str, engines: dict, value: Any, fmt: str) -> Any:
    if engine == "python":
        return text_format.format_text(value, fmt)
    return text_sql(engines[engine], value, fmt)


def run_proper(engine: str, engines: dict, s: str) -> Any:
    if engine == "python":
        return text_format.proper(s)
    conn = engines[engine]
    cast = "CAST(:s AS text)" if conn.dialect.name == "postgresql" else ":s"
    return conn.execute(sa.text(f"SELECT tx_proper({cast})"), {"s": s}).scalar()


D = dt.date(2024, 3, 5)  # a Tuesday
T = dt.datetime(2024, 3, 5, 14, 30, 15)
TEXT_CASES = [
    (1234.567, "0", "1235"),
    (1234.567, "0.00", "1234.57"),
    (1234567.891, "#,##0", "1,234,568"),
    (1234567.891, "#,##0.00", "1,234,567.89"),
    (0.3, "#,##0", "0"),
    (5.0, "#,000", "005"),
    (0.256, "0%", "26%"),
    (0.256, "0.0%", "25.6%"),
    (12345.678, "0.00E+00", "1.23E+04"),
    (0.00012, "0.00E+00", "1.20E-04"),
    (0.00012, "0.0E-0", "1.2E-4"),
    (12345.6789, "##0.0E+0", "12.3E+3"),
    (0.0, "0.00E+00", "0.00E+00"),
    (5.0, '"Total: "0', "Total: 5"),
    (5.0, "0 \\k\\g", "5 kg"),
    (5.0, "0_)", "5 "),
    (-5.0, "0", "-5"),
    (-5.0, "$#,##0.00", "-$5.00"),
    (-5.0, "0;(0)", "(5)"),
    (0.0, '0;-0;"zero"', "zero"),
    (-0.4, "0", "-0"),
    (1.005, "0.00", "1.01"),
    (2.5, "0", "3"),
    (-2.5, "0", "-3"),
    (0.5, "#.##", ".5"),
    (1.0, "0.##", "1."),
    (1.25, "0.0#", "1.25"),
    (3.0, "00.0?", "03.0 "),
    (5551234.0, "000-0000", "555-1234"),
    (1234567.0, '#,##0,"K"', "1,235K"),
    (1234567.0, '0.0,,"M"', "1.2M"),
    (1e20, "0", "100000000000000000000"),
    (1234.5, "General", "1234.5"),
    (1 / 3, "General", "0.333333333333333"),
    (1234.5, "[Red]0.0", "1234.5"),
    (45000.0, "yyyy-mm-dd", "2023-03-15"),
    (45000.75, "yyyy-mm-dd hh:mm:ss", "2023-03-15 18:00:00"),
    (0.5, "hh:mm", "12:00"),
    (45000.5, "h:mm AM/PM", "12:00 PM"),
    (45000.25, "h:mm am/pm", "6:00 am"),
    (0.0, "yyyy-mm-dd dddd", "1900-01-00 Saturday"),
    (60.0, "yyyy-mm-dd", "1900-02-29"),
    (59.0, "yyyy-mm-dd ddd", "1900-02-28 Tue"),
    (61.0, "yyyy-mm-dd ddd", "1900-03-01 Thu"),
    (45000.99998, "hh:mm:ss", "23:59:58"),
    (45000.999999, "hh:mm:ss", "00:00:00"),
    (45000.9999999, "yyyy-mm-dd hh:mm:ss", "2023-03-16 00:00:00"),
    (-1.0, "yyyy-mm-dd", None),
    (3e6, "yyyy", None),
    (D, "yyyy-mm-dd", "2024-03-05"),
    (D, "yyyy年m月d日", "2024年3月5日"),
    (D, "aaaa", "星期二"),
    (D, "aaa", "二"),
    (D, "dddd, mmmm d, yyyy", "Tuesday, March 5, 2024"),
    (D, "ddd mmm yy", "Tue Mar 24"),
    (D, "mmmmm", "M"),
    (D, "m/d", "3/5"),
    (D, "0", "45356"),
    (D, "#,##0.00", "45,356.00"),
    (T, "yyyy-mm-dd hh:mm", "2024-03-05 14:30"),
    (T, "上午/下午h:mm", "下午2:30"),
    (T, "h:mm A/P", "2:30 P"),
    (T, "hh:mm:ss", "14:30:15"),
    (T, "mm:ss", "30:15"),
    (T, "yyyy年m月d日 aaaa hh时mm分", "2024年3月5日 星期二 14时30分"),
    (T, "0.00", "45356.60"),
    (dt.datetime(2024, 3, 5, 9, 5, 59, 600000), "h:m:s", "9:6:0"),
    (dt.datetime(2024, 3, 5, 8, 0), "上午/下午h点", "上午8点"),
    (dt.date(1899, 12, 1), "0", None),
]
PROPER_CASES = [
    ("this is a TITLE", "This Is A Title"),
    ("2-way street", "2-Way Street"),
    ("76BudGet", "76Budget"),
    ("don't", "Don'T"),
    ("张三 li SI", "张三 Li Si"),
    ("", ""),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", TEXT_CASES, ids=[f"TEXT({v!r},{f!r})" for v, f, _ in TEXT_CASES])
def test_text(case: tuple, engine: str, sql_engines: dict) -> None:
    value, fmt, expected = case
    assert run_text(engine, sql_engines, value, fmt) == expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", PROPER_CASES, ids=[f"PROPER({s!r})" for s, _ in PROPER_CASES])
def test_proper(case: tuple, engine: str, sql_engines: dict) -> None:
    s, expected = case
    assert run_proper(engine, sql_engines, s) == expected


def assert_text_agrees(value: Any, fmt: str, sql_engines: dict) -> None:
    expected = text_format.format_text(value, fmt)
    for engine in sql_engines:
        got = run_text(engine, sql_engines, value, fmt)
        assert got == expected, f"{engine}: TEXT({value!r}, {fmt!r}) = {got!r}, python {expected!r}"


number_formats = st.lists(
    st.sampled_from(["0", "#", "?", ".", ",", "%", "E+", "E-", '"x"', "-", " ", ";", "\\a", "0"]),
    min_size=1,
    max_size=8,
).map("".join)
date_formats = st.lists(
    st.sampled_from(
        [
            "yyyy",
            "yy",
            "m",
            "mm",
            "mmm",
            "mmmm",
            "d",
            "dd",
            "ddd",
            "dddd",
            "h",
            "hh",
            ":",
            "ss",
            "s",
            "AM/PM",
            "A/P",
            "上午/下午",
            "aaa",
            "aaaa",
            "年",
            "-",
            " ",
            "/",
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)
decimal_like = st.builds(lambda n, p: n / 10**p, st.integers(-(10**10), 10**10), st.integers(0, 6))
numbers_st = st.one_of(decimal_like, st.floats(-1e12, 1e12, allow_nan=False))
serials = st.floats(0, 2958465.99, allow_nan=False)
datetimes = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31))


@SETTINGS
@given(value=numbers_st, fmt=number_formats)
def test_number_formats_agree(value: float, fmt: str, sql_engines: dict) -> None:
    assert_text_agrees(value, fmt, sql_engines)


@SETTINGS
@given(value=serials, fmt=date_formats)
def test_serial_dates_agree(value: float, fmt: str, sql_engines: dict) -> None:
    assert_text_agrees(value, fmt, sql_engines)


@SETTINGS
@given(
    value=st.one_of(datetimes, datetimes.map(lambda t: t.date())),
    fmt=st.one_of(date_formats, number_formats),
)
def test_dates_agree(value: dt.date, fmt: str, sql_engines: dict) -> None:
    assert_text_agrees(value, fmt, sql_engines)


@SETTINGS
@given(s=st.text(alphabet="abcXYZ '-1中é", max_size=12))
def test_proper_agrees(s: str, sql_engines: dict) -> None:
    expected = text_format.proper(s)
    for engine in sql_engines:
        assert run_proper(engine, sql_engines, s) == expected
