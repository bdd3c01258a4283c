"""The sum of a ``{Link}.{Field}`` list or an ``ALL({Field})`` column (SUM, AVERAGE, SUMIFS,
AVERAGEIFS, SUMIF), in Python and in SQL, #NUM! where the total is beyond the double range.

PostgreSQL's ``sum()`` of doubles raises "value out of range" as soon as a running total
overflows, stopping the whole statement, and SQLite's keeps ``inf`` even where later values
bring the total back. So a range's numbers are summed in two parts that cannot overflow
(fewer than 10^18 elements): the ordinary ones (|x| < 1e290) as they are, and the huge ones
scaled by 2^-64, which is exact for them. Without huge values (every ordinary sum) the first
part is exactly the plain sum; with them, the total is ``huge·2^64 + ordinary``, #NUM! when it
is beyond the double range (excel/sums.py ``range_total``). Python, SQLite and PostgreSQL
compute the same two parts, so ``SUM`` of 1e308, 1e308, -1e308 in one list is 1e308
everywhere, as is the true total. A chain of arguments (``SUM({L}.{x}, {A})``) still adds its
arguments' sums one by one, #NUM! from the first step that overflows (operators.sql_checked).

Dates need none of this: their serials stay below 3e6.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.formula.excel.sums import HUGE, LIMIT, NEGLIGIBLE, SCALE, range_total
from tessera.formula.sqlcore import SqlContext, SqlValue, when_error
from tessera.formula.values import NUM, ExcelError

__all__ = ["py_range_sum", "sql_range_sum"]

F = sa.func


def py_range_sum(ns: list[float]) -> float | ExcelError:
    """The sum of a range's numbers (see the module docstring)."""
    if not ns or (max(ns) < HUGE and min(ns) > -HUGE):
        return float(sum(ns))
    ordinary = [x for x in ns if abs(x) < HUGE]
    huge = float(sum(x * SCALE for x in ns if abs(x) >= HUGE))
    total = range_total(float(sum(ordinary)) if ordinary else None, huge)
    return NUM if total is None else total


def sql_range_sum(ctx: SqlContext, rows: Any, x: Any, where: Any | None = None, *, dates: bool = False,
                  column: bool = False) -> SqlValue:
    """The sum of ``x`` over ``rows`` (a functions._ranges.RangeRows) where ``where`` holds, as
    one aggregate of the range (0 when there is nothing to add) and its #NUM! error. ``dates``:
    ``x`` is a date serial, which cannot overflow (one plain sum). ``column``: the rows are an
    ``ALL()`` column and ``where`` reads no current record, so where the caller takes joins
    (``ctx.joins``) the sum is a one-row derived table joined once, which the value and the
    error both read (as two scalar subqueries, the column would be summed twice)."""
    if dates:
        plain = F.sum(x) if where is None else F.sum(x).filter(where)
        return SqlValue(F.coalesce(rows.aggregate(plain), 0.0))
    # the magnitude test first: ``where`` (a criterion, maybe a function) runs once per element
    ordinary_rows, huge_rows = F.abs(x) < HUGE, F.abs(x) >= HUGE
    if where is not None:
        ordinary_rows, huge_rows = sa.and_(ordinary_rows, where), sa.and_(huge_rows, where)
    ordinary = F.sum(x).filter(ordinary_rows)
    huge = F.sum(x * SCALE).filter(huge_rows)
    if ctx.pg:  # (PostgreSQL computes each distinct aggregate of a SELECT once, however often
        # the expression repeats it; no step here can overflow or underflow)
        total = huge + sa.case((F.abs(ordinary) >= NEGLIGIBLE, ordinary * SCALE), else_=0.0)
        combined = sa.case(
            (F.coalesce(huge, 0.0) == 0.0, F.coalesce(ordinary, 0.0)),
            (F.abs(total) <= LIMIT, total * (1.0 / SCALE)),
        )
    else:  # SQLite would compute a repeated aggregate again (its parameters differ): one UDF call
        combined = F.tx_range_sum(ordinary, huge, type_=sa.Float(53))
    if column and ctx.joins is not None:
        total = rows.select(combined.label("s")).subquery(ctx.fresh_name("colsum"))
        ctx.joins.append((total, sa.true()))
        value = total.c.s
    else:
        value = rows.aggregate(combined)
    return SqlValue(value, when_error(value.is_(None), "#NUM!"))
