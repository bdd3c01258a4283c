"""Date functions: the clock (TODAY, NOW), parts of a date or time (YEAR ... SECOND, WEEKDAY,
WEEKNUM), month and working-day arithmetic (EDATE, EOMONTH, WORKDAY, NETWORKDAYS) and
differences (DAYS, DATEDIF, YEARFRAC).

A number given where a date is expected is an Excel serial (1899-12-30 is 0, 9999-12-31 is
2958465; outside that, #NUM!); text is parsed year-first (tessera.formula.excel.dates). From
serial 61 (1900-03-01) on the serials are Excel's; Excel's 1..60 are one day later than ours
because Excel counts a fictitious 1900-02-29 (its serial 60), so DAY(60) is 28 here and 29 in
Excel. A blank date argument gives a blank result. The
Excel semantics live in the primitives of :mod:`tessera.formula.excel.dates` (``tx_*`` in
SQL, NULL meaning the error named by each primitive); this module only wires them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tessera.formula.excel import dates as xdates
from tessera.formula.pysource import source_builder
from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue, when_error
from tessera.formula.types import DATE, DATETIME, NUMBER, FType
from tessera.formula.values import NUM, VALUE, ExcelError

F = sa.func

PARAM_NAMES_ZH.update({
    "date_text": "日期文本", "time": "时间", "return_type": "返回类型", "start_date": "开始日期",
    "end_date": "结束日期", "months": "月数", "unit": "单位", "days": "天数", "basis": "基准",
})

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
source_builder("TODAY")(lambda src, args, t: "env.today")
source_builder("NOW")(lambda src, args, t: "env.now")


def _py_date(y: float, m: float, d: float) -> Any:
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


# ----- parts of a date or time ----------------------------------------------------------------

for _part, _kind, _en, _zh in (
    ("year", "date", "The year of a date.", "日期的年份。"),
    ("month", "date", "The month (1-12) of a date.", "日期的月份（1-12）。"),
    ("day", "date", "The day of the month (1-31) of a date.", "日期是当月的第几天（1-31）。"),
    ("hour", "datetime", "The hour (0-23) of a time; a serial's fraction is the time (HOUR(0.75) = 18).",
     "时间的小时数（0-23）；序列号的小数部分为时间（HOUR(0.75) = 18）。"),
    ("minute", "datetime", "The minute (0-59) of a time.", "时间的分钟数（0-59）。"),
    ("second", "datetime", "The second (0-59) of a time (serials are rounded to whole seconds).",
     "时间的秒数（0-59，序列号按整秒四舍五入）。"),
):
    define(FunctionSpec(
        _part.upper(), "date", (Param("date" if _kind == "date" else "time", _kind),), NUMBER, _en, _zh,
        python=lambda d, _part=_part: float(getattr(d, _part)),
        sql=lambda c, d, _part=_part: c.date_part(d, _part),
    ))


# ----- wiring of the date primitives ----------------------------------------------------------


def _py_primitive(fn: Callable[..., Any], code: ExcelError = NUM) -> Callable[..., Any]:
    """The Python twin: None from the primitive is the error ``code``."""

    def run(*args: Any) -> Any:
        r = fn(*args)
        return code if r is None else r

    run.__name__ = fn.__name__
    return run


def _sql_primitive(name: str, dates: tuple[int, ...], returns: FType, code: str = "#NUM!") -> Callable[..., SqlValue]:
    """``tx_<name>(args)``; NULL is ``code`` unless a date argument (at ``dates``) is blank, which
    gives a blank result as in the interpreter."""

    def sql(c: SqlContext, *args: Any) -> SqlValue:
        type_ = sa.Date if returns.kind == "date" and c.pg else None
        r = getattr(F, name)(*args, type_=type_)
        present = [args[i].is_not(None) for i in dates]
        return SqlValue(r, when_error(sa.and_(r.is_(None), *present), code))

    return sql


def _define_primitive(name: str, params: tuple[Param, ...], returns: FType, fn: Callable[..., Any],
                      en: str, zh: str) -> None:
    dates = tuple(i for i, p in enumerate(params) if p.kind == "date")
    define(FunctionSpec(
        name, "date", params, returns, en, zh,
        python=_py_primitive(fn), sql=_sql_primitive(f"tx_{name.lower()}", dates, returns), may_error=True,
    ))


_START = Param("start_date", "date")
_END = Param("end_date", "date")

_define_primitive(
    "WEEKDAY", (Param("date", "date"), Param("return_type", "number", optional=True, default=1.0)), NUMBER,
    xdates.weekday,
    "Day of the week: type 1 (default) Sunday=1..Saturday=7, 2 Monday=1..Sunday=7, 3 Monday=0..Sunday=6, "
    "11-17 start at Monday..Sunday.",
    "星期几：类型 1（默认）星期日=1…星期六=7，2 星期一=1…星期日=7，3 星期一=0…星期日=6，11-17 分别从星期一…星期日起算。",
)
_define_primitive(
    "WEEKNUM", (Param("date", "date"), Param("return_type", "number", optional=True, default=1.0)), NUMBER,
    xdates.weeknum,
    "Week of the year; the week with 1 January is week 1. Weeks start on Sunday (type 1, default), "
    "Monday (2, 11), ... (12-17); type 21 is the ISO week.",
    "一年中的第几周，1 月 1 日所在周为第 1 周。每周从星期日（类型 1，默认）、星期一（2、11）……（12-17）开始；类型 21 为 ISO 周。",
)
_define_primitive(
    "EDATE", (_START, Param("months", "number")), DATE, xdates.edate,
    "The same day a number of months later (earlier when negative), kept within the month "
    "(EDATE(2024-01-31, 1) = 2024-02-29).",
    "若干个月之后（负数为之前）的同一天，不超出当月（EDATE(2024-01-31, 1) = 2024-02-29）。",
)
_define_primitive(
    "EOMONTH", (_START, Param("months", "number")), DATE, xdates.eomonth,
    "The last day of the month a number of months later (0: this month).",
    "若干个月之后那个月的最后一天（0 为本月）。",
)
_define_primitive(
    "DATEDIF", (_START, _END, Param("unit", "text")), NUMBER, xdates.datedif,
    'Whole years "Y", months "M" or days "D" between two dates; "YM", "YD", "MD" ignore the larger units. '
    "A start after the end gives #NUM!.",
    '两个日期之间的整年数 "Y"、整月数 "M" 或天数 "D"；"YM"、"YD"、"MD" 忽略更大的单位。开始日期晚于结束日期时返回 #NUM!。',
)
_define_primitive(
    "NETWORKDAYS", (_START, _END), NUMBER, xdates.networkdays,
    "Working days (Monday to Friday) from start to end, both included; negative when the end is earlier.",
    "从开始日期到结束日期（含两端）的工作日（星期一至星期五）天数；结束日期较早时为负数。",
)
_define_primitive(
    "WORKDAY", (_START, Param("days", "number")), DATE, xdates.workday,
    "The working day (Monday to Friday) a number of working days after (before, when negative) the start.",
    "开始日期之后（负数为之前）若干个工作日（星期一至星期五）的日期。",
)
_define_primitive(
    "YEARFRAC", (_START, _END, Param("basis", "number", optional=True, default=0.0)), NUMBER, xdates.yearfrac,
    "The fraction of a year between two dates: basis 0 US 30/360 (default), 1 actual/actual, 2 actual/360, "
    "3 actual/365, 4 European 30/360.",
    "两个日期之间占一年的比例：基准 0 美国 30/360（默认），1 实际/实际，2 实际/360，3 实际/365，4 欧洲 30/360。",
)


# ----- text to date, differences ---------------------------------------------------------------


def _py_datevalue(s: str) -> Any:
    r = xdates.to_date(s)
    if r is None:
        return VALUE
    return r.date() if isinstance(r, dt.datetime) else r


def _sql_datevalue(c: SqlContext, s: Any) -> SqlValue:
    r = F.tx_to_date(s, type_=sa.Date if c.pg else None)
    return SqlValue(r, when_error(r.is_(None), "#VALUE!"))


define(FunctionSpec(
    "DATEVALUE", "date", (Param("date_text", "text"),), DATE,
    'The date written in a text, year first ("2024-01-05", "2024/1/5", "2024年1月5日"; a time is dropped); '
    "other text gives #VALUE!.",
    '文本中的日期，年份在前（"2024-01-05"、"2024/1/5"、"2024年1月5日"；时间部分被忽略）；其他文本返回 #VALUE!。',
    python=_py_datevalue, sql=_sql_datevalue, may_error=True,
))
define(FunctionSpec(
    "DAYS", "date", (_END, _START), NUMBER,
    "Days from the start date to the end date (times of day are ignored).",
    "从开始日期到结束日期的天数（忽略时间部分）。",
    python=lambda end, start: float((end - start).days),
    sql=lambda c, end, start: c.serial(end, "date") - c.serial(start, "date"),
))
