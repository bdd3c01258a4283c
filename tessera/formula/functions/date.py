"""Date functions: TODAY, NOW, DATE, YEAR, MONTH, DAY. A number given where a date is expected
is an Excel serial; text is parsed year-first (tessera.formula.excel.dates)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue, when_error
from tessera.formula.types import DATE, DATETIME, NUMBER
from tessera.formula.values import NUM

F = sa.func

define(FunctionSpec(
    "TODAY", "date", (), DATE, "Today's date (the engine clock).", "今天的日期（引擎时钟）。",
    build_python=lambda ctx, args, t: (lambda env: env.today),
    build_sql=lambda ctx, args, t: SqlValue(ctx.date(ctx.today)), volatile=True,
))
define(FunctionSpec(
    "NOW", "date", (), DATETIME, "The current date and time (the engine clock).", "当前日期和时间（引擎时钟）。",
    build_python=lambda ctx, args, t: (lambda env: env.now),
    build_sql=lambda ctx, args, t: SqlValue(ctx.date(ctx.now)), volatile=True,
))


def _py_date(y: float, m: float, d: float) -> Any:
    from tessera.formula.excel import dates as xdates

    r = xdates.excel_date(y, m, d)
    return NUM if r is None else r


def _sql_date(c: SqlContext, y: Any, m: Any, d: Any) -> SqlValue:
    r = F.tx_date(y, m, d)
    if c.pg:
        r = sa.cast(r, sa.Date)
    return SqlValue(r, when_error(r.is_(None), "#NUM!"))


define(FunctionSpec(
    "DATE", "date", (Param("year", "number"), Param("month", "number"), Param("day", "number")), DATE,
    "The date of a year, month and day (months and days may overflow, as in Excel).",
    "由年、月、日组成日期（月、日可溢出，同 Excel）。",
    python=_py_date, sql=_sql_date, may_error=True,
))

for _part, _en, _zh in (
    ("year", "The year of a date.", "日期的年份。"),
    ("month", "The month (1-12) of a date.", "日期的月份（1-12）。"),
    ("day", "The day of the month (1-31) of a date.", "日期是当月的第几天（1-31）。"),
):
    define(FunctionSpec(
        _part.upper(), "date", (Param("date", "date"),), NUMBER, _en, _zh,
        python=lambda d, _part=_part: float(getattr(d, _part)),
        sql=lambda c, d, _part=_part: c.date_part(d, _part),
    ))

