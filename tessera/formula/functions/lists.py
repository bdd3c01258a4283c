"""List and column functions: MEDIAN, LARGE, SMALL, PERCENTILE.INC, QUARTILE.INC, RANK.EQ (RANK),
PERCENTRANK.INC, MATCH, INDEX, XLOOKUP, ARRAYJOIN, COUNTUNIQUE.

Each takes ``{Link}.{Field}`` lists, ``ALL({Field})`` columns, fields of this record (one-cell
ranges) and, where Excel takes an array, plain values. SQL never runs Python per row: the
numbers of the arguments become a derived table (a UNION ALL of correlated selects) that window
functions number in order, and each result is an aggregate over it.

Positions (INDEX, MATCH, XLOOKUP) and ARRAYJOIN's order follow the linked records' ids (a
column: the records' ids), blanks included. MATCH's types 1 and -1 return the last position
whose value is <= (>=) the lookup value, which is Excel's answer whenever the list is sorted as
Excel requires (Excel's binary search has no defined answer on unsorted data). XLOOKUP's search
modes 2 and -2 (binary search) behave as 1 and -1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from tessera.formula import ast
from tessera.formula.checker import Typed, common_type
from tessera.formula.excel import numbers as xnumbers
from tessera.formula.excel.criteria import matches, parse_criteria
from tessera.formula.functions._ranges import (
    cell_rows,
    check_aligned,
    constant_value,
    is_constant,
    py_items,
    range_rows,
)
from tessera.formula.functions.math import _py_numbers
from tessera.formula.interpreter import Env, py_to_type
from tessera.formula.operators import MAX_DOUBLE, sql_checked
from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcompile import sql_to_type
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import NUMBER, TEXT, FType, compare_class
from tessera.formula.values import (
    NA,
    NUM,
    VALUE,
    ExcelError,
    ascii_lower,
    check_number,
    date_to_serial,
    to_number,
    to_text,
)

F = sa.func

PARAM_NAMES_ZH.update({
    "array": "数组", "k": "k", "quart": "四分位", "ref": "引用", "order": "排序方式", "x": "x",
    "significance": "有效位数", "lookup_value": "查找值", "lookup_array": "查找区域",
    "match_type": "匹配类型", "row_num": "行号", "column_num": "列号", "return_array": "返回区域",
    "if_not_found": "未找到时的值", "match_mode": "匹配模式", "search_mode": "搜索模式",
    "list": "列表", "separator": "分隔符",
})


# ===== numbers of the arguments, sorted ========================================================


def _contributes(a: Typed) -> bool:
    return a.origin == "expr" or a.type.kind in ("number", "date", "datetime")


def numbers_source(ctx: SqlContext, args: list[Typed]) -> tuple[Any, Any]:
    """(derived table with column ``x``: the numbers an aggregate sees, first error)."""
    parts, errors = [], []
    for a in args:
        if not _contributes(a):
            continue
        if a.origin == "expr":
            n = convert(ctx, ctx.compile(a), a.type, "number")
            errors.append(n.error)
            parts.append(cell_rows(ctx).select(sa.cast(n.value, sa.Float(53)).label("x")))
            continue
        rows = range_rows(ctx, [a])
        v = rows.values[0]
        x = ctx.serial(v, a.type.kind) if a.type.kind in ("date", "datetime") else v
        parts.append(rows.select(sa.cast(x, sa.Float(53)).label("x"), where=v.is_not(None)))
    if not parts:
        parts.append(sa.select(ctx.null(NUMBER).label("x")).where(sa.false()))
    union = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return union.subquery(ctx.fresh_name("nums")), first_error(*errors)


def _sorted_numbers(ctx: SqlContext, args: list[Typed]) -> tuple[Any, Any]:
    """(derived table of ``x`` with 1-based rank ``i`` ascending and the count ``n``, error)."""
    src, error = numbers_source(ctx, args)
    numbered = sa.select(
        src.c.x, F.row_number().over(order_by=src.c.x).label("i"), F.count().over().label("n"),
    ).subquery(ctx.fresh_name("sorted"))
    return numbered, error


def _scalar(q: Any) -> Any:
    return q.scalar_subquery()


def _arg_number(ctx: SqlContext, a: Typed) -> SqlValue:
    return convert(ctx, ctx.compile(a), a.type, "number")


def _py_arg(ctx: Any, a: Typed | None, default: Any = None) -> Callable[[Env], Any]:
    if a is None or isinstance(a.node, ast.Empty):
        return lambda env: default
    inner = ctx.compile(a)
    if a.type.is_list:
        return lambda env: VALUE
    return inner


def _py_num_arg(ctx: Any, a: Typed | None, default: float) -> Callable[[Env], Any]:
    inner = _py_arg(ctx, a, default)
    return lambda env: to_number(inner(env))


# ----- MEDIAN, LARGE, SMALL, PERCENTILE.INC, QUARTILE.INC ---------------------------------------


def _median_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    numbers = _py_numbers(ctx, args)

    def run(env: Env) -> Any:
        ns = numbers(env)
        if ns.__class__ is ExcelError:
            return ns
        if not ns:
            return NUM
        s, n = sorted(ns), len(ns)
        return check_number((s[(n + 1) // 2 - 1] + s[n // 2]) / 2)

    return run


def _median_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    s, error = _sorted_numbers(ctx, args)
    lo = F.max(sa.case((s.c.i == (s.c.n + 1) // 2, s.c.x)))
    hi = F.max(sa.case((s.c.i == s.c.n // 2 + 1, s.c.x)))
    if ctx.pg:  # NULL beyond the double range (PostgreSQL's + and / raise there)
        middle = F.tx_div(F.tx_add(lo, hi, type_=sa.Float(53)), 2.0, type_=sa.Float(53))
    else:  # inf, caught below
        middle = (lo + hi) / 2.0
    value = _scalar(sa.select(middle).select_from(s))
    beyond = value.is_(None) if ctx.pg else sa.or_(value.is_(None), F.abs(value) > MAX_DOUBLE)
    return SqlValue(value, first_error(error, when_error(beyond, "#NUM!")))


define(FunctionSpec(
    "MEDIAN", "lists", (Param("value", "number", repeat=True),), NUMBER,
    "The middle number (the mean of the two middle ones for an even count); none gives #NUM!.",
    "中位数（个数为偶数时取中间两个数的平均值）；没有数字时返回 #NUM!。",
    build_python=_median_py, build_sql=_median_sql, range_params=True,
))


def _kth_py(which: str) -> Callable[..., Any]:
    """LARGE / SMALL (k rounded up), PERCENTILE (k in [0, 1]), QUARTILE (quart floored, 0-4)."""

    def build(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        numbers = _py_numbers(ctx, args[:1])
        k_arg = _py_num_arg(ctx, args[1], 0.0)

        def run(env: Env) -> Any:
            ns = numbers(env)
            if ns.__class__ is ExcelError:
                return ns
            k = k_arg(env)
            if k.__class__ is ExcelError:
                return k
            s, n = sorted(ns), len(ns)
            if which in ("large", "small"):
                kk = math.ceil(k)
                if kk < 1 or kk > n:
                    return NUM
                return s[kk - 1] if which == "small" else s[n - kk]
            if which == "quartile":
                q = math.floor(k)
                if q < 0 or q > 4:
                    return NUM
                k = q / 4
            if n == 0 or k < 0 or k > 1:
                return NUM
            h = (n - 1.0) * k
            f = math.floor(h)
            lo = s[f]
            hi = s[f + 1] if f + 1 < n else lo
            if h == f:  # exactly at a value: no interpolation, whatever the next one is
                return lo
            return check_number(lo + (h - f) * (hi - lo))  # (#NUM! where hi - lo overflows)

        return run

    return build


def _kth_sql(which: str) -> Callable[..., SqlValue]:
    def build(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        s, error = _sorted_numbers(ctx, args[:1])
        k = _arg_number(ctx, args[1])
        kv = k.value
        n = _scalar(sa.select(F.count()).select_from(s))
        if which in ("large", "small"):
            kk = -ctx.floor(-kv)
            position = kk if which == "small" else s.c.n - kk + 1
            value = _scalar(sa.select(F.max(sa.case((s.c.i == position, s.c.x)))).select_from(s))
            bad = sa.or_(kk < 1, kk > n)
            return SqlValue(value, first_error(error, k.error, when_error(bad, "#NUM!")))
        bad_k = sa.or_(kv < 0, kv > 1)
        if which == "quartile":
            q = ctx.floor(kv)
            bad_k = sa.or_(q < 0, q > 4)
            kv = q / 4.0
        # k outside 0..1 is #NUM! before anything is computed with it (PostgreSQL would raise
        # on (n - 1) * 1e308)
        h = (sa.cast(s.c.n, sa.Float(53)) - 1.0) * sa.case((bad_k, 0.0), else_=kv)
        f = ctx.floor(h)
        lo = F.max(sa.case((s.c.i == f + 1, s.c.x)))
        hi = F.coalesce(F.max(sa.case((s.c.i == f + 2, s.c.x))), lo)
        part = F.max(h - f)
        if ctx.pg:  # NULL where hi - lo overflows (PostgreSQL's - raises there), as Python's inf / NaN
            step = F.tx_mul(part, F.tx_add(hi, -lo, type_=sa.Float(53)), type_=sa.Float(53))
            between = F.tx_add(lo, step, type_=sa.Float(53))
        else:  # inf, or NaN (which SQLite makes NULL)
            between = lo + part * (hi - lo)
        value = _scalar(sa.select(sa.case((part == 0, lo), else_=between)).select_from(s))
        beyond = value.is_(None) if ctx.pg else sa.or_(value.is_(None), F.abs(value) > MAX_DOUBLE)
        bad = sa.or_(bad_k, n == 0, beyond)
        return SqlValue(value, first_error(error, k.error, when_error(bad, "#NUM!")))

    return build


for _name, _which, _k, _en, _zh in (
    ("LARGE", "large", "k", "The k-th largest number (k rounded up); k outside 1..count gives #NUM!.",
     "第 k 大的数字（k 向上取整）；k 超出 1 到个数的范围时返回 #NUM!。"),
    ("SMALL", "small", "k", "The k-th smallest number (k rounded up); k outside 1..count gives #NUM!.",
     "第 k 小的数字（k 向上取整）；k 超出 1 到个数的范围时返回 #NUM!。"),
    ("PERCENTILE.INC", "percentile", "k", "The k-th percentile (k from 0 to 1), interpolating between values.",
     "第 k 个百分位数（k 介于 0 到 1），在相邻值之间插值。"),
    ("QUARTILE.INC", "quartile", "quart", "A quartile: 0 minimum, 1 first quartile, 2 median, 3 third, 4 maximum.",
     "四分位数：0 最小值，1 第一四分位，2 中位数，3 第三四分位，4 最大值。"),
):
    define(FunctionSpec(
        _name, "lists", (Param("array"), Param(_k, "number")), NUMBER, _en, _zh,
        build_python=_kth_py(_which), build_sql=_kth_sql(_which), range_params=True,
    ))


# ----- RANK.EQ, PERCENTRANK.INC ------------------------------------------------------------------


def _rank_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    number = _py_num_arg(ctx, args[0], 0.0)
    numbers = _py_numbers(ctx, args[1:2])
    order = _py_num_arg(ctx, args[2] if len(args) > 2 else None, 0.0)

    def run(env: Env) -> Any:
        x = number(env)
        if x.__class__ is ExcelError:
            return x
        ns = numbers(env)
        if ns.__class__ is ExcelError:
            return ns
        o = order(env)
        if o.__class__ is ExcelError:
            return o
        if x not in ns:
            return NA
        return 1.0 + sum(1 for v in ns if (v > x if o == 0 else v < x))

    return run


def _rank_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    x = _arg_number(ctx, args[0])
    src, error = numbers_source(ctx, args[1:2])
    order = _arg_number(ctx, args[2]) if len(args) > 2 else SqlValue(ctx.number(0))
    before = sa.case((order.value == 0, F.count(sa.case((src.c.x > x.value, 1)))),
                     else_=F.count(sa.case((src.c.x < x.value, 1))))
    found = F.count(sa.case((src.c.x == x.value, 1))) > 0
    value = _scalar(sa.select(sa.case((found, 1.0 + before))).select_from(src))
    return SqlValue(value, first_error(x.error, error, order.error, when_error(value.is_(None), "#N/A")))


define(FunctionSpec(
    "RANK.EQ", "lists", (Param("number", "number"), Param("ref"), Param("order", "number", optional=True)), NUMBER,
    "Rank of a number in a list: 1 for the largest (order 0, default) or the smallest (order 1); "
    "ties share a rank; #N/A when the number is not in the list.",
    "数字在列表中的排名：默认（order 为 0）最大者为 1，order 为 1 时最小者为 1；并列同名次；不在列表中返回 #N/A。",
    build_python=_rank_py, build_sql=_rank_sql, aliases=("RANK",), range_params=True,
))


# Between neighbours lo < x < hi, PERCENTRANK.INC interpolates (x - lo) / (hi - lo). Where lo or
# hi is beyond HALVE_FROM the differences could overflow (PostgreSQL raises), so the three are
# halved first (a half below TINY counts as 0: PostgreSQL raises where it would round to 0).
HALVE_FROM = 2.0 ** 1022
TINY = 1e-300


def _py_half(v: float) -> float:
    return v * 0.5 if abs(v) >= TINY else 0.0


def _py_between(x: float, lo: float, hi: float) -> float:
    """Where ``x`` lies from ``lo`` (0) to ``hi`` (1), without overflow (mirror: _sql_between)."""
    if abs(lo) < HALVE_FROM and abs(hi) < HALVE_FROM:
        return (x - lo) / (hi - lo)
    return (_py_half(x) - _py_half(lo)) / (_py_half(hi) - _py_half(lo))


def _sql_between(ctx: SqlContext, x: Any, lo: Any, hi: Any) -> Any:
    def half(v: Any) -> Any:
        return sa.case((F.abs(v) >= TINY, v * 0.5), else_=0.0)

    near = sa.and_(F.abs(lo) < HALVE_FROM, F.abs(hi) < HALVE_FROM)
    above = sa.case((near, x - lo), else_=half(x) - half(lo))
    width = sa.case((near, hi - lo), else_=half(hi) - half(lo))
    fraction, _never = sql_checked(ctx, "/", above, width)  # (0 where it underflows, as in Python)
    return fraction


def _py_percentrank(ns: list[float], x: float) -> Any:
    """Excel's PERCENTRANK.INC before truncation (None: x outside the values, #N/A)."""
    s, n = sorted(ns), len(ns)
    if x < s[0] or x > s[-1]:
        return None
    if n == 1:
        return 1.0
    less = sum(1 for v in s if v < x)
    if x in s:
        return float(less) / (float(n) - 1.0)
    lo, hi = s[less - 1], s[less]
    return (float(less) - 1.0 + _py_between(x, lo, hi)) / (float(n) - 1.0)


