"""Criteria aggregates: COUNTIFS, COUNTIF, SUMIFS, SUMIF, AVERAGEIFS, MAXIFS, MINIFS.

Ranges are fields of this record (cells), ``{Link}.{Field}`` lists or ``ALL({Field})`` columns,
and the ranges of one call must line up (``_ranges.check_aligned``). Criteria follow
:mod:`tessera.formula.excel.criteria` on every backend. In SQL a criterion that reads no field
(a literal, or ``">="&EDATE(TODAY(),-12)``: the clock is fixed per query) is evaluated at
compile time and becomes a plain, index-friendly predicate on the column (``col >= '2025-01-31'``)
wherever that is exact; any other criterion calls the ``tx_crit_*`` primitive per value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.errors import FormulaReferenceError
from tessera.formula.excel import dates as xdates
from tessera.formula.excel.criteria import (
    Criterion,
    ascii_lower,
    criteria_text,
    matches,
    parse_criteria,
)
from tessera.formula.functions._ranges import (
    check_aligned,
    constant_value,
    is_constant,
    py_items,
    range_rows,
    require_range,
)
from tessera.formula.functions._sums import py_range_sum, sql_range_sum
from tessera.formula.interpreter import Env
from tessera.formula.operators import sql_checked
from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import DATE, DATETIME, NUMBER, FType
from tessera.formula.values import DIV0, VALUE, ExcelError, date_to_serial

F = sa.func

PARAM_NAMES_ZH.update({
    "range": "区域", "criteria": "条件", "criteria_range": "条件区域", "sum_range": "求和区域",
    "average_range": "求平均区域", "max_range": "求最大值区域", "min_range": "求最小值区域",
    "more_criteria": "更多条件",
})

# ----- argument layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Which argument is aggregated (None: just count) and the (range, criterion) pairs."""

    target: int | None
    pairs: tuple[tuple[int, int], ...]

    def ranges(self) -> list[int]:
        return ([self.target] if self.target is not None else []) + [r for r, _ in self.pairs]


def _ifs_layout(has_target: bool) -> Callable[[int], Layout]:
    first = 1 if has_target else 0
    return lambda n: Layout(0 if has_target else None, tuple((i, i + 1) for i in range(first, n, 2)))


def _sumif_layout(n: int) -> Layout:
    return Layout(2 if n > 2 else 0, ((0, 1),))


def _countif_layout(n: int) -> Layout:
    return Layout(None, ((0, 1),))


# ----- Python: the matching elements ---------------------------------------------------------


def _py_selected(ctx: Any, args: list[Typed], layout: Layout) -> Callable[[Env], Any]:
    """A closure giving the target's elements whose row meets every criterion (for counting,
    a list of True), or the first error among the criteria."""
    ranges = [py_items(ctx, args[r]) for r, _ in layout.pairs]
    criteria = [ctx.compile(args[c]) for _, c in layout.pairs]
    target = py_items(ctx, args[layout.target]) if layout.target is not None else None

    def run(env: Env) -> Any:
        parsed: list[Criterion] = []
        for closure in criteria:
            v = closure(env)
            if v.__class__ is ExcelError:
                return v
            if isinstance(v, list):
                return VALUE
            parsed.append(parse_criteria(v))
        columns = [r(env) for r in ranges]
        values = target(env) if target is not None else None
        size = max(len(c) for c in [*columns, *([values] if values is not None else [])])
        out = []
        for i in range(size):
            if all(matches(col[i] if i < len(col) else None, c) for col, c in zip(columns, parsed, strict=True)):
                out.append(True if values is None else (values[i] if i < len(values) else None))
        return out

    return run


def _py_number(v: Any) -> float | None:
    """A range element as an aggregate sees it: numbers and dates count, the rest is skipped."""
    if v.__class__ is float:
        return v
    if isinstance(v, dt.date):
        return date_to_serial(v)
    return None


