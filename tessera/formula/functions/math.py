"""Math functions: scalar (ABS, ROUND, ROUNDUP, MROUND, CEILING, EXP, LOG...) and aggregates
over cells, lists and columns (SUM, AVERAGE, MIN, MAX, COUNT...)."""

from __future__ import annotations

import math as pymath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.excel import numbers as xnumbers
from tessera.formula.functions._ranges import py_items, range_rows, range_select
from tessera.formula.functions._sums import py_range_sum, sql_range_sum
from tessera.formula.interpreter import Env
from tessera.formula.operators import _power, sql_arith, sql_checked
from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import DATE, DATETIME, NUMBER, FType, is_date_like
from tessera.formula.values import (
    DIV0,
    NUM,
    VALUE,
    ExcelError,
    check_number,
    date_to_serial,
    round_half_away,
    serial_to_date,
    serial_to_datetime,
    to_number,
)

F = sa.func
X = (Param("number", "number"),)

# ----- scalar functions ---------------------------------------------------------------------

define(FunctionSpec(
    "ABS", "math", X, NUMBER, "Absolute value of a number.", "数字的绝对值。",
    python=abs, sql=lambda c, x: F.abs(x),
))
define(FunctionSpec(
    "SIGN", "math", X, NUMBER, "1 for positive, -1 for negative, 0 for zero.", "正数为 1，负数为 -1，零为 0。",
    python=lambda x: float((x > 0) - (x < 0)),
    sql=lambda c, x: sa.case((x > 0, 1.0), (x < 0, -1.0), else_=0.0),
))


def _py_round(x: float, n: float) -> Any:
    r = xnumbers.round_half_away(x, n)
    return NUM if r is None else r


def _rounding_error(x: Any, n: Any, r: Any) -> Any:
    """#NUM! where the rounding primitive ``r`` failed. It can only fail for a non-finite
    argument or a result beyond the double range, i.e. when |x| >= 1e307 or |n| >= 300 (NaN too: it
    compares as neither smaller): elsewhere the CASE stops before calling the UDF a second time."""
    return sa.case((sa.and_(F.abs(x) < 1e307, F.abs(n) < 300), sa.null()),
                   (r.is_(None), error_literal("#NUM!")))


def _sql_round(c: SqlContext, x: Any, n: Any) -> SqlValue:
    r = F.tx_round(x, n)
    return SqlValue(r, _rounding_error(x, n, r))


define(FunctionSpec(
    "ROUND", "math", (Param("number", "number"), Param("digits", "number", optional=True, default=0.0)),
    NUMBER, "Rounds to a number of digits, halves away from zero.", "按指定位数四舍五入（远离零）。",
    python=_py_round, sql=_sql_round, may_error=True,
))


def _py_mod(a: float, b: float) -> Any:
    if b == 0:
        return DIV0
    q = a / b
    return NUM if pymath.isinf(q) else a - b * pymath.floor(q)  # (a result beyond range: #NUM!)


def _sql_mod(c: SqlContext, a: Any, b: Any) -> SqlValue:
    q, q_err = sql_checked(c, "/", a, b)
    m, m_err = sql_checked(c, "*", b, c.floor(q))
    v, v_err = sql_checked(c, "-", a, m)
    return SqlValue(v, first_error(when_error(b == 0, "#DIV/0!"), q_err, m_err, v_err))


define(FunctionSpec(
    "MOD", "math", (Param("number", "number"), Param("divisor", "number")), NUMBER,
    "Remainder after division, with the sign of the divisor.", "相除的余数，符号与除数相同。",
    python=_py_mod, sql=_sql_mod, may_error=True,
))


def _sql_power(c: SqlContext, a: Any, b: Any) -> SqlValue:
    return sql_arith(c, "^", SqlValue(a), NUMBER, SqlValue(b), NUMBER, NUMBER)


