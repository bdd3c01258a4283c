"""A number's General text in SQL (sqlcore.general_text): whole numbers below 1e15 are written
in native SQL, everything else by ``tx_general``; both give exactly the Python General text."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tessera.formula import evaluate
from tessera.formula.evaluation import evaluate_sql
from tessera.formula.excel.numbers import general_text as python_general_text
from tessera.formula.sqlcore import SqlContext, general_text

VALUES = [0.0, -0.0, 7.0, -7.0, 2.5, -2.5, 0.1, 1 / 3, 2025.0, 999999999999999.0, -999999999999999.0,
          1e15, 1e15 + 2, 123456789012345.0, 1234567890123456.0, 2.0**53, 9.2e18, 2.0**63, 1e20, 1e300,
          5e-324, 1e-5]


def _context(engine) -> SqlContext:
    return SqlContext(engine.dialect.name, None, dt.date(2025, 6, 30), dt.datetime(2025, 6, 30), None)


def test_general_text_in_sql_is_the_python_general_text(engine):
    ctx = _context(engine)
    with engine.connect() as conn:
        for x in VALUES:
            value = sa.cast(sa.literal(x), sa.Float(53))
            got = conn.execute(sa.select(general_text(ctx, value))).scalar_one()
            assert got == python_general_text(x), x


def test_whole_numbers_skip_the_function_only_when_the_argument_is_cheap(engine):
    """A cheap argument (no tx_* call, no subquery) is tested in SQL first; an expensive one
    goes straight to tx_general, so it is evaluated once per row."""
    ctx = _context(engine)
    cheap = sa.cast(sa.literal(2025.0), sa.Float(53))
    dear = sa.func.tx_round(cheap, 0)
    cheap_sql = str(general_text(ctx, cheap).compile(dialect=engine.dialect))
    dear_sql = str(general_text(ctx, dear).compile(dialect=engine.dialect))
    assert cheap_sql.startswith("CASE") and "tx_general" in cheap_sql
    assert dear_sql.startswith("tx_general(") and dear_sql.count("tx_round(") == 1


@pytest.mark.parametrize("formula, expected", [
    ('"y" & YEAR(DATE(2024, 5, 1))', "y2024"),
    ('"n" & (-0.4 * 0)', "n0"),
    ('"n" & (10^15 - 1)', "n999999999999999"),
    ('"n" & 10^15', "n1000000000000000"),
    ('"n" & -(10^15 + 2)', "n-1000000000000000"),
    ('"n" & 2.5', "n2.5"),
])
def test_concatenated_numbers_read_as_in_excel(backend_url, formula, expected):
    assert evaluate_sql(formula, url=backend_url) == expected == evaluate(formula)