def _percentrank_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    numbers = _py_numbers(ctx, args[:1])
    x_arg = _py_num_arg(ctx, args[1], 0.0)
    sig_arg = _py_num_arg(ctx, args[2] if len(args) > 2 else None, 3.0)

    def run(env: Env) -> Any:
        ns = numbers(env)
        if ns.__class__ is ExcelError:
            return ns
        x = x_arg(env)
        if x.__class__ is ExcelError:
            return x
        sig = sig_arg(env)
        if sig.__class__ is ExcelError:
            return sig
        if sig < 1 or not ns:
            return NUM
        r = _py_percentrank(ns, x)
        if r is None:
            return NA
        out = xnumbers.rounddown(r, math.floor(sig))
        return NUM if out is None else out

    return run


def _percentrank_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    src, error = numbers_source(ctx, args[:1])
    xv = _arg_number(ctx, args[1])
    sig = _arg_number(ctx, args[2]) if len(args) > 2 else SqlValue(ctx.number(3))
    x, v = src.c.x, xv.value
    n = sa.cast(F.count(x), sa.Float(53))
    less = sa.cast(F.count(sa.case((x < v, 1))), sa.Float(53))
    lo, hi = F.max(sa.case((x < v, x))), F.min(sa.case((x > v, x)))
    raw = sa.case(
        (F.count(x) == 0, None),
        (sa.or_(v < F.min(x), v > F.max(x)), None),
        (F.count(x) == 1, 1.0),
        (F.count(sa.case((x == v, 1))) > 0, less / (n - 1.0)),
        else_=sql_checked(ctx, "/", less - 1.0 + _sql_between(ctx, v, lo, hi), n - 1.0)[0],
    )
    rank = _scalar(sa.select(raw).select_from(src))
    count = _scalar(sa.select(F.count(x)).select_from(src))
    value = F.tx_rounddown(rank, ctx.floor(sig.value))
    bad = sa.case(
        (sa.or_(sig.value < 1, count == 0), error_literal("#NUM!")),
        (rank.is_(None), error_literal("#N/A")),
        (value.is_(None), error_literal("#NUM!")),
    )
    return SqlValue(value, first_error(error, xv.error, sig.error, bad))


