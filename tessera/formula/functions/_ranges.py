"""Plumbing for functions that take ranges: a direct field reference is a cell, a
``{Link}.{Field}`` list and an ``ALL({Field})`` column are ranges (FORMULA.md "Fields are
cells"). Lists compile to correlated subqueries over the junction and target tables, columns to
an uncorrelated subquery over the whole table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.sqlcore import SqlContext

__all__ = ["range_select", "element_type"]


def element_type(t: Typed) -> str:
    return t.type.kind


def range_select(ctx: SqlContext, t: Typed, aggregate: Callable[[Any], Any]) -> Any:
    """A scalar subquery computing ``aggregate(column)`` over the list or column ``t``."""
    column = t.field.column
    if t.origin == "list":
        link = t.link
        target = link.target
        tgt = sa.table(target.table, sa.column(target.id_column), sa.column(column)).alias(ctx.fresh_name("lt"))
        jn = sa.table(link.junction, sa.column(link.src_column), sa.column(link.dst_column)).alias(
            ctx.fresh_name("lj")
        )
        return (
            sa.select(aggregate(tgt.c[column]))
            .select_from(jn.join(tgt, tgt.c[target.id_column] == jn.c[link.dst_column]))
            .where(jn.c[link.src_column] == ctx.row.c[ctx.schema.id_column])
            .scalar_subquery()
        )
    table = sa.table(ctx.schema.table, sa.column(column)).alias(ctx.fresh_name("col"))
    return sa.select(aggregate(table.c[column])).scalar_subquery()