def _py_reduce(how: str, result: FType, items: list[Any]) -> Any:
    if how == "count":
        return float(len(items))
    if result.kind in ("date", "datetime") and how in ("max", "min"):
        present = [v for v in items if v is not None]
        return (max if how == "max" else min)(present) if present else None
    numbers = [n for n in (_py_number(v) for v in items) if n is not None]
    if how == "sum":
        return py_range_sum(numbers)
    if how == "average":
        if not numbers:
            return DIV0
        total = py_range_sum(numbers)
        return total if total.__class__ is ExcelError else total / len(numbers)
    if not numbers:
        return 0.0
    return max(numbers) if how == "max" else min(numbers)


# ----- SQL: criteria as predicates -----------------------------------------------------------

_CRIT_FUNCTIONS = {
    "number": "tx_crit_num", "text": "tx_crit_text", "date": "tx_crit_date",
    "datetime": "tx_crit_ts", "boolean": "tx_crit_bool", "blank": "tx_crit_text",
}


def _crit_call(col: Any, kind: str, criteria_sql: Any) -> Any:
    return getattr(F, _CRIT_FUNCTIONS[kind])(col, criteria_sql)


def criterion_sql(ctx: SqlContext, col: Any, kind: str, crit: Typed) -> tuple[Any, Any]:
    """(predicate on ``col`` of element kind ``kind``, error of the criterion or None)."""
    if crit.type.is_list:
        return sa.false(), error_literal("#VALUE!")
    if is_constant(crit):
        v = constant_value(ctx, crit)
        if v.__class__ is ExcelError:
            return sa.false(), error_literal(v.code)
        predicate = constant_predicate(ctx, col, kind, parse_criteria(v))
        if predicate is None:
            predicate = _crit_call(col, kind, ctx.text(criteria_text(v)))
        return predicate, None
    text = convert(ctx, ctx.compile(crit), crit.type, "text")
    return _crit_call(col, kind, text.value), text.error


def constant_predicate(ctx: SqlContext, col: Any, kind: str, c: Criterion) -> Any | None:
    """A plain SQL predicate equivalent to ``matches(value, c)`` for the values of ``col``, or
    None where no exact one is known (wildcards, dates out of range)."""
    blank = sa.or_(col.is_(None), col == "") if kind == "text" else col.is_(None)
    if kind == "blank":
        return sa.true() if matches(None, c) else sa.false()
    if c.kind == "blank":
        value = sa.true() if c.op == "<>" else sa.false()
    else:
        builder = _VALUE_PREDICATES[kind]
        value = builder(ctx, col, c)
        if value is None:
            return None
    if matches(None, c):
        return sa.or_(blank, value)
    return sa.and_(sa.not_(blank), value)


def _ordered(op: str, a: Any, b: Any) -> Any:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _number_predicate(ctx: SqlContext, col: Any, c: Criterion) -> Any:
    if c.number is None:
        return sa.true() if c.op == "<>" else sa.false()
    n = ctx.number(c.number)
    if c.op == "=":
        return col == n
    if c.op == "<>":
        return col != n
    return _ordered(c.op, col, n)


def _text_predicate(ctx: SqlContext, col: Any, c: Criterion) -> Any | None:
    if c.op in ("=", "<>"):
        if c.has_wildcards:
            return None
        operand = ctx.lower(ctx.text(ascii_lower(c.text)))
        return ctx.lower(col) == operand if c.op == "=" else ctx.lower(col) != operand
    if c.number is not None or c.kind == "boolean":
        return sa.false()
    return _ordered(c.op, ctx.lower(col), ctx.lower(ctx.text(ascii_lower(c.text))))


def _boolean_predicate(ctx: SqlContext, col: Any, c: Criterion) -> Any:
    if c.kind != "boolean":
        return sa.true() if c.op == "<>" else sa.false()
    key, operand = sa.case((col, 1), else_=0), 1 if c.value else 0
    if c.op == "=":
        return key == operand
    if c.op == "<>":
        return key != operand
    return _ordered(c.op, key, operand)