define(FunctionSpec(
    "PERCENTRANK.INC", "lists",
    (Param("array"), Param("x", "number"), Param("significance", "number", optional=True, default=3.0)), NUMBER,
    "Rank of x as a fraction 0..1 of the list (count of smaller values / (count - 1)), interpolated "
    "between values, truncated to significance digits (3).",
    "x 在列表中的百分比排位（0 到 1：较小值个数 / (个数 - 1)），不在列表中时插值，按有效位数（默认 3）截断。",
    build_python=_percentrank_py, build_sql=_percentrank_sql, range_params=True,
))


# ===== lookups ==================================================================================


def _py_class_key(v: Any) -> tuple[int, Any]:
    """Excel's comparison class (numbers/dates 0, text 1, booleans 2) and the comparable key."""
    if isinstance(v, bool):
        return 2, (1 if v else 0)
    if isinstance(v, str):
        return 1, ascii_lower(v)
    if isinstance(v, float):
        return 0, v
    return 0, date_to_serial(v)


def _sql_key(ctx: SqlContext, e: Any, kind: str) -> Any:
    """The SQL comparable key of a value of kind ``kind`` (mirror of _py_class_key)."""
    if kind == "text":
        return ctx.lower(e)
    if kind == "boolean":
        return sa.case((e, 1), else_=0)
    if kind in ("date", "datetime"):
        return ctx.serial(e, kind)
    return e


