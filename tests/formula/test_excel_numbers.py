"""Number primitives: Python, SQLite and PostgreSQL give the same, Excel-correct answers.

Each case runs on three engines: the Python function, the ``tx_*`` SQL function on SQLite
(registered by ``tessera.db.create_engine``) and the PL/pgSQL function on PostgreSQL.
Hypothesis then compares the three on generated inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.db import create_engine
from tessera.formula.excel import numbers
from tessera.formula.pg_functions import install_pg_functions

ENGINES = ["python"] + [
    b.strip()
    for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
DOUBLE, TEXT = "double precision", "text"
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


def call_sql(conn: sa.Connection, name: str, types: tuple[str, ...], args: tuple) -> Any:
    placeholders = ", ".join(
        f"CAST(:a{i} AS {t})" if conn.dialect.name == "postgresql" else f":a{i}"
        for i, t in enumerate(types)
    )
    params = {f"a{i}": a for i, a in enumerate(args)}
    return conn.execute(sa.text(f"SELECT {name}({placeholders})"), params).scalar()


def run(engine: str, engines: dict, fn: Callable, sql: str, types: tuple, args: tuple) -> Any:
    if engine == "python":
        return fn(*args)
    return call_sql(engines[engine], sql, types, args)


def same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (1.0 and 1 are both numbers; None only equals None)."""
    if a is None or b is None:
        return a is b
    return a == b and isinstance(a, str) == isinstance(b, str)


# (python function, SQL name, SQL argument types)
GENERAL = (numbers.general_text, "tx_general", (DOUBLE,))
TO_NUMBER = (numbers.to_number, "tx_to_number", (TEXT,))
ROUND = (numbers.round_half_away, "tx_round", (DOUBLE, DOUBLE))
ROUNDUP = (numbers.roundup, "tx_roundup", (DOUBLE, DOUBLE))
ROUNDDOWN = (numbers.rounddown, "tx_rounddown", (DOUBLE, DOUBLE))
TRUNC = (numbers.trunc, "tx_trunc", (DOUBLE, DOUBLE))
MROUND = (numbers.mround, "tx_mround", (DOUBLE, DOUBLE))
CEILING = (numbers.ceiling, "tx_ceiling", (DOUBLE, DOUBLE))
FLOOR = (numbers.floor, "tx_floor", (DOUBLE, DOUBLE))

