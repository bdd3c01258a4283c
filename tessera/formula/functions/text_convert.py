"""TEXT(value, format_text): a number, date or datetime written with an Excel format code
(every code of ``tessera.formula.excel.text_format``: ``0.00``, ``#,##0``, ``0%``,
``yyyy-mm-dd``, ``hh:mm``, ``yyyy年m月d日``, ``dddd``, ``mmm``, ``AM/PM``, ``aaaa``, ``上午/下午``...).

As in Excel: a blank value is 0; text that reads as a number is that number and year-first
date text that date (``TEXT("2024-03-05", "d/m")`` is "5/3"); other text comes back unchanged;
TRUE and FALSE stay "TRUE" / "FALSE". A date outside 1900-01-00 … 9999-12-31 (a negative
number under a date code) is #VALUE!.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.excel import dates as xdates
from tessera.formula.excel import numbers as xnumbers
from tessera.formula.excel.text_format import format_text
from tessera.formula.interpreter import Env, py_coercer
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import TEXT
from tessera.formula.values import VALUE, ExcelError

F = sa.func


def text_of(value: Any, fmt: str) -> Any:
    """TEXT of a runtime value (not an error) with a format."""
    if value is None:
        value = 0.0
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return VALUE
    if isinstance(value, str):
        number = xnumbers.to_number(value)
        if number is not None:
            value = float(number)
        else:
            parsed = xdates.to_date(value)
            if parsed is None:
                return value
            value = parsed
    out = format_text(value, fmt)
    return VALUE if out is None else out


def _text_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    value = ctx.compile(args[0])
    fmt, to_fmt = ctx.compile(args[1]), py_coercer("text", args[1].type)

    def run(env: Env) -> Any:
        v = value(env)
        if v.__class__ is ExcelError:
            return v
        f = fmt(env)
        if f.__class__ is ExcelError:
            return f
        f = to_fmt(f)
        if f.__class__ is ExcelError:
            return f
        out = text_of(v, f)
        return out if out.__class__ is ExcelError else (out or None)

    return run


def _sql_formatted(ctx: SqlContext, kind: str, v: Any, fmt: Any) -> Any:
    """The formatted text by the value's static kind; NULL where the primitive fails."""
    zero = F.tx_text_num(ctx.number(0), fmt)
    if kind == "blank":
        return zero
    if kind == "number":
        return F.tx_text_num(F.coalesce(v, ctx.number(0)), fmt)
    if kind == "date":
        return sa.case((v.is_(None), zero), else_=F.tx_text_date(v, fmt))
    if kind == "datetime":
        return sa.case((v.is_(None), zero), else_=F.tx_text_ts(v, fmt))
    if kind == "boolean":
        return sa.case((v.is_(None), zero), (v, "TRUE"), else_="FALSE")
    number, moment = F.tx_to_number(v), F.tx_to_datetime(v)
    return sa.case(
        (v.is_(None), zero),
        (number.is_not(None), F.tx_text_num(number, fmt)),
        (moment.is_not(None), F.tx_text_ts(moment, fmt)),
        else_=v,
    )


def _text_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    a = args[0]
    sv = ctx.compile(a)
    fmt = convert(ctx, ctx.compile(args[1]), args[1].type, "text")
    if a.type.is_list:
        return SqlValue(ctx.null(TEXT), first_error(sv.error, fmt.error, error_literal("#VALUE!")))
    if a.type.kind == "error":
        return SqlValue(ctx.null(TEXT), sv.error)
    out = _sql_formatted(ctx, a.type.kind, sv.value, fmt.value)
    return SqlValue(ctx.nonempty(out), first_error(sv.error, fmt.error, when_error(out.is_(None), "#VALUE!")))


define(FunctionSpec(
    "TEXT", "text", (Param("value"), Param("format_text", "text")), TEXT,
    "A number or date as text in a format such as \"0.00\", \"#,##0\", \"yyyy-mm-dd\" or \"yyyy年m月d日\".",
    "按格式（如 \"0.00\"、\"#,##0\"、\"yyyy-mm-dd\"、\"yyyy年m月d日\"）将数字或日期转为文本。",
    build_python=_text_python, build_sql=_text_sql,
))