def _lookup_key(ctx: SqlContext, lookup: Typed) -> tuple[SqlValue, int | None, Any]:
    """(compiled lookup value, its comparison class, its SQL key)."""
    sv = ctx.compile(lookup)
    if lookup.type.is_list:
        return SqlValue(sa.null(), first_error(sv.error, error_literal("#VALUE!"))), None, None
    cls = compare_class(lookup.type)
    return sv, cls, (_sql_key(ctx, sv.value, lookup.type.kind) if cls is not None else None)


def _py_eq(mode: int, lv: Any, key: Any) -> Callable[[Any], bool]:
    """Exact equality of an element with the lookup value; wildcards for text in mode 2."""
    cls, k = _py_class_key(lv)
    if cls == 1 and mode == 2:
        c = parse_criteria("=" + lv)
        return lambda v: matches(v, c)
    return lambda v: _py_class_key(v) == (cls, k)


def _py_position(items: list[Any], lv: Any, mode: int, last: bool) -> int | None:
    """0-based position of the element found (XLOOKUP modes; MATCH maps onto them)."""
    if lv is None:
        return None
    cls, key = _py_class_key(lv)
    same = [(i, _py_class_key(v)[1]) for i, v in enumerate(items) if v is not None and _py_class_key(v)[0] == cls]
    if mode in (0, 2):
        eq = _py_eq(mode, lv, key)
        hits = [i for i, _ in same if eq(items[i])]
    else:
        near = [k for _, k in same if (k <= key if mode == -1 else k >= key)]
        if not near:
            return None
        best = max(near) if mode == -1 else min(near)
        hits = [i for i, k in same if k == best]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def _sql_position(ctx: SqlContext, numbered: Callable[[], Any], kind: str, lookup: tuple[SqlValue, int | None, Any],
                  mode: int, last: bool) -> Any:
    """SQL twin of _py_position over a fresh numbered table (``v0`` lookup values, ``i``)."""
    sv, cls, key = lookup
    if cls is None or compare_class(FType(kind)) != cls:
        return sa.cast(sa.null(), sa.Integer)
    t = numbered()
    k = _sql_key(ctx, t.c.v0, kind)
    pick = F.max if last else F.min
    if mode in (0, 2):
        if cls == 1 and mode == 2:
            criterion = convert(ctx, sv, FType("text"), "text").value
            eq = F.tx_crit_text(t.c.v0, sa.literal("=") + criterion)
            eq = eq if ctx.pg else eq == 1
        else:
            eq = k == key
        return _scalar(sa.select(pick(t.c.i)).select_from(t).where(t.c.v0.is_not(None), eq))
    inner = numbered()
    ik = _sql_key(ctx, inner.c.v0, kind)
    near = ik <= key if mode == -1 else ik >= key
    best = _scalar(sa.select((F.max if mode == -1 else F.min)(ik)).select_from(inner).where(inner.c.v0.is_not(None), near))
    return _scalar(sa.select(pick(t.c.i)).select_from(t).where(t.c.v0.is_not(None), k == best))