define(FunctionSpec(
    "POWER", "math", (Param("number", "number"), Param("power", "number")), NUMBER,
    "A number raised to a power (same as ^).", "数字的乘幂（同 ^）。",
    python=_power, sql=_sql_power, may_error=True,
))
define(FunctionSpec(
    "SQRT", "math", X, NUMBER, "Square root; negative numbers give #NUM!.", "平方根；负数返回 #NUM!。",
    python=lambda x: NUM if x < 0 else pymath.sqrt(x),
    sql=lambda c, x: SqlValue(sa.case((x < 0, None), else_=F.sqrt(sa.case((x < 0, 0.0), else_=x))), when_error(x < 0, "#NUM!")),
    may_error=True,
))


def _int_type(args: list[Typed]) -> FType:
    return DATE if is_date_like(args[0].type) else NUMBER


def _int_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    inner = ctx.compile(args[0])
    finish = serial_to_date if t.type.kind == "date" else float

    def run(env: Env) -> Any:
        v = inner(env)
        if isinstance(v, list):
            return VALUE
        if t.type.kind == "date" and v is None:
            return None
        v = to_number(v)
        return v if v.__class__ is ExcelError else finish(pymath.floor(v))

    return run


def _int_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    raw = ctx.compile(args[0])
    n = convert(ctx, raw, args[0].type, "number")
    if t.type.kind == "date":
        return SqlValue(sa.case((raw.value.is_(None), None), else_=ctx.serial_to_date(n.value)), n.error)
    return SqlValue(ctx.floor(n.value), n.error)


define(FunctionSpec(
    "INT", "math", X, _int_type, "Rounds down to an integer (a datetime becomes its date).",
    "向下取整（日期时间取其日期）。", build_python=_int_python, build_sql=_int_sql,
))

# ----- rounding to digits and to multiples (Excel primitives: tx_* in SQL) -----------------
# The primitives return NULL for a failure, which is #NUM! (results beyond the double range,
# a multiple of the wrong sign); FLOOR's zero significance is #DIV/0! and checked here.

PARAM_NAMES_ZH.update({"multiple": "倍数", "base": "底数"})


def _rounding(name: str, primitive: Callable[[float, float], float | None], sql_name: str,
              digits_optional: bool, en: str, zh: str) -> None:
    def python(x: float, n: float) -> Any:
        r = primitive(x, n)
        return NUM if r is None else r

    def sql(c: SqlContext, x: Any, n: Any) -> SqlValue:
        r = getattr(F, sql_name)(x, n)
        return SqlValue(r, _rounding_error(x, n, r))

    digits = Param("digits", "number", optional=digits_optional, default=0.0 if digits_optional else None)
    define(FunctionSpec(
        name, "math", (Param("number", "number"), digits), NUMBER, en, zh,
        python=python, sql=sql, may_error=True,
    ))


_rounding("ROUNDUP", xnumbers.roundup, "tx_roundup", False,
          "Rounds away from zero to a number of digits (ROUNDUP(-3.141, 2) = -3.15).",
          "按指定位数远离零方向舍入（ROUNDUP(-3.141, 2) = -3.15）。")
_rounding("ROUNDDOWN", xnumbers.rounddown, "tx_rounddown", False,
          "Rounds toward zero to a number of digits (ROUNDDOWN(3.149, 2) = 3.14).",
          "按指定位数向零方向舍去（ROUNDDOWN(3.149, 2) = 3.14）。")
_rounding("TRUNC", xnumbers.trunc, "tx_trunc", True,
          "Cuts a number to a number of digits (0 when omitted), toward zero.",
          "将数字截断到指定位数（省略时为 0 位），向零方向。")


def _to_multiple(name: str, primitive: Callable[[float, float], float | None], sql_name: str,
                 zero_is_div0: bool, en: str, zh: str) -> None:
    def python(x: float, m: float) -> Any:
        if zero_is_div0 and m == 0:
            return DIV0
        r = primitive(x, m)
        return NUM if r is None else r

    def sql(c: SqlContext, x: Any, m: Any) -> SqlValue:
        r = getattr(F, sql_name)(x, m)
        if zero_is_div0:
            return SqlValue(r, sa.case((m == 0, error_literal("#DIV/0!")), (r.is_(None), error_literal("#NUM!"))))
        return SqlValue(r, when_error(r.is_(None), "#NUM!"))

    define(FunctionSpec(
        name, "math", (Param("number", "number"), Param("multiple", "number")), NUMBER, en, zh,
        python=python, sql=sql, may_error=True,
    ))