def _date_predicate(ctx: SqlContext, col: Any, c: Criterion, with_time: bool) -> Any | None:
    """Dates compare through their serial; the serial bound becomes a date / datetime bound
    (serials grow with the date, so the bound is exact)."""
    if c.number is None:
        return sa.true() if c.op == "<>" else sa.false()
    try:
        at_least, above = (_datetime_bounds if with_time else _date_bounds)(c.number)
    except (OverflowError, ValueError):
        return None
    # at_least: first value with serial >= n; above: first value with serial > n.
    if c.op in ("=", "<>"):
        if at_least == above:  # no value has serial exactly n
            return sa.true() if c.op == "<>" else sa.false()
        return col == ctx.date(at_least) if c.op == "=" else col != ctx.date(at_least)
    if c.op == ">=":
        return col >= ctx.date(at_least)
    if c.op == ">":
        return col >= ctx.date(above)
    if c.op == "<":
        return col < ctx.date(at_least)
    return col < ctx.date(above)


def _date_bounds(n: float) -> tuple[dt.date, dt.date]:
    epoch = dt.date(1899, 12, 30)
    return epoch + dt.timedelta(days=math.ceil(n)), epoch + dt.timedelta(days=math.floor(n) + 1)


def _datetime_bounds(n: float) -> tuple[dt.datetime, dt.datetime]:
    epoch = dt.datetime(1899, 12, 30)
    serial = xdates.date_to_serial

    def first(accept: Callable[[float], bool]) -> dt.datetime:
        t = epoch + dt.timedelta(seconds=math.floor(n * 86400))
        while not accept(serial(t)):
            t += dt.timedelta(seconds=1)
        while accept(serial(t - dt.timedelta(seconds=1))):
            t -= dt.timedelta(seconds=1)
        return t

    return first(lambda s: s >= n), first(lambda s: s > n)


_VALUE_PREDICATES: dict[str, Callable[[SqlContext, Any, Criterion], Any]] = {
    "number": _number_predicate,
    "text": _text_predicate,
    "boolean": _boolean_predicate,
    "date": lambda ctx, col, c: _date_predicate(ctx, col, c, with_time=False),
    "datetime": lambda ctx, col, c: _date_predicate(ctx, col, c, with_time=True),
}


# ----- SQL: the aggregate over the matching rows ---------------------------------------------


def _sql_reduce(ctx: SqlContext, how: str, result: FType, rows: Any, cond: Any, target: Typed | None,
                col: Any) -> SqlValue:
    if how == "count":
        return SqlValue(sa.cast(rows.aggregate(F.count(sa.case((cond, 1)))), sa.Float(53)))
    kind = target.type.kind
    if kind not in ("number", "date", "datetime"):  # text, booleans, blanks are skipped
        if how == "average":
            return SqlValue(ctx.null(NUMBER), error_literal("#DIV/0!"))
        return SqlValue(ctx.number(0))
    if result.kind in ("date", "datetime"):
        pick = F.max if how == "max" else F.min
        return SqlValue(rows.aggregate(pick(sa.case((cond, col)))))
    x = ctx.serial(col, kind) if kind in ("date", "datetime") else col
    if how in ("sum", "average"):  # (never raises on PostgreSQL, #NUM! beyond the double range)
        total = sql_range_sum(ctx, rows, x, cond, dates=kind in ("date", "datetime"))
        if how == "sum":
            return total
        count = rows.aggregate(F.count(sa.case((cond, x))))
        mean, mean_error = sql_checked(ctx, "/", total.value, sa.cast(count, sa.Float(53)))
        return SqlValue(mean, first_error(when_error(count == 0, "#DIV/0!"), total.error, mean_error))
    pick = F.max if how == "max" else F.min
    return SqlValue(F.coalesce(rows.aggregate(pick(sa.case((cond, x)))), 0.0))


# ----- definitions ---------------------------------------------------------------------------


def _type_rule(name: str, layout_of: Callable[[int], Layout], how: str, pairs: bool) -> Callable[[list[Typed]], FType]:
    def rule(args: list[Typed]) -> FType:
        offset = 1 if layout_of(3).target == 0 else 0
        if pairs and (len(args) - offset) % 2:
            last = args[-1].node
            raise FormulaReferenceError(
                "reference.arity", f"{name} takes pairs of criteria_range, criteria: the last criteria is missing",
                f"{name} 的参数应成对出现（条件区域, 条件）：缺少最后一个条件",
                position=last.span.position, span=(last.span.start, last.span.end),
            )
        layout = layout_of(len(args))
        ranges = [args[i] for i in layout.ranges()]
        for r in ranges:
            require_range(name, r)
        check_aligned(name, ranges)
        if how in ("max", "min") and layout.target is not None:
            kind = args[layout.target].type.kind
            return DATE if kind == "date" else DATETIME if kind == "datetime" else NUMBER
        return NUMBER

    return rule


