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

Snapshots: for a field whose only whole-column reads are such calls (``snapshot_capable``), a
full recompute keeps its rank tables (``rebuild_snapshots``) so that a record change can rank
just the changed records against them (``read_snapshots``) instead of recomputing the column
— DESIGN.md's "cached thresholds". The other records keep their values until the changes
counted against a snapshot pass ``SNAPSHOT_DRIFT`` of the column, then the caller rebuilds it
and recomputes the whole column exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import visitors

from tessera.compute.models import ColumnSnapshot
from tessera.formula.checker import Typed
from tessera.formula.functions._ranges import is_constant
from tessera.formula.interpreter import Env, compile_closures
from tessera.formula.registry import FunctionSpec
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, error_literal, first_error

__all__ = ["column_functions", "uses_column_functions", "RankTable", "snapshot_capable",
           "rebuild_snapshots", "read_snapshots", "drop_field_snapshots", "snapshot_budget",
           "SNAPSHOT_DRIFT"]

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

# Share of a column's records that may be recomputed against a kept snapshot before the whole
# column is refreshed (below 100 records: none, so small tables stay exact on every change).
SNAPSHOT_DRIFT = 0.01
_SNAPSHOTS = ColumnSnapshot.__table__
_DRIFT = (sa.update(_SNAPSHOTS).where(_SNAPSHOTS.c.field_id == sa.bindparam("fid"))
          .values(drift=_SNAPSHOTS.c.drift + sa.bindparam("k", type_=sa.BigInteger))
          .returning(_SNAPSHOTS.c.name, _SNAPSHOTS.c.n, _SNAPSHOTS.c.low, _SNAPSHOTS.c.high,
                     _SNAPSHOTS.c.digits, _SNAPSHOTS.c.drift))


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
    value = compile_closures(sig)(Env({}))  # evaluated once: no source to generate
    if not isinstance(value, float) or not 1 <= value < _MAX_DIGITS + 1:
        return None
    return int(value)


def _ranks_table(name: str, *, temporary: bool) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("x", sa.Float(53), primary_key=True),
                    sa.Column("less", sa.BigInteger, nullable=False), sa.Column("pr", sa.Float(53)),
                    prefixes=["TEMPORARY"] if temporary else [])


def _fill_ranks(conn: Connection, ranks: sa.Table, source_table: str, column: str, digits: int | None) -> RankTable:
    """Create ``ranks`` and fill it from the column as it is now."""
    ranks.create(conn)
    src = sa.table(source_table, sa.column(column)).alias("src")
    x = sa.cast(src.c[column], sa.Float(53))
    stats = conn.execute(sa.select(sa.func.count(x), sa.func.min(x), sa.func.max(x))
                         .where(src.c[column].is_not(None))).one()
    n = int(stats[0])
    counts = (sa.select(x.label("x"), sa.func.count().label("c"))
              .where(src.c[column].is_not(None)).group_by(x).subquery("counts"))
    less = sa.cast(sa.func.sum(counts.c.c).over(order_by=counts.c.x) - counts.c.c, sa.BigInteger)
    ranked = sa.select(counts.c.x, less.label("less")).subquery("ranked")
    if digits is not None and 1 < n < _MAX_COUNT:
        # pr in the same INSERT: a second pass (UPDATE) rewrote every row (1 s at 100,000 on PostgreSQL)
        scale = 10**digits
        truncated = (ranked.c.less * sa.literal(scale, sa.BigInteger)) // sa.literal(n - 1, sa.BigInteger)
        pr = sa.cast(truncated, sa.Float(53)) / float(scale)
        conn.execute(sa.insert(ranks).from_select(["x", "less", "pr"], sa.select(ranked.c.x, ranked.c.less, pr)))
    else:
        digits = None
        conn.execute(sa.insert(ranks).from_select(["x", "less"], sa.select(ranked.c.x, ranked.c.less)))
    return RankTable(ranks, n, stats[1], stats[2], digits)


def _build_ranks(conn: Connection, source_table: str, column: str, digits: int | None) -> RankTable:
    return _fill_ranks(conn, _ranks_table(f"tx_ranks_{next(_NAMES)}", temporary=True), source_table, column, digits)


