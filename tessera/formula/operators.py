"""The operators (+ - * / ^ % & comparisons, unary), each in Python and in SQL side by side.

Arithmetic works on numbers after coercion (dates as Excel serials); a date-typed result turns
the serial back into a date (``date + 7``) or datetime (``date + 0.5``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import sys
from dataclasses import dataclass
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

__all__ = ["py_arith", "sql_arith", "sql_checked", "sql_power", "py_compare", "sql_compare", "py_concat", "sql_concat"]

F = sa.func

# ----- arithmetic ---------------------------------------------------------------------------


# x ^ y is #NUM! where y * ln|x| > POW_LOG_MAX (a little below ln of the largest double) and
# 0 where it is below POW_LOG_ZERO (the result would round to 0): decided on y * ln|x| alike in
# Python, SQLite and PostgreSQL (the same C log()), since PostgreSQL's power() raises for both.
POW_LOG_MAX = 709.78
POW_LOG_ZERO = -745.0


def _pow_log(a: float, b: float) -> float:
    """b * ln|a| (a != 0) with b clamped so that the product cannot overflow or underflow."""
    b = 0.0 if abs(b) < 1e-100 else max(-1e300, min(b, 1e300))
    return b * math.log(abs(a))


def _power(a: float, b: float) -> float | ExcelError:
    if a == 0:
        return NUM if b == 0 else (DIV0 if b < 0 else 0.0)
    if a < 0 and b != math.floor(b):
        return NUM
    log = _pow_log(a, b)
    if log > POW_LOG_MAX:
        return NUM
    if log < POW_LOG_ZERO:
        return 0.0
    return math.pow(a, b)


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
    a = _operand(ctx, left, lt)
    b = _operand(ctx, right, rt)
    x, y = a.value, b.value
    if op == "^":
        v, op_err = sql_power(ctx, x, y)
        return SqlValue(sql_from_serial(ctx, v, result), first_error(a.error, b.error, op_err, serial_error(v, result)))
    # Where an operand is an arithmetic tree, its own overflow check can wait for this node's
    # unless an error of the right operand would come between (PostgreSQL: this node's test
    # reads all the leaves; SQLite: inf stays inf or becomes NaN, which SQLite makes NULL, except
    # under a division: x / inf is 0).
    ta, tb = _tree(x), _tree(y)
    ta = ta if ta is not None and ta.inner_error is not _UNSET else None  # (not an operator's)
    tb = tb if tb is not None and tb.inner_error is not _UNSET else None
    err = first_error(ta.inner_error if ta is not None and b.error is None else a.error,
                      tb.inner_error if tb is not None and (ctx.pg or op != "/") else b.error)
    if op == "/":
        err = first_error(err, when_error(y == 0, "#DIV/0!"))
    v, op_err = sql_checked(ctx, op, x, y)
    tree = _tree(v)
    if tree is not None:
        tree.inner_error = err
    return SqlValue(sql_from_serial(ctx, v, result), first_error(err, op_err, serial_error(v, result)))


def _operand(ctx: SqlContext, sv: SqlValue, t: FType) -> SqlValue:
    """An operand as a number; an arithmetic result as it is (for its parts, see _Tree)."""
    if t.kind == "number" and not t.is_list and _tree(sv.value) is not None:
        return sv  # never NULL unless in error: converting would only hide its parts
    return convert(ctx, sv, t, "number")


# ----- overflow ---------------------------------------------------------------------------
# A result beyond the double range is #NUM! as in Python. SQLite computes inf, which the error
# column catches. PostgreSQL raises instead (and raises for a product or quotient that rounds
# to 0 too), so no operation may run where it could: an arithmetic tree (+ - * / over other
# expressions, its "leaves") runs as plain SQL where every leaf is 0 or between 1e-30 and 1e30
# and the bounds below prove that no step can leave the range, and otherwise as tx_add /
# tx_mul / tx_div calls (pg/50_overflow.sql), which return NULL where a step overflows. The
# test reads each leaf once (width_bucket), so nesting does not repeat work.

MAX_DOUBLE = sys.float_info.max
_PG_CHECKED = {"+": "tx_add", "-": "tx_add", "*": "tx_mul", "/": "tx_div"}
_BAND_LOG2 = math.log2(1e30)
_BAND = "'{-1e30,-1e-30,0,5e-324,1e-30,1e30}'::double precision[]"  # odd buckets: in the band
_SAFE_LOW, _SAFE_HIGH = -1060.0, 1020.0  # log2 magnitudes every step stays within


_UNSET = object()


@dataclass
class _Tree:
    """An arithmetic tree compiled for PostgreSQL: ``plain`` (raises outside the band),
    ``checked`` (tx_* calls, NULL on overflow), the leaves the band test reads, and bounds of
    log2 |value| for a non-zero value when they are in the band (lo > hi: always 0), and the
    error of the tree without its root's overflow check (set by sql_arith)."""

    plain: Any
    checked: Any
    leaves: tuple[Any, ...]
    lo: float
    hi: float
    divides: bool = False
    scales: bool = False  # has a product or quotient
    inner_error: Any = _UNSET

    @property
    def safe(self) -> bool:
        return self.lo > self.hi or (self.lo >= _SAFE_LOW and self.hi <= _SAFE_HIGH)