def _define(name: str, params: tuple[Param, ...], layout_of: Callable[[int], Layout], how: str, en: str, zh: str,
            pairs: bool = False) -> None:
    def build_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        selected = _py_selected(ctx, args, layout_of(len(args)))
        result = t.type

        def run(env: Env) -> Any:
            items = selected(env)
            return items if items.__class__ is ExcelError else _py_reduce(how, result, items)

        return run

    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        layout = layout_of(len(args))
        rows = range_rows(ctx, [args[i] for i in layout.ranges()])
        offset = 1 if layout.target is not None else 0
        predicates, errors = [], []
        for k, (r, c) in enumerate(layout.pairs):
            predicate, error = criterion_sql(ctx, rows.values[offset + k], args[r].type.kind, args[c])
            predicates.append(predicate)
            errors.append(error)
        target = args[layout.target] if layout.target is not None else None
        out = _sql_reduce(ctx, how, t.type, rows, sa.and_(*predicates), target, rows.values[0])
        return SqlValue(out.value, first_error(*errors, out.error))

    define(FunctionSpec(name, "math", params, _type_rule(name, layout_of, how, pairs), en, zh,
                        build_python=build_python, build_sql=build_sql, range_params=True))


_PAIRS = (Param("criteria_range"), Param("criteria"), Param("more_criteria", optional=True, repeat=True))

_define(
    "COUNTIFS", _PAIRS, _ifs_layout(False), "count",
    "Counts the rows meeting every criterion, e.g. COUNTIFS({Visits}.{Date}, \">=\"&EDATE(TODAY(),-12)).",
    "统计满足全部条件的行数，例如 COUNTIFS({到院消费}.{日期}, \">=\"&EDATE(TODAY(),-12))。", pairs=True,
)
_define(
    "COUNTIF", (Param("range"), Param("criteria")), _countif_layout, "count",
    "Counts the values of a range that meet a criterion such as \">=30000\", \"<>\" or \"a*\".",
    "统计区域中满足条件（如 \">=30000\"、\"<>\"、\"a*\"）的值的个数。",
)
_define(
    "SUMIFS", (Param("sum_range"), *_PAIRS), _ifs_layout(True), "sum",
    "Adds the numbers of sum_range in the rows meeting every criterion.",
    "对满足全部条件的行，求求和区域中数字的和。", pairs=True,
)
_define(
    "SUMIF", (Param("range"), Param("criteria"), Param("sum_range", optional=True)), _sumif_layout, "sum",
    "Adds the numbers (of sum_range, else of range) where range meets the criterion.",
    "对区域中满足条件的行求和（给出求和区域时对其求和，否则对区域本身求和）。",
)
_define(
    "AVERAGEIFS", (Param("average_range"), *_PAIRS), _ifs_layout(True), "average",
    "Mean of the numbers of average_range in the rows meeting every criterion; none gives #DIV/0!.",
    "满足全部条件的行中求平均区域数字的平均值；没有时返回 #DIV/0!。", pairs=True,
)
_define(
    "MAXIFS", (Param("max_range"), *_PAIRS), _ifs_layout(True), "max",
    "Largest number (or latest date) of max_range in the rows meeting every criterion; none gives 0 (blank for dates).",
    "满足全部条件的行中求最大值区域的最大值（或最晚日期）；没有时为 0（日期为空）。", pairs=True,
)
_define(
    "MINIFS", (Param("min_range"), *_PAIRS), _ifs_layout(True), "min",
    "Smallest number (or earliest date) of min_range in the rows meeting every criterion; none gives 0 (blank for dates).",
    "满足全部条件的行中求最小值区域的最小值（或最早日期）；没有时为 0（日期为空）。", pairs=True,
)