def _reads_only(v: Any, row: Any) -> bool:
    """Whether ``v`` reads nothing but columns of ``row`` (and constants): an ON clause joined
    to the current row can compute it."""
    for element in visitors.iterate(v):
        if isinstance(element, sa.sql.selectable.SelectBase | sa.sql.selectable.ScalarSelect):
            return False
        if isinstance(element, sa.ColumnClause) and element.table is not row:
            return False
    return True


def _percentrank_spec(ranks: RankTable) -> FunctionSpec:
    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        xv = convert(ctx, ctx.compile(args[1]), args[1].type, "number")
        sig = (convert(ctx, ctx.compile(args[2]), args[2].type, "number") if len(args) > 2
               else SqlValue(ctx.number(3)))
        v, r, n = xv.value, ranks.table, ranks.count
        if n == 0:
            return SqlValue(sa.null(), first_error(xv.error, sig.error, error_literal("#NUM!")))
        exact = sa.select(r.c.less).where(r.c.x == v).scalar_subquery()
        hit = sa.select(r.c.pr).where(r.c.x == v).scalar_subquery()
        if ctx.joins is not None and n > 1 and _reads_only(v, ctx.row):
            # the statement joins the rank table once per row: its columns are the exact hit,
            # read wherever the formula repeats this call without another probe
            found = r.alias(ctx.fresh_name("rk"))
            ctx.joins.append((found, found.c.x == v))
            exact, hit = found.c.less, found.c.pr
        above = sa.select(r.c.less).where(r.c.x > v).order_by(r.c.x).limit(1).scalar_subquery()
        lo = sa.select(r.c.x).where(r.c.x < v).order_by(r.c.x.desc()).limit(1).scalar_subquery()
        hi = sa.select(r.c.x).where(r.c.x > v).order_by(r.c.x).limit(1).scalar_subquery()
        total = ctx.number(n)
        outside = sa.or_(v < ctx.number(ranks.low), v > ctx.number(ranks.high))
        # An exact hit lies within [low, high], so it is read first with one probe, through
        # COALESCE: the compiled formula repeats this expression (value and error, nested
        # functions), and a CASE testing the probe IS NOT NULL would run it twice each time.
        if n == 1:
            rank = sa.case((outside, None), else_=1.0)
        else:
            rank = sa.func.coalesce(exact / (total - 1.0), sa.case(
                (outside, None), else_=(above - 1.0 + (v - lo) / (hi - lo)) / (total - 1.0)))
        value = sa.func.tx_rounddown(rank, ctx.floor(sig.value))
        if ranks.digits is not None and n > 1:
            # exact hits read the precomputed truncation; only interpolation rounds per record
            interpolated = sa.func.tx_rounddown(sa.case((outside, None), else_=(
                above - 1.0 + (v - lo) / (hi - lo)) / (total - 1.0)), ctx.floor(sig.value))
            value = sa.func.coalesce(hit, interpolated)
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


RankSource = Callable[[str, int | None], RankTable]  # (column, digits) → its rank table


def _rewrite(t: Typed, ranks_of: RankSource, made: dict[str, RankTable]) -> Typed:
    if _is_column_percentrank(t):
        column = t.args[0].field.column  # type: ignore[union-attr]
        digits = _constant_digits(t)
        key = f"{column}:{digits}"
        if key not in made:
            made[key] = ranks_of(column, digits)
        args = tuple(_rewrite(a, ranks_of, made) for a in t.args)
        return replace(t, args=args, spec=_percentrank_spec(made[key]))
    if not t.args:
        return t
    return replace(t, args=tuple(_rewrite(a, ranks_of, made) for a in t.args))


@contextmanager
def column_functions(conn: Connection, typed: Typed, table: str) -> Iterator[Typed]:
    """``typed`` with whole-column PERCENTRANK.INC calls over ``table`` reading rank tables
    built now; the tables are dropped when the block ends."""
    made: dict[str, RankTable] = {}
    try:
        yield _rewrite(typed, lambda column, digits: _build_ranks(conn, table, column, digits), made)
    finally:
        for ranks in made.values():
            ranks.table.drop(conn)