CASES = [
    # General format (expected values from Excel, via Apache POI's verified table)
    (GENERAL, (0.0,), "0"),
    (GENERAL, (-0.0,), "0"),
    (GENERAL, (1 / 3,), "0.333333333333333"),
    (GENERAL, (2 / 3,), "0.666666666666667"),
    (GENERAL, (0.1 + 0.2,), "0.3"),
    (GENERAL, (100.0,), "100"),
    (GENERAL, (-2.25,), "-2.25"),
    (GENERAL, (123456789012345.0,), "123456789012345"),
    (GENERAL, (1e15,), "1000000000000000"),
    (GENERAL, (1.2345678901234568e15,), "1234567890123460"),
    (GENERAL, (1.2345678901234567e19,), "12345678901234600000"),
    (GENERAL, (-1.2345678901234567e19,), "-12345678901234600000"),
    (GENERAL, (1.2345678901234568e20,), "1.23456789012346E+20"),
    (GENERAL, (2e50,), "2E+50"),
    (GENERAL, (1.2345678901234577e99,), "1.2345678901235E+99"),
    (GENERAL, (1.7976931348623157e308,), "1.7976931348623E+308"),
    (GENERAL, (123.45678901234568,), "123.456789012346"),
    (GENERAL, (12345678901234.6,), "12345678901234.6"),
    (GENERAL, (999999.9999999999,), "1000000"),
    (GENERAL, (1e-5,), "0.00001"),
    (GENERAL, (1.2345678901234568e-5,), "1.23456789012346E-05"),
    (GENERAL, (1.2345678901234567e-4,), "0.000123456789012346"),
    (GENERAL, (5.6789012345e-8,), "0.000000056789012345"),
    (GENERAL, (5.67890123456e-8,), "5.67890123456E-08"),
    (GENERAL, (9.999999999999999e-20,), "1E-19"),
    (GENERAL, (9.999999999999123e-98,), "9.99999999999912E-98"),
    (GENERAL, (1.0000000000001235e-99,), "1.0000000000001E-99"),
    (GENERAL, (2e-50,), "2E-50"),
    (GENERAL, (float("inf"),), None),
    # text -> number
    (TO_NUMBER, ("3",), 3.0),
    (TO_NUMBER, (" 3 ",), 3.0),
    (TO_NUMBER, ("1,234.5",), 1234.5),
    (TO_NUMBER, ("1,234,567",), 1234567.0),
    (TO_NUMBER, ("1e3",), 1000.0),
    (TO_NUMBER, ("2E-2",), 0.02),
    (TO_NUMBER, (".5",), 0.5),
    (TO_NUMBER, ("3.",), 3.0),
    (TO_NUMBER, ("-2",), -2.0),
    (TO_NUMBER, ("+2",), 2.0),
    (TO_NUMBER, ("50%",), 0.5),
    (TO_NUMBER, ("12.5 %",), 0.125),
    (TO_NUMBER, ("$12",), 12.0),
    (TO_NUMBER, ("-$1,000",), -1000.0),
    (TO_NUMBER, ("$-5",), -5.0),
    (TO_NUMBER, ("¥1,000",), 1000.0),
    (TO_NUMBER, ("￥8.5",), 8.5),
    (TO_NUMBER, ("(12)",), -12.0),
    (TO_NUMBER, ("0.1",), 0.1),
    (TO_NUMBER, ("000",), 0.0),
    (TO_NUMBER, ("1e-400",), 0.0),
    (TO_NUMBER, ("abc",), None),
    (TO_NUMBER, ("",), None),
    (TO_NUMBER, (" ",), None),
    (TO_NUMBER, (".",), None),
    (TO_NUMBER, ("1,2",), None),
    (TO_NUMBER, ("1,2345",), None),
    (TO_NUMBER, ("+-1",), None),
    (TO_NUMBER, ("(-1)",), None),
    (TO_NUMBER, ("(1",), None),
    (TO_NUMBER, ("1e400",), None),
    (TO_NUMBER, ("1 2",), None),
    (TO_NUMBER, ("3\n",), None),
    (TO_NUMBER, ("2024-01-05",), None),
    # ROUND and friends on the decimal value
    (ROUND, (1.005, 2.0), 1.01),
    (ROUND, (2.5, 0.0), 3.0),
    (ROUND, (-2.5, 0.0), -3.0),
    (ROUND, (2.15, 1.0), 2.2),
    (ROUND, (-1.475, 2.0), -1.48),
    (ROUND, (1250.0, -2.0), 1300.0),
    (ROUND, (-1250.0, -2.0), -1300.0),
    (ROUND, (21.5, -1.0), 20.0),
    (ROUND, (1.55, 1.9), 1.6),
    (ROUND, (1.55, -0.9), 2.0),
    (ROUND, (0.1 + 0.2, 15.0), 0.3),
    (ROUND, (123.456, 500.0), 123.456),
    (ROUND, (123.456, -500.0), 0.0),
    (ROUND, (1.7976931348623157e308, -308.0), None),
    (ROUNDUP, (3.2, 0.0), 4.0),
    (ROUNDUP, (-3.141, 2.0), -3.15),
    (ROUNDUP, (31415.92654, -2.0), 31500.0),
    (ROUNDUP, (1.1, 1.0), 1.1),
    (ROUNDDOWN, (3.7, 0.0), 3.0),
    (ROUNDDOWN, (-3.149, 2.0), -3.14),
    (ROUNDDOWN, (31415.92654, -2.0), 31400.0),
    (TRUNC, (8.9, 0.0), 8.0),
    (TRUNC, (-8.9, 0.0), -8.0),
    (TRUNC, (0.45, 1.0), 0.4),
    (MROUND, (10.0, 3.0), 9.0),
    (MROUND, (-10.0, -3.0), -9.0),
    (MROUND, (1.3, 0.2), 1.4),
    (MROUND, (7.5, 5.0), 10.0),
    (MROUND, (-7.5, -5.0), -10.0),
    (MROUND, (5.0, -2.0), None),
    (MROUND, (5.0, 0.0), 0.0),
    (CEILING, (2.5, 1.0), 3.0),
    (CEILING, (-2.5, 2.0), -2.0),
    (CEILING, (-2.5, -2.0), -4.0),
    (CEILING, (1.5, 0.1), 1.5),
    (CEILING, (0.234, 0.01), 0.24),
    (CEILING, (4.42, 0.05), 4.45),
    (CEILING, (2.5, -2.0), None),
    (CEILING, (2.5, 0.0), 0.0),
    (FLOOR, (3.7, 2.0), 2.0),
    (FLOOR, (-2.5, 2.0), -4.0),
    (FLOOR, (-2.5, -2.0), -2.0),
    (FLOOR, (1.58, 0.1), 1.5),
    (FLOOR, (0.234, 0.01), 0.23),
    (FLOOR, (2.5, -2.0), None),
    (FLOOR, (2.5, 0.0), None),
    (FLOOR, (0.0, 0.0), None),
]


def case_id(case: tuple) -> str:
    (_fn, sql, _types), args, _expected = case
    return f"{sql}({', '.join(map(repr, args))})"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(case: tuple, engine: str, sql_engines: dict) -> None:
    (fn, sql, types), args, expected = case
    got = run(engine, sql_engines, fn, sql, types, args)
    assert same(got, expected), f"{engine}: {sql}{args} = {got!r}, expected {expected!r}"


def assert_engines_agree(spec: tuple, args: tuple, sql_engines: dict) -> None:
    fn, sql, types = spec
    expected = fn(*args)
    for engine in sql_engines:
        got = run(engine, sql_engines, fn, sql, types, args)
        assert same(got, expected), f"{engine}: {sql}{args} = {got!r}, python says {expected!r}"