_to_multiple("MROUND", xnumbers.mround, "tx_mround", False,
             "Rounds to the nearest multiple, halves away from zero; signs must match (else #NUM!).",
             "舍入到最接近的倍数（中间值远离零）；两数符号不同时返回 #NUM!。")
_to_multiple("CEILING", xnumbers.ceiling, "tx_ceiling", False,
             "Rounds up to a multiple of the significance (CEILING(-2.5, 2) = -2); a multiple of 0 gives 0.",
             "向上舍入到基数的倍数（CEILING(-2.5, 2) = -2）；基数为 0 时结果为 0。")
_to_multiple("FLOOR", xnumbers.floor, "tx_floor", True,
             "Rounds down to a multiple of the significance (FLOOR(-2.5, 2) = -4); a multiple of 0 gives #DIV/0!.",
             "向下舍入到基数的倍数（FLOOR(-2.5, 2) = -4）；基数为 0 时返回 #DIV/0!。")

# ----- exponentials and logarithms ----------------------------------------------------------
# The C library's exp() and log() serve Python, SQLite and PostgreSQL alike, so the results
# agree bit for bit. Arguments are clamped before the SQL call (PostgreSQL raises instead of
# returning inf/0 and may evaluate a CASE arm early), the error column says what happened.

EXP_MAX = 709.782712893384  # the largest double whose exp() is finite
EXP_ZERO_BELOW = -745.0  # exp() underflows towards 0 here; PostgreSQL raises at exactly 0
_LN10 = pymath.log(10.0)


def _py_exp(x: float) -> Any:
    if x > EXP_MAX:
        return NUM
    return 0.0 if x < EXP_ZERO_BELOW else pymath.exp(x)


def _sql_exp(c: SqlContext, x: Any) -> SqlValue:
    safe = sa.case((x > EXP_MAX, 0.0), (x < EXP_ZERO_BELOW, 0.0), else_=x)
    value = sa.case((x < EXP_ZERO_BELOW, 0.0), else_=F.exp(safe, type_=sa.Float(53)))
    return SqlValue(value, when_error(x > EXP_MAX, "#NUM!"))


def _positive(x: Any) -> Any:
    """x where it is > 0, else 1: a safe argument for ln() (the error column flags it)."""
    return sa.case((x > 0, x), else_=1.0)


def _ln(x: Any) -> Any:
    """ln() typed as a double, so that SQLAlchemy divides doubles (not numerics) by it."""
    return F.ln(x, type_=sa.Float(53))


def _py_log10(x: float) -> float:
    """ln(x)/ln(10), snapped to k when x is exactly 10^k. SQLite's log10() is this quotient, so
    all backends compute it (C's log10 differs in the last bit for about half of all inputs),
    and the snap keeps LOG10(1000) = 3 as in Excel (INT(LOG10(x)) counts digits)."""
    r = pymath.log(x) / _LN10
    k = float(round_half_away(r))
    return k if -307 <= k <= 308 and 10.0 ** k == x else r


def _sql_log10(c: SqlContext, x: Any) -> Any:
    r = _ln(_positive(x)) / _ln(c.number(10.0))
    k = c.round_half_away(r)
    in_range = sa.and_(k >= -307.0, k <= 308.0)
    power = F.power(c.number(10.0), sa.case((in_range, k), else_=0.0), type_=sa.Float(53))
    return sa.case((sa.and_(in_range, power == x), k), else_=r)


define(FunctionSpec(
    "EXP", "math", X, NUMBER, "e raised to a power (EXP(1) = 2.718...).", "e 的乘幂（EXP(1) = 2.718...）。",
    python=_py_exp, sql=_sql_exp, may_error=True,
))
define(FunctionSpec(
    "LN", "math", X, NUMBER, "Natural logarithm; zero or negative numbers give #NUM!.", "自然对数；零或负数返回 #NUM!。",
    python=lambda x: NUM if x <= 0 else pymath.log(x),
    sql=lambda c, x: SqlValue(_ln(_positive(x)), when_error(x <= 0, "#NUM!")), may_error=True,
))
define(FunctionSpec(
    "LOG10", "math", X, NUMBER, "Base-10 logarithm; zero or negative numbers give #NUM!.",
    "以 10 为底的对数；零或负数返回 #NUM!。",
    python=lambda x: NUM if x <= 0 else _py_log10(x),
    sql=lambda c, x: SqlValue(_sql_log10(c, x), when_error(x <= 0, "#NUM!")), may_error=True,
))


