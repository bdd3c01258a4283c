"""The operators (+ - * / ^ % & comparisons, unary), each in Python and in SQL side by side.

Arithmetic works on numbers after coercion (dates as Excel serials); a date-typed result turns
the serial back into a date (``date + 7``) or datetime (``date + 0.5``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from typing import Any

import sqlalchemy as sa

from tessera.formula.sqlcore import SqlContext, SqlValue, convert, first_error, when_error
from tessera.formula.types import FType, compare_class
from tessera.formula.values import (
    DIV0,
    NUM,
    ExcelError,
    ascii_lower,
    check_number,
    date_to_serial,
    serial_to_date,
    serial_to_datetime,
    to_number,
    to_text,
)

__all__ = ["py_arith", "sql_arith", "py_compare", "sql_compare", "py_concat", "sql_concat"]

F = sa.func

# ----- arithmetic ---------------------------------------------------------------------------


def _power(a: float, b: float) -> float | ExcelError:
    if a == 0:
        return NUM if b == 0 else (DIV0 if b < 0 else 0.0)
    try:
        return math.pow(a, b)
    except ValueError:
        return NUM
    except OverflowError:
        return NUM


def _divide(a: float, b: float) -> float | ExcelError:
    return DIV0 if b == 0 else a / b


_PY_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _divide, "^": _power}


def py_from_serial(result: FType):
    if result.kind == "date":
        return serial_to_date
    if result.kind == "datetime":
        return serial_to_datetime
    return check_number


def py_arith(op: str, result: FType):
    """A function (a, b) -> value for a binary arithmetic operator."""
    fn = _PY_ARITH[op]
    finish = py_from_serial(result)

    def run(a: Any, b: Any) -> Any:
        a = to_number(a)
        if a.__class__ is ExcelError:
            return a
        b = to_number(b)
        if b.__class__ is ExcelError:
            return b
        r = fn(a, b)
        if r.__class__ is ExcelError:
            return r
        return finish(r)

    return run


def sql_arith(ctx: SqlContext, op: str, left: SqlValue, lt: FType, right: SqlValue, rt: FType, result: FType) -> SqlValue:
    a = convert(ctx, left, lt, "number")
    b = convert(ctx, right, rt, "number")
    x, y = a.value, b.value
    err = first_error(a.error, b.error)
    if op == "+":
        v = x + y
    elif op == "-":
        v = x - y
    elif op == "*":
        v = x * y
    elif op == "/":
        # typed as doubles: SQLAlchemy would divide untyped function results (sqrt, ln) as NUMERIC
        v = sa.type_coerce(x, sa.Float(53)) / sa.type_coerce(F.nullif(y, 0.0), sa.Float(53))
        err = first_error(err, when_error(y == 0, "#DIV/0!"))
    else:
        bad = sa.or_(sa.and_(x == 0, y <= 0), sa.and_(x < 0, y != ctx.floor(y)))
        v = sa.case((bad, None), (x == 0, 0.0), else_=F.power(x, y))
        op_err = sa.case(
            (sa.and_(x == 0, y < 0), ctx.text("#DIV/0!")),
            (bad, ctx.text("#NUM!")),
        )
        err = first_error(err, op_err)
    return SqlValue(sql_from_serial(ctx, v, result), err)


def sql_from_serial(ctx: SqlContext, v: Any, result: FType) -> Any:
    if result.kind == "date":
        return ctx.serial_to_date(v)
    if result.kind == "datetime":
        return ctx.serial_to_datetime(v)
    return v


# ----- comparison ---------------------------------------------------------------------------

_PY_CMP = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_DEFAULTS = {0: 0.0, 1: "", 2: False}


def _py_class(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    return 0


def _py_key(v: Any, cls: int) -> Any:
    if cls == 1:
        return ascii_lower(v)
    if isinstance(v, dt.date):
        return date_to_serial(v)
    return v


def py_compare(op: str):
    fn = _PY_CMP[op]

    def run(a: Any, b: Any) -> Any:
        if a.__class__ is ExcelError:
            return a
        if b.__class__ is ExcelError:
            return b
        if isinstance(a, list) or isinstance(b, list):
            return ExcelError("#VALUE!")
        ca, cb = _py_class(a), _py_class(b)
        if ca is None and cb is None:
            return fn(0, 0)
        if ca is None:
            a, ca = _DEFAULTS[cb], cb
        if cb is None:
            b, cb = _DEFAULTS[ca], ca
        if ca != cb:
            return fn(ca, cb)
        return fn(_py_key(a, ca), _py_key(b, cb))

    return run


def _sql_key(ctx: SqlContext, sv: SqlValue, t: FType, cls: int) -> Any:
    """The comparable SQL value of ``sv`` in class ``cls`` (blank becomes the class default)."""
    if cls == 1:
        return ctx.lower(convert(ctx, sv, t, "text").value)
    if cls == 2:  # booleans compare as 0/1 (PostgreSQL booleans and SQLite ints alike)
        return sa.case((convert(ctx, sv, t, "boolean").value, 1), else_=0)
    return convert(ctx, sv, t, "number").value


def _sql_cmp(op: str, a: Any, b: Any) -> Any:
    return {
        "=": operator.eq, "<>": operator.ne, "<": operator.lt,
        "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    }[op](a, b)


def sql_compare(ctx: SqlContext, op: str, left: SqlValue, lt: FType, right: SqlValue, rt: FType) -> SqlValue:
    err = first_error(left.error, right.error)
    if lt.is_list or rt.is_list:
        return SqlValue(ctx.null(FType("boolean")), first_error(err, ctx.text("#VALUE!")))
    ca, cb = compare_class(lt), compare_class(rt)
    if ca is None and cb is None:  # blank/error against blank/error
        return SqlValue(ctx.boolean(_PY_CMP[op](0, 0)), err)
    if ca is None or cb is None or ca == cb:
        cls = ca if ca is not None else cb
        value = _sql_cmp(op, _sql_key(ctx, left, lt, cls), _sql_key(ctx, right, rt, cls))
        return SqlValue(value, err)
    # Different classes: constant by Excel's order, unless one side is blank at run time.
    constant = ctx.boolean(_PY_CMP[op](ca, cb))
    value = sa.case(
        (left.value.is_(None), _sql_cmp(op, _blank_key(ctx, cb), _sql_key(ctx, right, rt, cb))),
        (right.value.is_(None), _sql_cmp(op, _sql_key(ctx, left, lt, ca), _blank_key(ctx, ca))),
        else_=constant,
    )
    return SqlValue(value, err)


def _blank_key(ctx: SqlContext, cls: int) -> Any:
    return {0: ctx.number(0), 1: ctx.text(""), 2: sa.literal(0)}[cls]


# ----- text concatenation -------------------------------------------------------------------


def py_concat(a: Any, b: Any) -> Any:
    a = to_text(a)
    if a.__class__ is ExcelError:
        return a
    b = to_text(b)
    if b.__class__ is ExcelError:
        return b
    return (a + b) or None


def sql_concat(ctx: SqlContext, left: SqlValue, lt: FType, right: SqlValue, rt: FType) -> SqlValue:
    a = convert(ctx, left, lt, "text")
    b = convert(ctx, right, rt, "text")
    return SqlValue(ctx.nonempty(a.value.op("||")(b.value)), first_error(a.error, b.error))
