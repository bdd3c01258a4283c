"""Text functions: CONCAT, CONCATENATE, LEN, LOWER, UPPER, LEFT, RIGHT, VALUE.

Case mapping is ASCII-only so that SQLite, PostgreSQL and Python agree."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.excel import numbers as xnumbers
from tessera.formula.interpreter import Env
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import NUMBER, TEXT
from tessera.formula.values import VALUE, ExcelError, ascii_lower, date_to_serial

F = sa.func
S = (Param("text", "text"),)


def _sql_concat(c: SqlContext, *parts: Any) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = out.op("||")(p)
    return out


for _name in ("CONCAT", "CONCATENATE"):
    define(FunctionSpec(
        _name, "text", (Param("text", "text", repeat=True),), TEXT,
        "Joins texts end to end (numbers in General format, dates as ISO).",
        "将多个文本首尾相连（数字按常规格式，日期按 ISO 格式）。",
        python=lambda *xs: "".join(xs), sql=_sql_concat,
    ))

define(FunctionSpec(
    "LEN", "text", S, NUMBER, "Number of characters in a text.", "文本的字符数。",
    python=lambda s: float(len(s)), sql=lambda c, s: c.length(s),
))
define(FunctionSpec(
    "LOWER", "text", S, TEXT, "Text in lower case (A-Z).", "将文本转为小写（A-Z）。",
    python=ascii_lower, sql=lambda c, s: c.lower(s),
))
_ASCII_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}
define(FunctionSpec(
    "UPPER", "text", S, TEXT, "Text in upper case (a-z).", "将文本转为大写（a-z）。",
    python=lambda s: s.translate(_ASCII_UPPER), sql=lambda c, s: c.upper(s),
))


def _py_left(s: str, n: float) -> Any:
    if n < 0:
        return VALUE
    return s[: math.floor(n)]


def _py_right(s: str, n: float) -> Any:
    if n < 0:
        return VALUE
    k = math.floor(n)
    return s[len(s) - k:] if k > 0 else ""


def _count(c: SqlContext, n: Any) -> Any:
    """A character count as an SQL integer (negative counts are an error, clamped to 0)."""
    return sa.cast(c.floor(sa.case((n < 0, 0.0), (n > 1e9, 1e9), else_=n)), sa.Integer)


def _sql_left(c: SqlContext, s: Any, n: Any) -> SqlValue:
    k = _count(c, n)
    value = F.left(s, k) if c.pg else F.substr(s, 1, k)
    return SqlValue(value, when_error(n < 0, "#VALUE!"))


def _sql_right(c: SqlContext, s: Any, n: Any) -> SqlValue:
    k = _count(c, n)
    value = F.right(s, k) if c.pg else sa.case((k == 0, ""), else_=F.substr(s, -k))
    return SqlValue(value, when_error(n < 0, "#VALUE!"))


_LR = (Param("text", "text"), Param("count", "number", optional=True, default=1.0))
define(FunctionSpec(
    "LEFT", "text", _LR, TEXT, "The first characters of a text (1 by default).", "文本开头的若干字符（默认 1 个）。",
    python=_py_left, sql=_sql_left, may_error=True,
))
define(FunctionSpec(
    "RIGHT", "text", _LR, TEXT, "The last characters of a text (1 by default).", "文本末尾的若干字符（默认 1 个）。",
    python=_py_right, sql=_sql_right, may_error=True,
))


# ----- VALUE: text to number (dates give their serial) ---------------------------------------


def _value_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    inner = ctx.compile(args[0])

    def run(env: Env) -> Any:
        v = inner(env)
        if v is None:
            return 0.0
        if v.__class__ is ExcelError:
            return v
        if isinstance(v, bool) or isinstance(v, list):
            return VALUE
        if isinstance(v, float):
            return v
        if isinstance(v, str):
            n = xnumbers.to_number(v)
            return VALUE if n is None else float(n)
        return date_to_serial(v)

    return run


def _value_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    a = args[0]
    sv = ctx.compile(a)
    if a.type.is_list:
        return SqlValue(ctx.null(NUMBER), error_literal("#VALUE!"))
    if a.type.kind == "boolean":
        return SqlValue(ctx.number(0), first_error(sv.error, when_error(sv.value.is_not(None), "#VALUE!")))
    return convert(ctx, sv, a.type, "number")


define(FunctionSpec(
    "VALUE", "text", (Param("text"),), NUMBER, "Converts text that reads as a number into a number.",
    "将表示数字的文本转换为数字。", build_python=_value_python, build_sql=_value_sql,
))