def _py_log(x: float, base: float) -> Any:
    if x <= 0 or base <= 0:
        return NUM
    if base == 1:
        return DIV0
    return _py_log10(x) if base == 10 else pymath.log(x) / pymath.log(base)


def _sql_log(c: SqlContext, x: Any, base: Any) -> SqlValue:
    usable_base = sa.case((sa.and_(base > 0, base != 1), base), else_=2.0)  # ln() of it is not 0
    quotient = _ln(_positive(x)) / _ln(usable_base)
    value = sa.case((base == 10, _sql_log10(c, x)), else_=quotient)
    error = sa.case((sa.or_(x <= 0, base <= 0), error_literal("#NUM!")), (base == 1, error_literal("#DIV/0!")))
    return SqlValue(value, error)


define(FunctionSpec(
    "LOG", "math", (Param("number", "number"), Param("base", "number", optional=True, default=10.0)), NUMBER,
    "Logarithm to a base (10 when omitted); base 1 gives #DIV/0!, non-positive arguments #NUM!.",
    "指定底数的对数（省略时以 10 为底）；底数为 1 返回 #DIV/0!，参数非正数返回 #NUM!。",
    python=_py_log, sql=_sql_log, may_error=True,
))
define(FunctionSpec(
    "PI", "math", (), NUMBER, "The number π to 15 digits (3.14159265358979).", "圆周率 π（3.14159265358979）。",
    python=lambda: pymath.pi, sql=lambda c: c.number(pymath.pi),
))

# ----- aggregates over cells, lists and columns ---------------------------------------------
# An argument contributes numbers: a field reference or list contributes its numbers and
# dates (as serials) and skips blanks, text and booleans; any other argument is coerced.


def _contributes(a: Typed) -> bool:
    """Whether a reference/list of this element type contributes to a numeric aggregate."""
    return not a.is_reference or a.type.kind in ("number", "date", "datetime")


def _py_numbers(ctx: Any, args: list[Typed]) -> Callable[[Env], Any]:
    """A closure returning the list of contributing numbers, or the first error."""
    groups = _py_number_groups(ctx, args)

    def numbers(env: Env) -> Any:
        gs = groups(env)
        if gs.__class__ is ExcelError:
            return gs
        return [x for g in gs for x in g]

    return numbers


def _py_number_groups(ctx: Any, args: list[Typed]) -> Callable[[Env], Any]:
    """A closure returning the contributing numbers of each argument (one list per argument),
    or the first error."""
    parts = [(ctx.compile(a), a.origin, _contributes(a)) for a in args]

    def groups(env: Env) -> Any:
        out: list[list[float]] = []
        for closure, origin, contributes in parts:
            v = closure(env)
            if v.__class__ is ExcelError:
                return v
            if origin == "expr":
                n = to_number(v)
                if n.__class__ is ExcelError:
                    return n
                out.append([n])
            elif contributes:
                items = v if isinstance(v, list) else [v]
                group: list[float] = []
                for item in items:
                    if item.__class__ is ExcelError:
                        return item
                    if item is not None:
                        group.append(date_to_serial(item) if not isinstance(item, float) else item)
                out.append(group)
        return out

    return groups


@dataclass
class _Partial:
    sum: Any
    count: Any
    min: Any
    max: Any
    logsum: Any  # sum of ln|x| (PRODUCT)
    negatives: Any
    zeros: Any
    error: Any
    sum_error: Any = None  # #NUM! where a range's sum is beyond the double range (SUM, AVERAGE)


