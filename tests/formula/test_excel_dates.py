"""Date primitives: Python, SQLite and PostgreSQL give the same, Excel-correct answers.

Each case runs on three engines: the Python function in tessera.formula.excel.dates, the
``tx_*`` SQL function on SQLite (dates as ISO text) and the PL/pgSQL function on PostgreSQL
(dates as ``date`` / ``timestamp``). Hypothesis then compares the three on generated inputs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.db import create_engine
from tessera.formula.excel import dates
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
# SQL argument / result kinds and their PostgreSQL types.
NUM, TEXT, DATE, TS, BOOL = "double precision", "text", "date", "timestamp", "boolean"
D, T = dt.date, dt.datetime


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


def to_sqlite(value: Any) -> Any:
    """How a value travels to SQLite: dates as ISO text, booleans as 1/0."""
    if isinstance(value, T):
        return value.isoformat(sep=" ")
    if isinstance(value, D):
        return value.isoformat()
    return value


def from_sql(value: Any, kind: str) -> Any:
    """A SQL result as the Python value the primitive returns."""
    if value is None:
        return None
    if kind == DATE and isinstance(value, str):
        return D.fromisoformat(value)
    if kind == TS and isinstance(value, str):
        return T.fromisoformat(value)
    if kind == NUM:
        return float(value)
    if kind == BOOL:
        return bool(value)
    return value


def call_sql(conn: sa.Connection, name: str, types: tuple[str, ...], result: str,
             args: tuple) -> Any:
    pg = conn.dialect.name == "postgresql"
    placeholders = ", ".join(
        f"CAST(:a{i} AS {t})" if pg else f":a{i}" for i, t in enumerate(types)
    )
    params = {f"a{i}": (a if pg else to_sqlite(a)) for i, a in enumerate(args)}
    raw = conn.execute(sa.text(f"SELECT {name}({placeholders})"), params).scalar()
    return from_sql(raw, result)


class Spec:
    """One primitive: its Python function, SQL name, SQL argument types and result kind."""

    def __init__(self, fn: Callable[..., Any], sql: str, types: tuple[str, ...], result: str):
        self.fn, self.sql, self.types, self.result = fn, sql, types, result

    def run(self, engine: str, engines: dict, args: tuple) -> Any:
        if engine == "python":
            return self.fn(*args)
        return call_sql(engines[engine], self.sql, self.types, self.result, args)


def same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (a date never equals a datetime; None only None)."""
    if a is None or b is None:
        return a is b
    return a == b and type(a) is type(b)


def assert_engines_agree(spec: Spec, args: tuple, engines: dict) -> None:
    expected = spec.fn(*args)
    for engine in engines:
        got = spec.run(engine, engines, args)
        assert same(got, expected), f"{engine}: {spec.sql}{args} = {got!r}, python says {expected!r}"


def _to_datetime(s: str) -> T | None:
    r = dates.to_date(s)
    return T(r.year, r.month, r.day) if type(r) is D else r


def _to_date_only(s: str) -> D | None:
    r = dates.to_date(s)
    return r.date() if isinstance(r, T) else r


TO_DATETIME = Spec(_to_datetime, "tx_to_datetime", (TEXT,), TS)
TO_DATE = Spec(_to_date_only, "tx_to_date", (TEXT,), DATE)
SERIAL_TO_DATE = Spec(dates.serial_to_date, "tx_serial_to_date", (NUM,), DATE)
SERIAL_TO_DATETIME = Spec(dates.serial_to_datetime, "tx_serial_to_datetime", (NUM,), TS)
DATE_TO_SERIAL = Spec(dates.date_to_serial, "tx_date_to_serial", (DATE,), NUM)
TS_TO_SERIAL = Spec(dates.date_to_serial, "tx_date_to_serial", (TS,), NUM)
DATE_FN = Spec(dates.excel_date, "tx_date", (NUM, NUM, NUM), DATE)
EDATE = Spec(dates.edate, "tx_edate", (DATE, NUM), DATE)
EOMONTH = Spec(dates.eomonth, "tx_eomonth", (DATE, NUM), DATE)
DATEDIF = Spec(dates.datedif, "tx_datedif", (DATE, DATE, TEXT), NUM)
YEARFRAC = Spec(dates.yearfrac, "tx_yearfrac", (DATE, DATE, NUM), NUM)
NETWORKDAYS = Spec(dates.networkdays, "tx_networkdays", (DATE, DATE), NUM)
WORKDAY = Spec(dates.workday, "tx_workday", (DATE, NUM), DATE)
WEEKNUM = Spec(dates.weeknum, "tx_weeknum", (DATE, NUM), NUM)
WEEKDAY = Spec(dates.weekday, "tx_weekday", (DATE, NUM), NUM)

