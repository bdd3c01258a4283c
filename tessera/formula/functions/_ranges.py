"""Plumbing for functions that take ranges: a direct field reference is a cell, a
``{Link}.{Field}`` list and an ``ALL({Field})`` column are ranges (FORMULA.md "Fields are
cells"), and so is a multi-select field (its options, origin ``options``). Lists compile to
correlated subqueries over the junction and target tables, columns to an uncorrelated subquery
over the whole table, options to ``json_each`` / ``jsonb_array_elements_text`` of the cell.

Order: the elements of a list are in the order of the linked records' ids, a column's in the
order of the records' ids; INDEX, MATCH, XLOOKUP and ARRAYJOIN rely on it.

Several ranges of one call (SUMIFS's sum range and criteria ranges, XLOOKUP's lookup and return
arrays) are *aligned*: element i of each belongs to the same record. They must therefore all be
lists through the same link, all ``ALL()`` columns, or all cells — :func:`check_aligned` makes
anything else a static error, and :func:`range_rows` gives their values side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.formula import ast
from tessera.formula.checker import Typed
from tessera.formula.errors import FormulaTypeError
from tessera.formula.interpreter import Env, compile_closures, option_items
from tessera.formula.sqlcore import SqlContext
from tessera.formula.values import ExcelError

__all__ = [
    "range_select", "element_type", "RangeRows", "range_rows", "cell_rows", "check_aligned", "require_range",
    "py_items", "is_constant", "constant_value", "target_table",
]


def element_type(t: Typed) -> str:
    return t.type.kind


def range_select(ctx: SqlContext, t: Typed, aggregate: Callable[[Any], Any]) -> Any:
    """A scalar computing ``aggregate(column)`` over the list or column ``t``."""
    rows = range_rows(ctx, [t])
    return rows.aggregate(aggregate(rows.values[0]))


@dataclass(frozen=True)
class RangeRows:
    """The rows of one or more aligned ranges: ``values[i]`` is range i's value in a row,
    ``position`` orders the rows (linked record id, record id; constant for a cell)."""

    values: list[Any]
    position: Any
    source: Any  # FROM clause
    where: Any | None  # correlation with the current record (None: every row)
    row: Any  # the current record's FROM object (what derived tables correlate to)
    group: Any | None = None  # a list: where its aggregates may be grouped (SqlContext.groups)
    groups: Any | None = None  # SqlContext.groups: its grouped tables correlate like the record

    def aggregate(self, expression: Any) -> Any:
        """``expression`` (an aggregate over these rows) for the current record: a correlated
        scalar subquery, or — during a full recompute, where the compiler was given a
        ``groups`` collector — a column of one ``GROUP BY`` over the link for every record."""
        correlated = self.select(expression).scalar_subquery()
        if self.group is None:
            return correlated
        return self.group.column(expression, correlated)

    def select(self, *columns: Any, where: Any | None = None) -> sa.Select[Any]:
        """``SELECT columns FROM <rows> [WHERE ...]``, usable as a scalar subquery or in FROM."""
        q = sa.select(*columns).select_from(self.source)
        for condition in (self.where, where):
            if condition is not None:
                q = q.where(condition)
        return q.correlate(*correlation(self.row, self.groups))

    def numbered(self, ctx: SqlContext, *values: Any) -> Any:
        """A derived table of ``values`` (labelled v0, v1...) with their 1-based position ``i``."""
        cols = [v.label(f"v{k}") for k, v in enumerate(values)]
        i = sa.func.row_number().over(order_by=self.position).label("i")
        return self.select(*cols, i).subquery(ctx.fresh_name("nr"))


def _shape(t: Typed) -> tuple[str, ...]:
    if t.origin == "list":
        return ("list", t.link.name)
    if t.origin == "options":
        return ("options", t.field.name)
    return (t.origin,)


def check_aligned(function: str, ranges: list[Typed]) -> None:
    """Static error unless the ranges are all lists of one link, all columns, or all cells."""
    shapes = {_shape(r) for r in ranges}
    if len(shapes) > 1:
        node = ranges[-1].node
        raise FormulaTypeError(
            "type.range_shape",
            f"The ranges of {function} must line up: use lists through the same link "
            "({Link}.{A}, {Link}.{B}), or ALL() columns only, or fields of this record only",
            f"{function} 的各个区域必须一一对应：请都使用同一关联字段的列表（{{关联}}.{{A}}、{{关联}}.{{B}}），"
            "或都使用 ALL() 整列，或都使用本记录的字段",
            position=node.span.position, span=(node.span.start, node.span.end),
        )


def require_range(function: str, t: Typed, what: str = "range") -> None:
    """Static error unless ``t`` is a field, a ``{Link}.{Field}`` list or an ``ALL()`` column."""
    if not t.is_reference:
        node = t.node
        raise FormulaTypeError(
            "type.range_expected",
            f"The {what} of {function} must be a field, a {{Link}}.{{Field}} list or ALL({{Field}})",
            f"{function} 的区域参数必须是字段、{{关联}}.{{字段}} 列表或 ALL({{字段}})",
            position=node.span.position, span=(node.span.start, node.span.end),
        )


def range_rows(ctx: SqlContext, ranges: list[Typed]) -> RangeRows:
    """The rows of aligned ranges (see :func:`check_aligned`); an expression is one cell."""
    first = ranges[0]
    if first.origin == "list":
        link = first.link
        target = link.target
        group = ctx.groups.link(link) if ctx.groups is not None else None
        if group is not None:  # the link's shared aliases: its aggregates can share a GROUP BY
            tgt, jn = group.target, group.junction
        else:
            tgt = target_table(target).alias(ctx.fresh_name("lt"))
            jn = sa.table(link.junction, sa.column(link.src_column), sa.column(link.dst_column)).alias(
                ctx.fresh_name("lj")
            )
        return RangeRows(
            [ctx.stored(tgt.c[r.field.column], r.field) for r in ranges], tgt.c[target.id_column],
            jn.join(tgt, tgt.c[target.id_column] == jn.c[link.dst_column]),
            jn.c[link.src_column] == ctx.row.c[ctx.schema.id_column], ctx.row, group, ctx.groups,
        )
    if first.origin == "column":
        columns = {r.field.column for r in ranges}
        table = sa.table(ctx.schema.table, sa.column(ctx.schema.id_column), *[sa.column(c) for c in sorted(columns)])
        alias = table.alias(ctx.fresh_name("col"))
        return RangeRows([ctx.stored(alias.c[r.field.column], r.field) for r in ranges], alias.c[ctx.schema.id_column],
                         alias, None, ctx.row, None, ctx.groups)
    if first.origin == "options":  # one multi-select field: its labels in their stored order
        source, label, position = ctx.option_items(ctx.row.c[first.field.column])
        return RangeRows([label for _ in ranges], position, source, None, ctx.row, None, ctx.groups)
    # The cell's values are columns of a one-row derived table, so that aggregates over them
    # belong to the subquery (PostgreSQL assigns an aggregate of outer columns to the outer query).
    values = [ctx.row.c[r.field.column] if r.origin == "field" else ctx.compile(r).value for r in ranges]
    cell = sa.select(sa.literal(1).label("one"), *[v.label(f"c{k}") for k, v in enumerate(values)])
    one = cell.correlate(*correlation(ctx.row, ctx.groups)).subquery(ctx.fresh_name("cell"))
    return RangeRows([one.c[f"c{k}"] for k in range(len(values))], one.c.one, one, None, ctx.row, None, ctx.groups)


def correlation(row: Any, groups: Any | None) -> tuple[Any, ...]:
    """What a subquery of the current record correlates to: the record's FROM object and,
    in a full recompute, the grouped tables joined beside it (never its own FROM)."""
    return (row, *groups.tables()) if groups is not None else (row,)


def target_table(target: Any) -> Any:
    """The table of a link's target (a TableSchema) with its id and every readable column."""
    columns = sorted({f.column for f in target.fields.values()} - {target.id_column})
    return sa.table(target.table, sa.column(target.id_column), *[sa.column(c) for c in columns])