def _tree(expr: Any) -> _Tree | None:
    return getattr(expr, "_tessera_tree", None)


def _constant(expr: Any) -> float | None:
    """The value of a number literal (``ctx.number``, maybe under coalesce), else None."""
    while True:
        if isinstance(expr, sa.sql.elements.Cast | sa.sql.elements.TypeCoerce):
            expr = expr.clause
        elif isinstance(expr, sa.sql.functions.coalesce):
            expr = list(expr.clauses)[0]
        else:
            break
    if isinstance(expr, sa.sql.elements.BindParameter) and isinstance(expr.value, float):
        return expr.value
    return None


def _leaf(expr: Any) -> _Tree:
    tree = _tree(expr)
    if tree is not None:
        return tree
    c = _constant(expr)
    if c is not None and math.isfinite(c):
        log = math.log2(abs(c)) if c else 0.0
        return _Tree(expr, expr, (), log if c else math.inf, log if c else -math.inf)
    return _Tree(expr, expr, (expr,), -_BAND_LOG2, _BAND_LOG2)


def _combine(op: str, a: _Tree, b: _Tree) -> tuple[float, float]:
    """Bounds of log2 |a op b| (non-zero results), one extra bit for rounding."""
    if a.lo > a.hi and (op in "*/" or b.lo > b.hi):
        return math.inf, -math.inf  # 0 * b, 0 / b, 0 + 0
    if op == "*":
        return a.lo + b.lo - 1, a.hi + b.hi + 1
    if op == "/":
        return (a.lo - b.hi - 1, a.hi - b.lo + 1) if b.lo <= b.hi else (math.inf, -math.inf)
    # a non-zero sum or difference is a multiple of the smaller operand's last bit
    return min(a.lo, b.lo) - 54, max(a.hi, b.hi) + 1


def _pg_checked(ctx: SqlContext, op: str, x: Any, y: Any) -> tuple[Any, Any]:
    a, b = _leaf(x), _leaf(y)
    lo, hi = _combine(op, a, b)
    divisor = F.nullif(b.plain, 0.0) if op == "/" else b.plain
    plain = {"+": a.plain + b.plain, "-": a.plain - b.plain, "*": a.plain * b.plain,
             "/": sa.type_coerce(a.plain, sa.Float(53)) / sa.type_coerce(divisor, sa.Float(53))}[op]
    checked_y = F.nullif(b.checked, 0.0) if op == "/" else (-b.checked if op == "-" else b.checked)
    checked = getattr(F, _PG_CHECKED[op])(a.checked, checked_y, type_=sa.Float(53))
    leaves = a.leaves + tuple(leaf for leaf in b.leaves if not any(leaf is seen for seen in a.leaves))
    tree = _Tree(plain, checked, leaves, lo, hi, op == "/" or a.divides or b.divides,
                 op in "*/" or a.scales or b.scales)
    if not tree.safe:
        value, error = checked, when_error(checked.is_(None), "#NUM!")
    elif not leaves:
        value, error = plain, None
    else:
        biggest = F.greatest(*[F.abs(leaf) for leaf in leaves])
        if tree.scales:
            band = sa.and_(*[F.mod(F.width_bucket(leaf, sa.literal_column(_BAND)), 2) == 1 for leaf in leaves])
        else:  # sums and differences cannot underflow
            band = biggest <= 1e30
        value = sa.case((band, plain), else_=checked)
        # a step can only overflow where a leaf is beyond 1e30, or below 1e-30 under a division
        suspect = biggest > 1e30
        if tree.divides:
            suspect = sa.or_(suspect, F.least(*[F.abs(leaf) for leaf in leaves]) < 1e-30)
        error = sa.case((sa.and_(suspect, checked.is_(None)), ctx.text("#NUM!")))
    value._tessera_tree = tree
    return value, error