# (spec, arguments, expected). Expected values are Excel's (Microsoft's function reference
# examples where it gives them), except where the module docstring documents a deviation.
CASES: list[tuple[Spec, tuple, Any]] = [
    # text -> date / datetime, year first only
    (TO_DATE, ("2024-01-05",), D(2024, 1, 5)),
    (TO_DATE, ("2024/1/5",), D(2024, 1, 5)),
    (TO_DATE, ("2024.1.5",), D(2024, 1, 5)),
    (TO_DATE, ("2024年1月5日",), D(2024, 1, 5)),
    (TO_DATE, (" 2024-01-05 ",), D(2024, 1, 5)),
    (TO_DATE, ("2024-01-05 14:30",), D(2024, 1, 5)),
    (TO_DATE, ("2024-02-29",), D(2024, 2, 29)),
    (TO_DATE, ("2024-02-30",), None),
    (TO_DATE, ("2023-02-29",), None),
    (TO_DATE, ("2024-13-01",), None),
    (TO_DATE, ("2024-1/5",), None),
    (TO_DATE, ("1/5/2024",), None),
    (TO_DATE, ("05.01.2024",), None),
    (TO_DATE, ("1899-12-31",), None),
    (TO_DATE, ("2024",), None),
    (TO_DATE, ("",), None),
    (TO_DATE, ("2024-01-05\n",), None),
    (TO_DATETIME, ("2024-01-05",), T(2024, 1, 5)),
    (TO_DATETIME, ("2024-01-05 14:30",), T(2024, 1, 5, 14, 30)),
    (TO_DATETIME, ("2024-01-05T14:30:15",), T(2024, 1, 5, 14, 30, 15)),
    (TO_DATETIME, ("2024/1/5  9:05:07",), T(2024, 1, 5, 9, 5, 7)),
    (TO_DATETIME, ("2024年1月5日14:30",), T(2024, 1, 5, 14, 30)),
    (TO_DATETIME, ("2024年1月5日 14:30:15",), T(2024, 1, 5, 14, 30, 15)),
    (TO_DATETIME, ("2024-01-05 14:30:15.25",), T(2024, 1, 5, 14, 30, 15, 250000)),
    (TO_DATETIME, ("2024-01-05 24:00",), None),
    (TO_DATETIME, ("2024-01-05 12:60",), None),
    (TO_DATETIME, ("2024-01-05 12:5",), None),
    (TO_DATETIME, ("2024-01-05 12:00:60",), None),
    # serials: 45000 is 2023-03-15; serial 60 is 1900-02-28 (no fictitious leap day)
    (SERIAL_TO_DATE, (45000.0,), D(2023, 3, 15)),
    (SERIAL_TO_DATE, (45000.99,), D(2023, 3, 15)),
    (SERIAL_TO_DATE, (61.0,), D(1900, 3, 1)),
    (SERIAL_TO_DATE, (60.0,), D(1900, 2, 28)),
    (SERIAL_TO_DATE, (1.0,), D(1899, 12, 31)),
    (SERIAL_TO_DATE, (0.0,), D(1899, 12, 30)),
    (SERIAL_TO_DATE, (2958465.0,), D(9999, 12, 31)),
    (SERIAL_TO_DATE, (2958466.0,), None),
    (SERIAL_TO_DATE, (-1.0,), None),
    (SERIAL_TO_DATE, (-0.5,), None),
    (SERIAL_TO_DATETIME, (45000.5,), T(2023, 3, 15, 12)),
    (SERIAL_TO_DATETIME, (45000.25 + 1 / 86400,), T(2023, 3, 15, 6, 0, 1)),
    (SERIAL_TO_DATETIME, (45000.999999,), T(2023, 3, 16)),
    (SERIAL_TO_DATETIME, (2958465.99999,), T(9999, 12, 31, 23, 59, 59)),
    (SERIAL_TO_DATETIME, (2958465.999999,), None),
    (SERIAL_TO_DATETIME, (-1.0,), None),
    (DATE_TO_SERIAL, (D(2023, 3, 15),), 45000.0),
    (DATE_TO_SERIAL, (D(1900, 3, 1),), 61.0),
    (DATE_TO_SERIAL, (D(1899, 12, 30),), 0.0),
    (TS_TO_SERIAL, (T(2023, 3, 15, 12),), 45000.5),
    (TS_TO_SERIAL, (T(2023, 3, 15, 6, 0, 0, 999999),), 45000.25),
    (TS_TO_SERIAL, (T(2023, 3, 15),), 45000.0),
    # DATE
    (DATE_FN, (2024.0, 1.0, 5.0), D(2024, 1, 5)),
    (DATE_FN, (2024.0, 14.0, 1.0), D(2025, 2, 1)),
    (DATE_FN, (2024.0, 1.0, 0.0), D(2023, 12, 31)),
    (DATE_FN, (2024.0, 0.0, 1.0), D(2023, 12, 1)),
    (DATE_FN, (2024.0, -1.0, 1.0), D(2023, 11, 1)),
    (DATE_FN, (2024.0, 2.0, 30.0), D(2024, 3, 1)),
    (DATE_FN, (2024.0, 1.0, 400.0), D(2025, 2, 3)),
    (DATE_FN, (2024.0, 1.0, -30.0), D(2023, 12, 1)),
    (DATE_FN, (2024.9, 1.9, 5.9), D(2024, 1, 5)),
    (DATE_FN, (108.0, 1.0, 2.0), D(2008, 1, 2)),
    (DATE_FN, (0.0, 1.0, 1.0), D(1900, 1, 1)),
    (DATE_FN, (1899.0, 12.0, 31.0), D(3799, 12, 31)),
    (DATE_FN, (9999.0, 12.0, 31.0), D(9999, 12, 31)),
    (DATE_FN, (9999.0, 12.0, 32.0), None),
    (DATE_FN, (10000.0, 1.0, 1.0), None),
    (DATE_FN, (-1.0, 1.0, 1.0), None),
    (DATE_FN, (1900.0, 1.0, -1.0), D(1899, 12, 30)),
    (DATE_FN, (1900.0, 1.0, -2.0), None),
    (DATE_FN, (2024.0, 1200.0, -36000.0), D(2025, 5, 7)),
    (DATE_FN, (2024.0, 1e300, -1e300), None),
    # EDATE / EOMONTH
    (EDATE, (D(2011, 1, 15), 1.0), D(2011, 2, 15)),
    (EDATE, (D(2011, 1, 15), -1.0), D(2010, 12, 15)),
    (EDATE, (D(2011, 1, 15), 2.0), D(2011, 3, 15)),
    (EDATE, (D(2024, 1, 31), 1.0), D(2024, 2, 29)),
    (EDATE, (D(2023, 1, 31), 1.9), D(2023, 2, 28)),
    (EDATE, (D(2024, 3, 31), -1.5), D(2024, 2, 29)),
    (EDATE, (D(2024, 5, 31), 12.0), D(2025, 5, 31)),
    (EDATE, (D(9999, 12, 1), 1.0), None),
    (EDATE, (D(1899, 12, 30), -1.0), None),
    (EDATE, (D(2024, 1, 1), 1e9), None),
    (EOMONTH, (D(2011, 1, 1), 1.0), D(2011, 2, 28)),
    (EOMONTH, (D(2011, 1, 1), -3.0), D(2010, 10, 31)),
    (EOMONTH, (D(2024, 1, 15), 1.0), D(2024, 2, 29)),
    (EOMONTH, (D(2024, 1, 15), 0.0), D(2024, 1, 31)),
    (EOMONTH, (D(9999, 12, 1), 0.0), D(9999, 12, 31)),
    (EOMONTH, (D(9999, 12, 1), 1.0), None),
    # DATEDIF
    (DATEDIF, (D(2001, 1, 1), D(2003, 1, 1), "Y"), 2.0),
    (DATEDIF, (D(2001, 6, 1), D(2002, 8, 15), "D"), 440.0),
    (DATEDIF, (D(2001, 6, 1), D(2002, 8, 15), "YD"), 75.0),
    (DATEDIF, (D(2001, 6, 1), D(2002, 8, 15), "md"), 14.0),
    (DATEDIF, (D(2001, 6, 1), D(2002, 8, 15), "M"), 14.0),
    (DATEDIF, (D(2001, 6, 1), D(2002, 8, 15), "YM"), 2.0),
    (DATEDIF, (D(2024, 1, 31), D(2024, 2, 29), "M"), 0.0),
    (DATEDIF, (D(2020, 2, 29), D(2021, 2, 28), "Y"), 0.0),
    (DATEDIF, (D(2020, 2, 29), D(2021, 3, 1), "Y"), 1.0),
    (DATEDIF, (D(2015, 1, 31), D(2015, 3, 1), "MD"), -2.0),
    (DATEDIF, (D(2012, 1, 28), D(2012, 3, 1), "MD"), 2.0),
    (DATEDIF, (D(2011, 1, 29), D(2011, 3, 1), "MD"), 0.0),
    (DATEDIF, (D(2024, 12, 31), D(2025, 1, 1), "MD"), 1.0),
    (DATEDIF, (D(1988, 6, 22), D(2012, 5, 11), "YD"), 323.0),
    (DATEDIF, (D(2024, 1, 5), D(2024, 1, 5), "D"), 0.0),
    (DATEDIF, (D(2024, 1, 6), D(2024, 1, 5), "D"), None),
    (DATEDIF, (D(2024, 1, 5), D(2024, 2, 5), "W"), None),
    (DATEDIF, (D(2024, 1, 5), D(2024, 2, 5), ""), None),
    # YEARFRAC (Microsoft's example: 2012-01-01..2012-07-30)
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 0.0), 209 / 360),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 1.0), 211 / 366),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 3.0), 211 / 365),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 2.0), 211 / 360),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 4.0), 209 / 360),
    (YEARFRAC, (D(2012, 7, 30), D(2012, 1, 1), 1.0), 211 / 366),
    (YEARFRAC, (D(2024, 2, 29), D(2025, 2, 28), 0.0), 1.0),
    (YEARFRAC, (D(2023, 2, 28), D(2024, 2, 29), 0.0), 1.0),
    (YEARFRAC, (D(2024, 1, 31), D(2024, 3, 31), 0.0), 60 / 360),
    (YEARFRAC, (D(2024, 1, 30), D(2024, 3, 31), 4.0), 60 / 360),
    (YEARFRAC, (D(2023, 3, 1), D(2024, 2, 29), 1.0), 365 / 366),
    (YEARFRAC, (D(2023, 1, 1), D(2023, 12, 31), 1.0), 364 / 365),
    (YEARFRAC, (D(2022, 6, 1), D(2024, 6, 1), 1.0), 731 / (1096 / 3)),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), 5.0), None),
    (YEARFRAC, (D(2012, 1, 1), D(2012, 7, 30), -1.0), None),
    # NETWORKDAYS / WORKDAY (no holidays)
    (NETWORKDAYS, (D(2012, 10, 1), D(2013, 3, 1)), 110.0),
    (NETWORKDAYS, (D(2024, 1, 1), D(2024, 1, 31)), 23.0),
    (NETWORKDAYS, (D(2024, 1, 31), D(2024, 1, 1)), -23.0),
    (NETWORKDAYS, (D(2024, 1, 6), D(2024, 1, 7)), 0.0),
    (NETWORKDAYS, (D(2024, 1, 5), D(2024, 1, 5)), 1.0),
    (NETWORKDAYS, (D(1899, 12, 30), D(1900, 1, 1)), 1.0),
    (WORKDAY, (D(2008, 10, 1), 151.0), D(2009, 4, 30)),
    (WORKDAY, (D(2024, 1, 5), 1.0), D(2024, 1, 8)),
    (WORKDAY, (D(2024, 1, 6), 1.0), D(2024, 1, 8)),
    (WORKDAY, (D(2024, 1, 8), -1.0), D(2024, 1, 5)),
    (WORKDAY, (D(2024, 1, 7), -1.0), D(2024, 1, 5)),
    (WORKDAY, (D(2024, 1, 6), 0.0), D(2024, 1, 6)),
    (WORKDAY, (D(2024, 1, 3), 7.9), D(2024, 1, 12)),
    (WORKDAY, (D(1900, 1, 1), -2.0), None),
    (WORKDAY, (D(9999, 12, 31), 1.0), None),
    # WEEKNUM / WEEKDAY
    (WEEKNUM, (D(2012, 3, 9), 1.0), 10.0),
    (WEEKNUM, (D(2012, 3, 9), 2.0), 11.0),
    (WEEKNUM, (D(2024, 1, 1), 1.0), 1.0),
    (WEEKNUM, (D(2024, 1, 7), 1.0), 2.0),
    (WEEKNUM, (D(2024, 1, 7), 2.0), 1.0),
    (WEEKNUM, (D(2024, 1, 7), 17.0), 2.0),
    (WEEKNUM, (D(2024, 1, 3), 13.0), 2.0),
    (WEEKNUM, (D(2024, 12, 31), 1.0), 53.0),
    (WEEKNUM, (D(2021, 1, 1), 21.0), 53.0),
    (WEEKNUM, (D(2024, 12, 30), 21.0), 1.0),
    (WEEKNUM, (D(2024, 1, 1), 3.0), None),
    (WEEKNUM, (D(2024, 1, 1), 22.0), None),
    (WEEKDAY, (D(2008, 2, 14), 1.0), 5.0),
    (WEEKDAY, (D(2008, 2, 14), 2.0), 4.0),
    (WEEKDAY, (D(2008, 2, 14), 3.0), 3.0),
    (WEEKDAY, (D(2024, 1, 7), 1.0), 1.0),
    (WEEKDAY, (D(2024, 1, 7), 2.0), 7.0),
    (WEEKDAY, (D(2024, 1, 7), 3.0), 6.0),
    (WEEKDAY, (D(2024, 1, 7), 11.0), 7.0),
    (WEEKDAY, (D(2024, 1, 7), 16.0), 2.0),
    (WEEKDAY, (D(2024, 1, 7), 17.0), 1.0),
    (WEEKDAY, (D(2024, 1, 7), 4.0), None),
    (WEEKDAY, (D(2024, 1, 7), 0.0), None),
]