finite = st.floats(allow_nan=False, allow_infinity=False)
# Decimal-looking doubles (money, measurements) hit the halfway cases that matter.
decimal_like = st.builds(
    lambda digits, places: digits / 10**places,
    st.integers(-(10**12), 10**12),
    st.integers(0, 8),
)
numbers_st = st.one_of(finite, decimal_like)
small = st.one_of(st.integers(-12, 12).map(float), st.floats(-400, 400))


@SETTINGS
@given(x=numbers_st)
def test_general_agrees(x: float, sql_engines: dict) -> None:
    assert_engines_agree(GENERAL, (x,), sql_engines)


@SETTINGS
@given(x=numbers_st)
def test_general_reads_back(x: float) -> None:
    """General text is a number again and keeps 15 (14 for huge exponents) digits."""
    text = numbers.general_text(x)
    back = numbers.to_number(text)
    assert back is not None and (x == 0 or abs(back - x) <= abs(x) * 1e-13 or abs(x) < 2.3e-308)


number_text = st.one_of(
    st.text(alphabet=" 0123456789.,eE+-$¥%()", max_size=14),
    numbers_st.map(repr),
    numbers_st.map(lambda x: f"{x:,.3f}"),
    decimal_like.map(lambda x: f"${x}"),
    decimal_like.map(lambda x: f"{x}%"),
)


@SETTINGS
@given(s=number_text)
def test_to_number_agrees(s: str, sql_engines: dict) -> None:
    assert_engines_agree(TO_NUMBER, (s,), sql_engines)


@pytest.mark.parametrize("spec", [ROUND, ROUNDUP, ROUNDDOWN, TRUNC], ids=lambda s: s[1])
@SETTINGS
@given(x=numbers_st, n=small)
def test_rounding_agrees(spec: tuple, x: float, n: float, sql_engines: dict) -> None:
    assert_engines_agree(spec, (x, n), sql_engines)


multiples = st.one_of(
    decimal_like.filter(lambda m: abs(m) < 1e6),
    st.sampled_from([0.0, 0.05, -0.05, 0.1, 0.2, 3.0, -3.0, 1e-3, 1e300]),
)


@pytest.mark.parametrize("spec", [MROUND, CEILING, FLOOR], ids=lambda s: s[1])
@SETTINGS
@given(x=numbers_st, m=multiples)
def test_multiples_agree(spec: tuple, x: float, m: float, sql_engines: dict) -> None:
    assert_engines_agree(spec, (x, m), sql_engines)


@settings(max_examples=500, deadline=None)
@given(
    x=st.one_of(finite, st.sampled_from([1e23, -2.724374642018051e16, 5e-324, 9007199254740993.0]))
)
def test_decimal_value_matches_postgresql(x: float, sql_engines: dict) -> None:
    """numbers.decimal_of is PostgreSQL's float8::text (shortest, bounds excluded)."""
    assert float(numbers.decimal_of(x)) == x  # reads back as the same double
    if "postgresql" in sql_engines:
        pg = call_sql(sql_engines["postgresql"], "tx__decimal", (DOUBLE,), (x,))
        assert numbers.decimal_of(x) == pg


# ----- float fast paths against the exact Decimal path (same answer, bit for bit) ---------------
near_limits = st.sampled_from([2.0**53, -(2.0**53), 2.0**53 - 1, 2.0**53 + 2, 9007199254740993.0, 1e16, 1e15,
                               999999999999999.9, 0.0001, 0.00009999999999999999, 1e-4, 5e-324, -0.0, 0.0,
                               1.7976931348623157e308, 0.5, 2.5, -2.5, 1.005, 0.285, 1e22, 1e23])
fast_inputs = st.one_of(finite, decimal_like, near_limits,
                        st.integers(-(2**60), 2**60).map(float))


@settings(max_examples=2000, deadline=None)
@given(x=fast_inputs)
def test_decimal_of_fast_path_is_exact(x: float) -> None:
    assert numbers.decimal_of(x) == numbers.decimal_of_exact(x)
    assert str(numbers.decimal_of(x)) == str(numbers.decimal_of_exact(x))


@settings(max_examples=2000, deadline=None)
@given(x=fast_inputs)
def test_general_fast_path_is_exact(x: float) -> None:
    assert numbers.general_text(x) == numbers.general_text_exact(x)


@pytest.mark.parametrize("mode", ["ROUND_HALF_UP", "ROUND_UP", "ROUND_DOWN"])
@settings(max_examples=1500, deadline=None)
@given(x=fast_inputs, n=st.one_of(small, st.sampled_from([-500.0, 500.0, 25.0, -25.0, 39.0, 17.0, 1e300])))
def test_rounding_fast_path_is_exact(mode: str, x: float, n: float) -> None:
    fast, exact = numbers._round(x, n, mode), numbers.round_exact(x, n, mode)
    assert (fast is None and exact is None) or (repr(fast) == repr(exact)), (x, n, fast, exact)