def sql_checked(ctx: SqlContext, op: str, x: Any, y: Any) -> tuple[Any, Any]:
    """``x op y`` (+ - * /) on doubles as (value, error): the error is #NUM! where the result
    is beyond the double range, and a product or quotient that underflows is 0, as in Python.
    A zero divisor gives NULL: callers report #DIV/0! before this error."""
    if ctx.pg:
        return _pg_checked(ctx, op, x, y)
    if op == "+":
        v = x + y
    elif op == "-":
        v = x - y
    elif op == "*":
        v = x * y
    else:
        # typed as doubles: SQLAlchemy would divide untyped function results (sqrt, ln) as NUMERIC
        v = sa.type_coerce(x, sa.Float(53)) / sa.type_coerce(F.nullif(y, 0.0), sa.Float(53))
    v._tessera_tree = _Tree(v, v, (), -math.inf, math.inf)  # (for the deferred check only)
    # NULL: NaN from an operand's inf (or a zero divisor, reported before as #DIV/0!); BETWEEN
    # reads v once and calls no function
    return v, sa.case((v.between(-MAX_DOUBLE, MAX_DOUBLE), sa.null()), else_=ctx.text("#NUM!"))


def sql_power(ctx: SqlContext, x: Any, y: Any) -> tuple[Any, Any]:
    """``x ^ y`` as (value, error), mirroring :func:`_power` (power() is never called where it
    would overflow or underflow: PostgreSQL raises there)."""
    bad = sa.or_(sa.and_(x == 0, y <= 0), sa.and_(x < 0, y != ctx.floor(y)))
    clamped = sa.case((F.abs(y) < 1e-100, 0.0), (y > 1e300, 1e300), (y < -1e300, -1e300), else_=y)
    log = clamped * F.ln(sa.case((x == 0, 1.0), else_=F.abs(x)), type_=sa.Float(53))
    v = sa.case((bad, None), (x == 0, 0.0), (log > POW_LOG_MAX, None), (log < POW_LOG_ZERO, 0.0),
                else_=F.power(x, y, type_=sa.Float(53)))
    err = sa.case(
        (sa.and_(x == 0, y < 0), ctx.text("#DIV/0!")),
        (bad, ctx.text("#NUM!")),
        (sa.and_(x != 0, log > POW_LOG_MAX), ctx.text("#NUM!")),
    )
    return v, err


# Serials of 0001-01-01 and of the day after 9999-12-31: Python's dates end there (#NUM!).
SERIAL_FIRST, SERIAL_END = -693593.0, 2958466.0


def sql_from_serial(ctx: SqlContext, v: Any, result: FType) -> Any:
    """A date / datetime result from its serial; NULL beyond the dates Python has (see
    :func:`serial_error`), where PostgreSQL would raise."""
    if result.kind not in ("date", "datetime"):
        return v
    v = sa.case((sa.and_(v >= SERIAL_FIRST, v < SERIAL_END), v))
    return ctx.serial_to_date(v) if result.kind == "date" else ctx.serial_to_datetime(v)


def serial_error(v: Any, result: FType) -> Any:
    """#NUM! where a date / datetime result's serial ``v`` is beyond the years 1-9999."""
    if result.kind not in ("date", "datetime"):
        return None
    return when_error(sa.or_(v < SERIAL_FIRST, v >= SERIAL_END), "#NUM!")


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