def case_id(case: tuple) -> str:
    spec, args, _ = case
    return f"{spec.sql}({', '.join(map(str, args))})"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(case: tuple, engine: str, sql_engines: dict) -> None:
    spec, args, expected = case
    got = spec.run(engine, sql_engines, args)
    assert same(got, expected), f"{engine}: {spec.sql}{args} = {got!r}, expected {expected!r}"


def test_sqlite_accepts_datetime_text_where_a_date_is_expected() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        check_sqlite_date_inputs(conn)
    engine.dispose()


def check_sqlite_date_inputs(conn: sa.Connection) -> None:
    got = conn.execute(sa.text("SELECT tx_edate('2024-01-31 14:30:00', 1)")).scalar()
    assert got == "2024-02-29"
    got = conn.execute(sa.text("SELECT tx_date_to_serial('2023-03-15 12:00:00')")).scalar()
    assert got == 45000.5
    got = conn.execute(sa.text("SELECT tx_weekday('not a date', 1)")).scalar()
    assert got is None


# ------------------------------------------------------------------------- hypothesis

common_dates = st.dates(D(1899, 12, 30), D(2200, 12, 31))
edge_dates = st.sampled_from(
    [D(1899, 12, 30), D(1900, 2, 28), D(1900, 3, 1), D(2000, 2, 29), D(2024, 2, 29),
     D(2023, 12, 31), D(9999, 12, 31), D(9999, 1, 31), D(1899, 12, 31)]
)
dates_st = st.one_of(common_dates, edge_dates, st.dates(D(1899, 12, 30), D(9999, 12, 31)))
datetimes_st = st.datetimes(T(1899, 12, 30), T(9999, 12, 31, 23, 59, 59))
small_numbers = st.one_of(
    st.integers(-40, 40).map(float), st.floats(-1000, 1000), st.floats(-1e7, 1e7),
    st.sampled_from([1e9, -1e9, 1e300, -0.5, 0.999]),
)


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    y = draw(st.integers(1890, 2100))
    m, d = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    form = draw(st.sampled_from(["-", "/", ".", "cn", "mixed"]))
    if form == "cn":
        text = f"{y}年{m}月{d}日"
    elif form == "mixed":
        text = f"{y}-{m}/{d}"
    else:
        pad = draw(st.booleans())
        text = f"{y}{form}{m:02d}{form}{d:02d}" if pad else f"{y}{form}{m}{form}{d}"
    if draw(st.booleans()):
        h, mi, s = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
        sep = draw(st.sampled_from([" ", "T", "  ", ""]))
        text += f"{sep}{h}:{mi:02d}" + (f":{s:02d}" if draw(st.booleans()) else "")
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " ", "x"]))