def _sql_partials(ctx: SqlContext, args: list[Typed]) -> list[_Partial]:
    out = []
    for a in args:
        if a.origin == "expr":
            n = convert(ctx, ctx.compile(a), a.type, "number")
            x = n.value
            out.append(_Partial(x, sa.literal(1), x, x, F.ln(F.abs(F.nullif(x, 0.0))), sa.case((x < 0, 1), else_=0),
                                sa.case((x == 0, 1), else_=0), n.error))
        elif not _contributes(a):
            zero, none = sa.literal(0), ctx.null(NUMBER)
            out.append(_Partial(ctx.number(0), zero, none, none, ctx.number(0), zero, zero, None))
        elif a.origin == "field":
            v = ctx.compile(a).value
            x = ctx.serial(v, a.type.kind) if is_date_like(a.type) else v
            out.append(_Partial(
                F.coalesce(x, 0.0), sa.case((x.is_(None), 0), else_=1), x, x,
                F.coalesce(F.ln(F.abs(F.nullif(x, 0.0))), 0.0), sa.case((x < 0, 1), else_=0),
                sa.case((x == 0, 1), else_=0), None,
            ))
        else:
            kind = a.type.kind

            def num(col: Any, kind: str = kind) -> Any:
                return ctx.serial(col, kind) if kind in ("date", "datetime") else col

            def sub(fn: Callable[[Any], Any], a: Typed = a) -> Any:
                return range_select(ctx, a, lambda col: fn(num(col)))

            rows = range_rows(ctx, [a])
            total = sql_range_sum(ctx, rows, num(rows.values[0]), dates=kind in ("date", "datetime"),
                                  column=a.origin == "column")
            out.append(_Partial(
                total.value,
                sub(F.count),
                sub(F.min),
                sub(F.max),
                F.coalesce(sub(lambda x: F.sum(F.ln(F.abs(F.nullif(x, 0.0))))), 0.0),
                sub(lambda x: F.count(sa.case((x < 0, 1)))),
                sub(lambda x: F.count(sa.case((x == 0, 1)))),
                None,
                total.error,
            ))
    return out


def _plus(items: list[Any]) -> Any:
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


def _extreme(items: list[Any], smaller: bool) -> Any:
    """MIN/MAX of expressions ignoring NULLs (SQLite's min(a,b) would return NULL)."""
    best = items[0]
    for item in items[1:]:
        better = item < best if smaller else item > best
        best = sa.case((best.is_(None), item), (item.is_(None), best), (better, item), else_=best)
    return best


def _define_aggregate(
    name: str, en: str, zh: str, returns: Any,
    py_reduce: Callable[[Any, FType], Any],
    sql_reduce: Callable[[SqlContext, list[_Partial], FType], SqlValue],
    by_argument: bool = False,
) -> None:
    """``by_argument``: ``py_reduce`` gets each argument's numbers as a list of its own."""

    def build_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        numbers = (_py_number_groups if by_argument else _py_numbers)(ctx, args)
        result = t.type

        def run(env: Env) -> Any:
            ns = numbers(env)
            return ns if ns.__class__ is ExcelError else py_reduce(ns, result)

        return run

    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        parts = _sql_partials(ctx, args)
        out = sql_reduce(ctx, parts, t.type)
        return SqlValue(out.value, first_error(*[p.error for p in parts], out.error))

    define(FunctionSpec(
        name, "math", (Param("value", "number", repeat=True),), returns, en, zh,
        build_python=build_python, build_sql=build_sql, range_params=True,
    ))


def _extreme_type(args: list[Typed]) -> FType:
    kinds = {a.type.kind for a in args if _contributes(a) and a.type.kind not in ("blank", "error")}
    if kinds == {"date"}:
        return DATE
    if kinds and kinds <= {"date", "datetime"}:
        return DATETIME
    return NUMBER


def _py_extreme(fn: Callable[[list[float]], float]) -> Callable[[list[float], FType], Any]:
    def reduce(ns: list[float], t: FType) -> Any:
        if t.kind == "date":
            return serial_to_date(fn(ns)) if ns else None
        if t.kind == "datetime":
            return serial_to_datetime(fn(ns)) if ns else None
        return fn(ns) if ns else 0.0

    return reduce


def _sql_extreme(smaller: bool) -> Callable[[SqlContext, list[_Partial], FType], SqlValue]:
    def reduce(ctx: SqlContext, parts: list[_Partial], t: FType) -> SqlValue:
        best = _extreme([p.min if smaller else p.max for p in parts], smaller)
        if t.kind == "date":
            return SqlValue(ctx.serial_to_date(best))
        if t.kind == "datetime":
            return SqlValue(ctx.serial_to_datetime(best))
        return SqlValue(F.coalesce(best, 0.0))

    return reduce