def _modes(ctx: SqlContext, a: Typed | None, default: float, allowed: tuple[int, ...], error: str,
           normalize: Callable[[float], int] = int) -> tuple[list[tuple[int, Any]], Any]:
    """The possible values of a mode argument, each with its SQL condition, and an error.
    A constant argument is resolved at compile time."""
    if a is None or isinstance(a.node, ast.Empty):
        return [(normalize(default), sa.true())], None
    if is_constant(a) and not a.type.is_list:
        v = to_number(constant_value(ctx, a))
        if v.__class__ is ExcelError:
            return [(allowed[0], sa.true())], error_literal(v.code)
        if normalize(v) not in allowed or (normalize is int and v not in allowed):
            return [(allowed[0], sa.true())], error_literal(error)
        return [(normalize(v), sa.true())], None
    n = _arg_number(ctx, a)
    conditions = _mode_conditions(ctx, n.value, allowed, normalize)
    valid = sa.or_(*[c for _, c in conditions])
    return conditions, first_error(n.error, sa.case((sa.not_(valid), error_literal(error))))


def _mode_conditions(ctx: SqlContext, v: Any, allowed: tuple[int, ...], normalize: Callable[[float], int]) -> list[tuple[int, Any]]:
    if normalize is int:
        return [(m, v == float(m)) for m in allowed]
    return [(1, v > 0), (0, v == 0), (-1, v < 0)]


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