@SETTINGS
@given(s=st.one_of(date_texts(), st.text(alphabet="0123456789-/. :年月日T", max_size=20)))
def test_to_datetime_agrees(s: str, sql_engines: dict) -> None:
    assert_engines_agree(TO_DATETIME, (s,), sql_engines)
    assert_engines_agree(TO_DATE, (s,), sql_engines)


@SETTINGS
@given(n=st.one_of(st.floats(-10, 3e6), st.floats(allow_nan=False, allow_infinity=False)))
def test_serials_agree(n: float, sql_engines: dict) -> None:
    assert_engines_agree(SERIAL_TO_DATE, (n,), sql_engines)
    assert_engines_agree(SERIAL_TO_DATETIME, (n,), sql_engines)


@SETTINGS
@given(d=dates_st, ts=datetimes_st)
def test_date_to_serial_agrees(d: D, ts: T, sql_engines: dict) -> None:
    assert_engines_agree(DATE_TO_SERIAL, (d,), sql_engines)
    assert_engines_agree(TS_TO_SERIAL, (ts,), sql_engines)
    assert dates.serial_to_date(dates.date_to_serial(d)) == d


@SETTINGS
@given(
    y=st.one_of(st.integers(-2, 10001).map(float), st.floats(-10, 1e4)),
    m=small_numbers,
    d=small_numbers,
)
def test_date_agrees(y: float, m: float, d: float, sql_engines: dict) -> None:
    assert_engines_agree(DATE_FN, (y, m, d), sql_engines)