def cell_rows(ctx: SqlContext) -> RangeRows:
    """One row (a cell of the current record): selects from it may read the current record."""
    one = sa.select(sa.literal(1).label("one")).subquery(ctx.fresh_name("cell"))
    return RangeRows([], one.c.one, one, None, ctx.row, None, ctx.groups)


def py_items(ctx: Any, t: Typed) -> Callable[[Env], Any]:
    """A closure giving the elements of a range argument as a list (a cell or an expression
    is a one-element list); an expression's error is returned as is."""
    if t.origin == "options":
        return option_items(t)
    inner = ctx.compile(t)
    if t.origin in ("list", "column"):
        return inner

    def run(env: Env) -> Any:
        v = inner(env)
        return v if v.__class__ is ExcelError else [v]

    return run


def is_constant(t: Typed) -> bool:
    """Whether ``t`` reads no field (only literals, functions and the clock)."""
    return not any(isinstance(n, ast.FieldRef | ast.LinkFieldRef | ast.ColumnRef) for n in ast.walk(t.node))


def constant_value(ctx: SqlContext, t: Typed) -> Any:
    """The value of a constant expression, computed at compile time with the interpreter on the
    query's clock (the interpreter and SQL agree by contract, so this is exact)."""
    return compile_closures(t)(Env({}, today=ctx.today, now=ctx.now))  # evaluated once