# ----- MATCH -------------------------------------------------------------------------------------


def _match_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    lookup = _py_arg(ctx, args[0])
    items = py_items(ctx, args[1])
    match_type = _py_num_arg(ctx, args[2] if len(args) > 2 else None, 1.0)

    def run(env: Env) -> Any:
        lv = lookup(env)
        if lv.__class__ is ExcelError:
            return lv
        arr = items(env)
        if arr.__class__ is ExcelError:
            return arr
        mt = match_type(env)
        if mt.__class__ is ExcelError:
            return mt
        mode = {0: 2, 1: -1, -1: 1}[_sign(mt)]
        pos = _py_position(arr, lv, mode, last=mode != 2)
        return NA if pos is None else float(pos + 1)

    return run


def _match_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    lookup = _lookup_key(ctx, args[0])
    arr = args[1]
    kind = arr.type.kind
    arr_error = ctx.compile(arr).error if arr.origin == "expr" else None

    def numbered() -> Any:
        return _numbered(ctx, [arr])

    modes, mode_error = _modes(ctx, args[2] if len(args) > 2 else None, 1.0, (1, 0, -1), "#N/A", normalize=_sign)
    whens = []
    for m, condition in modes:
        xmode = {0: 2, 1: -1, -1: 1}[m]
        whens.append((condition, _sql_position(ctx, numbered, kind, lookup, xmode, last=xmode != 2)))
    pos = whens[0][1] if len(whens) == 1 else sa.case(*whens)
    value = sa.cast(pos, sa.Float(53))
    return SqlValue(value, first_error(lookup[0].error, arr_error, mode_error, when_error(pos.is_(None), "#N/A")))


def _numbered(ctx: SqlContext, arrays: list[Typed]) -> Any:
    """A fresh derived table of aligned arrays (``v0``, ``v1``...) with their position ``i``."""
    rows = range_rows(ctx, arrays)
    return rows.numbered(ctx, *rows.values)


define(FunctionSpec(
    "MATCH", "lists", (Param("lookup_value"), Param("lookup_array"), Param("match_type", "number", optional=True)),
    NUMBER,
    "Position (from 1) of a value in a list: match_type 0 exact (text case-insensitive, * and ? wildcards), "
    "1 (default) the largest value <= it in an ascending list, -1 the smallest value >= it in a descending list.",
    "值在列表中的位置（从 1 开始）：match_type 为 0 精确匹配（文本不区分大小写，支持 * 和 ? 通配符），"
    "1（默认）升序列表中小于等于它的最大值，-1 降序列表中大于等于它的最小值。",
    build_python=_match_py, build_sql=_match_sql, range_params=True,
))


# ----- INDEX -------------------------------------------------------------------------------------


def _index_type(args: list[Typed]) -> FType:
    return FType(args[0].type.kind)


def _index_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    items = py_items(ctx, args[0])
    row = _py_num_arg(ctx, args[1], 0.0)
    column = _py_num_arg(ctx, args[2] if len(args) > 2 else None, 1.0)

    def run(env: Env) -> Any:
        arr = items(env)
        if arr.__class__ is ExcelError:
            return arr
        r, c = row(env), column(env)
        for v in (r, c):
            if v.__class__ is ExcelError:
                return v
        r, c = math.trunc(r), math.trunc(c)
        if r < 1 or c < 0:
            return VALUE
        if c > 1 or r > len(arr):
            return REF
        return arr[r - 1]

    return run


def _index_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    arr = args[0]
    arr_error = ctx.compile(arr).error if arr.origin == "expr" else None
    r = _arg_number(ctx, args[1])
    c = _arg_number(ctx, args[2]) if len(args) > 2 else SqlValue(ctx.number(1))
    rt = sa.case((r.value < 0, -ctx.floor(-r.value)), else_=ctx.floor(r.value))
    ct = sa.case((c.value < 0, -ctx.floor(-c.value)), else_=ctx.floor(c.value))
    picked = _numbered(ctx, [arr])
    value = _scalar(sa.select(picked.c.v0).select_from(picked).where(picked.c.i == rt))
    counted = _numbered(ctx, [arr])
    count = _scalar(sa.select(F.count()).select_from(counted))
    bad = sa.case(
        (sa.or_(rt < 1, ct < 0), error_literal("#VALUE!")),
        (sa.or_(ct > 1, rt > count), error_literal("#REF!")),
    )
    return SqlValue(value, first_error(arr_error, r.error, c.error, bad))