@pytest.mark.parametrize("spec", [EDATE, EOMONTH, WORKDAY], ids=lambda s: s.sql)
@SETTINGS
@given(d=dates_st, n=small_numbers)
def test_month_and_workday_shifts_agree(spec: Spec, d: D, n: float, sql_engines: dict) -> None:
    assert_engines_agree(spec, (d, n), sql_engines)


@SETTINGS
@given(d1=dates_st, d2=dates_st, unit=st.sampled_from(["Y", "M", "D", "MD", "YM", "YD", "yd", "x"]))
def test_datedif_agrees(d1: D, d2: D, unit: str, sql_engines: dict) -> None:
    assert_engines_agree(DATEDIF, (d1, d2, unit), sql_engines)


@SETTINGS
@given(d1=dates_st, d2=dates_st, basis=st.one_of(st.integers(-1, 5).map(float), st.floats(-1, 5)))
def test_yearfrac_agrees(d1: D, d2: D, basis: float, sql_engines: dict) -> None:
    assert_engines_agree(YEARFRAC, (d1, d2, basis), sql_engines)


@SETTINGS
@given(d1=dates_st, d2=dates_st)
def test_networkdays_agrees(d1: D, d2: D, sql_engines: dict) -> None:
    assert_engines_agree(NETWORKDAYS, (d1, d2), sql_engines)


@SETTINGS
@given(d=dates_st, t=st.one_of(st.integers(-1, 25).map(float), st.floats(-1e6, 1e6)))
def test_weeknum_and_weekday_agree(d: D, t: float, sql_engines: dict) -> None:
    assert_engines_agree(WEEKNUM, (d, t), sql_engines)
    assert_engines_agree(WEEKDAY, (d, t), sql_engines)