def _py_product(ns: list[float], t: FType) -> Any:
    """The product, #NUM! only where the result itself is beyond the double range (as the SQL
    version's exp(sum of ln|x|) decides): mantissas and exponents are kept apart (frexp), so
    PRODUCT(1e200, 1e200, 1e-200) is 1e200 as in SQL; elsewhere it rounds as x * y * ... does."""
    if not ns:
        return 0.0
    mantissa, exponent = 1.0, 0
    for x in ns:
        m, e = pymath.frexp(x)
        mantissa, shift = pymath.frexp(mantissa * m)
        exponent += e + shift
    try:
        return check_number(pymath.ldexp(mantissa, exponent))
    except OverflowError:
        return NUM


def _sql_product(ctx: SqlContext, parts: list[_Partial], t: FType) -> SqlValue:
    """exp(sum of ln|x|) with the sign of the negatives; the logarithm decides overflow (#NUM!)
    and underflow (0) as EXP does, before exp() runs (PostgreSQL raises there)."""
    count = _plus([p.count for p in parts])
    logsum = _plus([p.logsum for p in parts])
    zero = sa.or_(count == 0, _plus([p.zeros for p in parts]) > 0)
    beyond = sa.and_(sa.not_(zero), logsum > EXP_MAX)
    magnitude = F.exp(sa.case((logsum > EXP_MAX, 0.0), (logsum < EXP_ZERO_BELOW, 0.0), else_=logsum),
                      type_=sa.Float(53))
    sign = sa.case((F.mod(_plus([p.negatives for p in parts]), 2) == 1, -1.0), else_=1.0)
    value = sa.case((zero, 0.0), (logsum > EXP_MAX, None), (logsum < EXP_ZERO_BELOW, 0.0), else_=sign * magnitude)
    return SqlValue(value, when_error(beyond, "#NUM!"))


def _sql_sum(ctx: SqlContext, parts: list[_Partial]) -> SqlValue:
    """The sum of the parts (a range's own sum: _sums.py); #NUM! where it leaves the double
    range (as in Python, where the running total becomes inf and stays there)."""
    total, error = parts[0].sum, None
    for p in parts[1:]:
        total, error = sql_checked(ctx, "+", total, p.sum)
    return SqlValue(total, first_error(*[p.sum_error for p in parts], error))


def _py_total(groups: list[list[float]]) -> Any:
    """The arguments' sums (a range's: _sums.py) added in order; #NUM! beyond the double range."""
    total = 0.0
    for g in groups:
        if len(g) == 1:  # a cell, or a range of one element
            total += g[0]
        elif g:
            part = py_range_sum(g)
            if part.__class__ is ExcelError:
                return part
            total += part
    return check_number(total)


def _py_sum(groups: list[list[float]], t: FType) -> Any:
    return _py_total(groups)


def _py_average(groups: list[list[float]], t: FType) -> Any:
    count = sum(len(g) for g in groups)
    if not count:
        return DIV0
    total = _py_total(groups)
    return total if total.__class__ is ExcelError else total / count


def _sql_average(ctx: SqlContext, parts: list[_Partial], t: FType) -> SqlValue:
    count = _plus([p.count for p in parts])
    total = _sql_sum(ctx, parts)
    mean, mean_err = sql_checked(ctx, "/", total.value, sa.cast(count, sa.Float(53)))
    return SqlValue(mean, first_error(when_error(count == 0, "#DIV/0!"), total.error, mean_err))