REF = ExcelError("#REF!")

define(FunctionSpec(
    "INDEX", "lists", (Param("array"), Param("row_num", "number"), Param("column_num", "number", optional=True)),
    _index_type,
    "The row_num-th value of a list (from 1, blanks counted); beyond the end gives #REF!.",
    "列表中第 row_num 个值（从 1 开始，空值也计数）；超出范围返回 #REF!。",
    build_python=_index_py, build_sql=_index_sql, range_params=True,
))


# ----- XLOOKUP -----------------------------------------------------------------------------------


def _xlookup_type(args: list[Typed]) -> FType:
    check_aligned("XLOOKUP", [args[1], args[2]])
    result = Typed(args[2].node, FType(args[2].type.kind))
    if len(args) > 3 and not isinstance(args[3].node, ast.Empty):
        return common_type([result, args[3]])
    return common_type([result])


def _xlookup_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    lookup = _py_arg(ctx, args[0])
    keys, results = py_items(ctx, args[1]), py_items(ctx, args[2])
    has_fallback = len(args) > 3 and not isinstance(args[3].node, ast.Empty)
    fallback = _py_arg(ctx, args[3]) if has_fallback else (lambda env: NA)
    match_mode = _py_num_arg(ctx, args[4] if len(args) > 4 else None, 0.0)
    search_mode = _py_num_arg(ctx, args[5] if len(args) > 5 else None, 1.0)
    to_type = py_to_type(t.type)

    def run(env: Env) -> Any:
        lv = lookup(env)
        if lv.__class__ is ExcelError:
            return lv
        ks, rs = keys(env), results(env)
        for v in (ks, rs):
            if v.__class__ is ExcelError:
                return v
        mm, sm = match_mode(env), search_mode(env)
        for v in (mm, sm):
            if v.__class__ is ExcelError:
                return v
        if mm not in (0, -1, 1, 2) or sm not in (1, -1, 2, -2):
            return VALUE
        pos = _py_position(ks, lv, int(mm), last=sm < 0)
        if pos is None:
            out = fallback(env)
        else:
            out = rs[pos] if pos < len(rs) else None
        return out if out.__class__ is ExcelError else to_type(out)

    return run


def _xlookup_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    lookup = _lookup_key(ctx, args[0])
    keys, results = args[1], args[2]
    kind = keys.type.kind
    errors = [ctx.compile(a).error for a in (keys, results) if a.origin == "expr"]
    match_modes, mm_error = _modes(ctx, args[4] if len(args) > 4 else None, 0.0, (0, -1, 1, 2), "#VALUE!")
    search_modes, sm_error = _modes(ctx, args[5] if len(args) > 5 else None, 1.0, (1, -1, 2, -2), "#VALUE!")

    def numbered() -> Any:
        return _numbered(ctx, [keys, results])

    whens = []
    for mm, mc in match_modes:
        for sm, sc in search_modes:
            whens.append((sa.and_(mc, sc), _sql_position(ctx, numbered, kind, lookup, mm, last=sm < 0)))
    pos = whens[0][1] if len(whens) == 1 else sa.case(*whens)
    picked = numbered()
    found = sql_to_type(ctx, SqlValue(_scalar(sa.select(picked.c.v1).select_from(picked).where(picked.c.i == pos))),
                        FType(results.type.kind), t.type)
    if len(args) > 3 and not isinstance(args[3].node, ast.Empty):
        fallback = sql_to_type(ctx, ctx.compile(args[3]), args[3].type, t.type)
    else:
        fallback = SqlValue(ctx.null(t.type), error_literal("#N/A"))
    missing = pos.is_(None)
    value = sa.case((missing, fallback.value), else_=found.value)
    miss_error = sa.case((missing, fallback.error)) if fallback.error is not None else None
    return SqlValue(value, first_error(lookup[0].error, *errors, mm_error, sm_error, miss_error))