# ----- snapshots: rank tables kept between changes ------------------------------------------
def snapshot_capable(t: Typed) -> bool:
    """Whether every whole-column read of ``t`` goes through a rewritable PERCENTRANK.INC, so
    that a record's value depends on the other records only through the rank tables."""
    if _is_column_percentrank(t):
        return all(snapshot_capable(a) for a in t.args[1:])
    if t.origin == "column":
        return False
    return all(snapshot_capable(a) for a in t.args)


def _snapshot_name(source_table: str, field_id: int, column: str, digits: int | None) -> str:
    # t_<id>_…: outside the migrations' schema comparison, like the user tables themselves
    return f"{source_table}_rank_{field_id}_{column}_{'x' if digits is None else digits}"


def _drop_snapshot(conn: Connection, name: str) -> None:
    conn.execute(sa.delete(_SNAPSHOTS).where(_SNAPSHOTS.c.name == name))
    _ranks_table(name, temporary=False).drop(conn, checkfirst=True)


def snapshot_budget(n: int) -> int:
    """How many records may be recomputed against a snapshot before it is rebuilt."""
    return int(n * SNAPSHOT_DRIFT)


def rebuild_snapshots(conn: Connection, typed: Typed, table: str, field_id: int) -> Typed:
    """``typed`` reading rank snapshots of the column as it is now (kept for later changes)."""

    def build(column: str, digits: int | None) -> RankTable:
        name = _snapshot_name(table, field_id, column, digits)
        _drop_snapshot(conn, name)
        ranks = _fill_ranks(conn, _ranks_table(name, temporary=False), table, column, digits)
        conn.execute(sa.insert(_SNAPSHOTS).values(name=name, field_id=field_id, n=ranks.count, low=ranks.low,
                                                  high=ranks.high, digits=ranks.digits, drift=0))
        return ranks

    return _rewrite(typed, build, {})


def _needed(t: Typed, table: str, field_id: int) -> dict[str, tuple[str, int | None]]:
    """The snapshot names ``t`` reads → (column, digits)."""
    out: dict[str, tuple[str, int | None]] = {}
    if _is_column_percentrank(t):
        column = t.args[0].field.column  # type: ignore[union-attr]
        digits = _constant_digits(t)
        out[_snapshot_name(table, field_id, column, digits)] = (column, digits)
    for a in t.args:
        out.update(_needed(a, table, field_id))
    return out


def read_snapshots(conn: Connection, typed: Typed, table: str, field_id: int, records: int,
                   memo: Callable[[Any, Callable[[], Any]], Any]) -> tuple[Typed, tuple[Any, ...]] | None:
    """``typed`` reading the kept snapshots, counting ``records`` more against each, with the
    snapshots' identity (what a statement compiled from it depends on); None when one is
    missing or would drift past its budget (then the caller rebuilds). ``memo`` caches per
    schema state (Catalog.memo): the names needed, and the rewritten tree per identity."""
    needed = memo(("snapshot_names", field_id), lambda: _needed(typed, table, field_id))
    # one round trip: count the records against the snapshots and read them back (when the
    # budget is exceeded the caller rebuilds them, which resets the count)
    rows = {r.name: r for r in conn.execute(_DRIFT, {"fid": field_id, "k": records}).all()}
    if any(name not in rows or rows[name].drift > snapshot_budget(rows[name].n) for name in needed):
        return None
    identity = tuple(sorted((n, rows[n].n, rows[n].low, rows[n].high, rows[n].digits) for n in needed))

    def rewrite() -> Typed:
        by_key = {f"{column}:{digits}": (name, digits) for name, (column, digits) in needed.items()}

        def read(column: str, digits: int | None) -> RankTable:
            name, _ = by_key[f"{column}:{digits}"]
            r = rows[name]
            return RankTable(_ranks_table(name, temporary=False), r.n, r.low, r.high, r.digits)

        return _rewrite(typed, read, {})

    return memo(("snapshot_tree", field_id, identity), rewrite), identity


def drop_field_snapshots(conn: Connection, field_id: int) -> None:
    """Drop every snapshot of a computed field (it was deleted or redefined)."""
    names = conn.execute(sa.select(_SNAPSHOTS.c.name).where(_SNAPSHOTS.c.field_id == field_id)).scalars().all()
    for name in names:
        _drop_snapshot(conn, name)