_define_aggregate(
    "SUM", "Adds numbers; blanks, text and booleans in fields and lists are skipped.",
    "求和；字段和列表中的空值、文本和逻辑值被忽略。", NUMBER,
    _py_sum, lambda ctx, ps, t: _sql_sum(ctx, ps), by_argument=True,
)
_define_aggregate(
    "PRODUCT", "Multiplies numbers (skipping blanks, text, booleans in fields and lists).",
    "求乘积（忽略字段和列表中的空值、文本和逻辑值）。", NUMBER, _py_product, _sql_product,
)
_define_aggregate(
    "AVERAGE", "Arithmetic mean of the numbers; no numbers gives #DIV/0!.",
    "算术平均值；没有数字时返回 #DIV/0!。", NUMBER,
    _py_average, _sql_average, by_argument=True,
)
_define_aggregate(
    "MIN", "Smallest number (or earliest date); 0 when there is none.", "最小值（或最早日期）；没有数字时为 0。",
    _extreme_type, _py_extreme(min), _sql_extreme(True),
)
_define_aggregate(
    "MAX", "Largest number (or latest date); 0 when there is none.", "最大值（或最晚日期）；没有数字时为 0。",
    _extreme_type, _py_extreme(max), _sql_extreme(False),
)

# ----- counting -----------------------------------------------------------------------------


def _count_item_py(v: Any, origin: str, kind: str) -> int:
    if origin == "expr":
        if v is None or v.__class__ is ExcelError or isinstance(v, list):
            return 0
        if isinstance(v, str):
            return int(xnumbers.to_number(v) is not None)
        return 1
    return int(v is not None and kind in ("number", "date", "datetime"))


def _counta_item_py(v: Any, origin: str, kind: str) -> int:
    return int(v is not None)


def _countblank_item_py(v: Any, origin: str, kind: str) -> int:
    return int(v is None)


def _counter_python(item: Callable[[Any, str, str], int]) -> Callable[..., Any]:
    def build(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        parts = [(py_items(ctx, a) if a.is_range else ctx.compile(a), a.is_range, a.origin, a.type.kind)
                 for a in args]

        def run(env: Env) -> Any:
            total = 0
            for closure, is_range, origin, kind in parts:
                v = closure(env)
                if is_range:
                    total += sum(item(x, "field", kind) for x in v)
                else:
                    total += item(v, origin, kind)
            return float(total)

        return run

    return build


def _count_sql_item(ctx: SqlContext, a: Typed, which: str) -> Any:
    kind = a.type.kind
    if a.is_range:
        if which == "count":
            return range_select(ctx, a, F.count) if kind in ("number", "date", "datetime") else 0
        if which == "counta":
            return range_select(ctx, a, F.count)
        return range_select(ctx, a, lambda col: F.count(sa.literal_column("*")) - F.count(col))
    sv = ctx.compile(a)
    ok = sv.error.is_(None) if sv.error is not None else sa.true()
    present = sa.and_(sv.value.is_not(None), ok) if kind not in ("blank", "error") else sa.false()
    if which == "count":
        if a.origin == "field":
            return sa.case((present, 1), else_=0) if kind in ("number", "date", "datetime") else 0
        if kind == "text":
            return sa.case((sa.and_(present, F.tx_to_number(sv.value).is_not(None)), 1), else_=0)
        return sa.case((present, 1), else_=0)
    is_error = sv.error.is_not(None) if sv.error is not None else sa.false()
    nonblank = sa.or_(sv.value.is_not(None), is_error) if kind != "blank" else is_error
    if which == "counta":
        return sa.case((nonblank, 1), else_=0)
    return sa.case((nonblank, 0), else_=1)


def _counter_sql(which: str) -> Callable[..., SqlValue]:
    def build(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        items = [_count_sql_item(ctx, a, which) for a in args]
        return SqlValue(sa.cast(_plus([sa.literal(i) if isinstance(i, int) else i for i in items]), sa.Float(53)))

    return build


for _name, _item, _en, _zh in (
    ("COUNT", _count_item_py, "Counts numbers and dates (in fields and lists), and arguments that read as numbers.",
     "统计数字和日期的个数（字段和列表中），以及可转为数字的参数。"),
    ("COUNTA", _counta_item_py, "Counts non-blank values (errors included).", "统计非空值的个数（含错误值）。"),
    ("COUNTBLANK", _countblank_item_py, "Counts blank values.", "统计空值的个数。"),
):
    define(FunctionSpec(
        _name, "math", (Param("value", "any", repeat=True),), NUMBER, _en, _zh,
        build_python=_counter_python(_item), build_sql=_counter_sql(_name.lower()), range_params=True,
    ))