define(FunctionSpec(
    "XLOOKUP", "lists",
    (Param("lookup_value"), Param("lookup_array"), Param("return_array"), Param("if_not_found", optional=True),
     Param("match_mode", "number", optional=True), Param("search_mode", "number", optional=True)),
    _xlookup_type,
    "The return_array value beside the first match of lookup_value in lookup_array; match_mode 0 exact, "
    "-1 exact or next smaller, 1 exact or next larger, 2 wildcards; search_mode -1 searches from the end; "
    "if_not_found (else #N/A) when nothing matches.",
    "在查找区域中查找值，返回返回区域中对应的值；match_mode 0 精确、-1 精确或下一个较小值、1 精确或下一个较大值、"
    "2 通配符；search_mode 为 -1 时从末尾查找；找不到时返回 if_not_found（否则 #N/A）。",
    build_python=_xlookup_py, build_sql=_xlookup_sql, range_params=True,
))


# ----- ARRAYJOIN ---------------------------------------------------------------------------------


def _arrayjoin_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    items = py_items(ctx, args[0])
    separator = _py_arg(ctx, args[1], ", ") if len(args) > 1 else (lambda env: ", ")

    def run(env: Env) -> Any:
        arr = items(env)
        if arr.__class__ is ExcelError:
            return arr
        sep = to_text(separator(env))
        if sep.__class__ is ExcelError:
            return sep
        parts = []
        for v in arr:
            text = to_text(v)
            if text.__class__ is ExcelError:
                return text
            if text:
                parts.append(text)
        return sep.join(parts) or None

    return run


def _arrayjoin_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    arr = args[0]
    arr_error = ctx.compile(arr).error if arr.origin == "expr" else None
    if len(args) > 1:
        sep = convert(ctx, ctx.compile(args[1]), args[1].type, "text")
    else:
        sep = SqlValue(ctx.text(", "))
    rows = range_rows(ctx, [arr])
    kind = "text" if arr.type.kind in ("blank", "error") else arr.type.kind
    text = convert(ctx, SqlValue(rows.values[0]), FType(kind), "text").value
    keep = sa.and_(rows.values[0].is_not(None), text != "")
    if ctx.pg:
        value = _scalar(rows.select(F.string_agg(text, aggregate_order_by(sep.value, rows.position)), where=keep))
    else:
        window = F.group_concat(text, sep.value).over(order_by=rows.position, rows=(None, None))
        joined = rows.select(window.label("w"), where=keep).subquery(ctx.fresh_name("joined"))
        value = _scalar(sa.select(F.max(joined.c.w)).select_from(joined))
    return SqlValue(ctx.nonempty(value), first_error(arr_error, sep.error))


define(FunctionSpec(
    "ARRAYJOIN", "lists", (Param("list"), Param("separator", "text", optional=True)), TEXT,
    "The list's values as text joined by the separator (\", \" by default), blanks skipped.",
    "将列表中的值转为文本并用分隔符（默认 \", \"）连接，空值跳过。",
    build_python=_arrayjoin_py, build_sql=_arrayjoin_sql, range_params=True,
))


# ----- COUNTUNIQUE -------------------------------------------------------------------------------


def _countunique_py(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    parts = [py_items(ctx, a) for a in args]

    def run(env: Env) -> Any:
        seen: set[tuple[int, Any]] = set()
        for part in parts:
            arr = part(env)
            if arr.__class__ is ExcelError:
                return arr
            for v in arr:
                if v is not None and v.__class__ is not ExcelError:
                    seen.add(_py_class_key(v))
        return float(len(seen))

    return run


def _countunique_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    selects, errors = [], []
    for a in args:
        if a.origin == "expr":
            errors.append(ctx.compile(a).error)
        kind = a.type.kind
        cls = compare_class(FType(kind))
        if cls is None:
            continue
        rows = range_rows(ctx, [a])
        v = rows.values[0]
        key = _sql_key(ctx, v, kind)
        number = ctx.null(NUMBER) if cls == 1 else sa.cast(key, sa.Float(53))
        text = key if cls == 1 else ctx.lower(ctx.null(TEXT))
        selects.append(rows.select(sa.literal(cls).label("c"), number.label("n"), text.label("s"), where=v.is_not(None)))
    if not selects:
        return SqlValue(ctx.number(0), first_error(*errors))
    distinct = (selects[0].distinct() if len(selects) == 1 else sa.union(*selects)).subquery(ctx.fresh_name("uniq"))
    count = _scalar(sa.select(F.count()).select_from(distinct))
    return SqlValue(sa.cast(count, sa.Float(53)), first_error(*errors))


define(FunctionSpec(
    "COUNTUNIQUE", "lists", (Param("value", repeat=True),), NUMBER,
    "Counts the distinct non-blank values (text compared case-insensitively).",
    "统计不同的非空值的个数（文本不区分大小写）。",
    build_python=_countunique_py, build_sql=_countunique_sql, range_params=True,
))
