"""Column-function pass: ``PERCENTRANK.INC(ALL({F}), x[, significance])`` from a rank table.

The formula compiler turns a function over an ``ALL()`` column into a scalar subquery that
aggregates the whole column for every record: O(rows²), hours at a million records. A full
recompute needs the column's ranks only once. Before compiling, this pass computes them into a
temporary table (distinct values with the count of smaller values, one GROUP BY with a running
sum, indexed by value) plus the column's count, minimum and maximum, and swaps each such call
in the typed tree for a node that reads that table: an indexed lookup per record (exact hit),
or two neighbour lookups when x is not in the column (Excel's interpolation). Results, errors
and truncation are those of ``PERCENTRANK.INC`` (functions/lists.py).

Use it as a context manager around the statements that read the rewritten tree; the rank
tables are dropped on exit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.formula.checker import Typed
from tessera.formula.functions._ranges import is_constant
from tessera.formula.interpreter import Env, compile_python
from tessera.formula.registry import FunctionSpec
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, error_literal, first_error

__all__ = ["column_functions", "uses_column_functions", "RankTable"]

_NAMES = itertools.count(1)


@dataclass(frozen=True)
class RankTable:
    """The ranks of one column: ``table(x, less, pr)`` over its distinct non-blank numbers,
    ``pr`` being PERCENTRANK.INC of ``x`` truncated to ``digits`` (None: not precomputed)."""

    table: sa.Table
    count: int
    low: float | None
    high: float | None
    digits: int | None


# Exact integer truncation of less / (n - 1) equals Excel's decimal ROUNDDOWN as long as a
# non-integer less·10^d / (n - 1) stays further than a double's error from the next integer.
_MAX_DIGITS = 6
_MAX_COUNT = 10**8


def _is_column_percentrank(t: Typed) -> bool:
    return (t.spec is not None and t.spec.name == "PERCENTRANK.INC" and len(t.args) >= 2
            and t.args[0].origin == "column" and t.args[0].field is not None
            and t.args[0].type.kind == "number")


def uses_column_functions(t: Typed) -> bool:
    """Whether ``t`` calls a whole-column function this pass rewrites."""
    return _is_column_percentrank(t) or any(uses_column_functions(a) for a in t.args)


def _constant_digits(t: Typed) -> int | None:
    """The truncation digits of a call, when its significance is a constant in range."""
    if len(t.args) < 3:
        return 3
    sig = t.args[2]
    if sig.type.kind != "number" or not is_constant(sig):
        return None
    value = compile_python(sig)(Env({}))
    if not isinstance(value, float) or not 1 <= value < _MAX_DIGITS + 1:
        return None
    return int(value)


def _build_ranks(conn: Connection, source_table: str, column: str, digits: int | None) -> RankTable:
    name = f"tx_ranks_{next(_NAMES)}"
    ranks = sa.Table(name, sa.MetaData(), sa.Column("x", sa.Float(53), primary_key=True),
                     sa.Column("less", sa.BigInteger, nullable=False), sa.Column("pr", sa.Float(53)),
                     prefixes=["TEMPORARY"])
    ranks.create(conn)
    src = sa.table(source_table, sa.column(column)).alias("src")
    x = sa.cast(src.c[column], sa.Float(53))
    stats = conn.execute(sa.select(sa.func.count(x), sa.func.min(x), sa.func.max(x))
                         .where(src.c[column].is_not(None))).one()
    n = int(stats[0])
    counts = (sa.select(x.label("x"), sa.func.count().label("c"))
              .where(src.c[column].is_not(None)).group_by(x).subquery("counts"))
    less = sa.cast(sa.func.sum(counts.c.c).over(order_by=counts.c.x) - counts.c.c, sa.BigInteger)
    conn.execute(sa.insert(ranks).from_select(["x", "less"], sa.select(counts.c.x, less)))
    if digits is not None and 1 < n < _MAX_COUNT:
        scale = 10**digits
        truncated = (ranks.c.less * sa.literal(scale, sa.BigInteger)) // sa.literal(n - 1, sa.BigInteger)
        conn.execute(sa.update(ranks).values(pr=sa.cast(truncated, sa.Float(53)) / float(scale)))
    else:
        digits = None
    return RankTable(ranks, n, stats[1], stats[2], digits)


def _percentrank_spec(ranks: RankTable) -> FunctionSpec:
    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        xv = convert(ctx, ctx.compile(args[1]), args[1].type, "number")
        sig = (convert(ctx, ctx.compile(args[2]), args[2].type, "number") if len(args) > 2
               else SqlValue(ctx.number(3)))
        v, r, n = xv.value, ranks.table, ranks.count
        if n == 0:
            return SqlValue(sa.null(), first_error(xv.error, sig.error, error_literal("#NUM!")))
        exact = sa.select(r.c.less).where(r.c.x == v).scalar_subquery()
        above = sa.select(r.c.less).where(r.c.x > v).order_by(r.c.x).limit(1).scalar_subquery()
        lo = sa.select(r.c.x).where(r.c.x < v).order_by(r.c.x.desc()).limit(1).scalar_subquery()
        hi = sa.select(r.c.x).where(r.c.x > v).order_by(r.c.x).limit(1).scalar_subquery()
        total = ctx.number(n)
        outside = sa.or_(v < ctx.number(ranks.low), v > ctx.number(ranks.high))
        if n == 1:
            rank = sa.case((outside, None), else_=1.0)
        else:
            rank = sa.case(
                (outside, None),
                (exact.is_not(None), exact / (total - 1.0)),
                else_=(above - 1.0 + (v - lo) / (hi - lo)) / (total - 1.0),
            )
        value = sa.func.tx_rounddown(rank, ctx.floor(sig.value))
        if ranks.digits is not None and n > 1:
            # exact hits read the precomputed truncation; only interpolation rounds per record
            hit = sa.select(r.c.pr).where(r.c.x == v).scalar_subquery()
            value = sa.case((outside, None), (hit.is_not(None), hit), else_=value)
        bad = sa.case(
            (sig.value < 1, error_literal("#NUM!")),
            (value.is_not(None), None),
            (rank.is_(None), error_literal("#N/A")),
            else_=error_literal("#NUM!"),
        )
        return SqlValue(value, first_error(xv.error, sig.error, bad))

    def no_python(*_args: object) -> object:
        raise TypeError("the rank-table form of PERCENTRANK.INC is compiled to SQL only")

    return FunctionSpec(
        name="PERCENTRANK.INC", category="internal", params=(), returns=lambda args: args[0].type,
        description_en="PERCENTRANK.INC over a whole column, read from a precomputed rank table",
        description_zh="整列 PERCENTRANK.INC，从预先计算的排名表读取",
        build_python=no_python, build_sql=build_sql,
    )


def _rewrite(conn: Connection, t: Typed, table: str, made: dict[str, RankTable]) -> Typed:
    if _is_column_percentrank(t):
        column = t.args[0].field.column  # type: ignore[union-attr]
        digits = _constant_digits(t)
        key = f"{column}:{digits}"
        if key not in made:
            made[key] = _build_ranks(conn, table, column, digits)
        column = key
        args = tuple(_rewrite(conn, a, table, made) for a in t.args)
        return replace(t, args=args, spec=_percentrank_spec(made[column]))
    if not t.args:
        return t
    return replace(t, args=tuple(_rewrite(conn, a, table, made) for a in t.args))


@contextmanager
def column_functions(conn: Connection, typed: Typed, table: str) -> Iterator[Typed]:
    """``typed`` with whole-column PERCENTRANK.INC calls over ``table`` reading rank tables
    built now; the tables are dropped when the block ends."""
    made: dict[str, RankTable] = {}
    try:
        yield _rewrite(conn, typed, table, made)
    finally:
        for ranks in made.values():
            ranks.table.drop(conn)
