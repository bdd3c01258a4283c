"""Typed tree → SQLAlchemy Core expressions: a (value, error) pair per node (see sqlcore)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.formula import ast
from tessera.formula.checker import Typed
from tessera.formula.operators import sql_arith, sql_checked, sql_compare, sql_concat
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, error_literal, first_error
from tessera.formula.types import FType

__all__ = ["compile_sql", "sql_to_type", "sql_literal"]


def sql_literal(ctx: SqlContext, value: Any) -> Any:
    if value is None:
        return sa.null()
    if isinstance(value, bool):
        return ctx.boolean(value)
    if isinstance(value, int | float):
        return ctx.number(value)
    if isinstance(value, str):
        return ctx.text(value)
    return ctx.date(value)


def sql_to_type(ctx: SqlContext, sv: SqlValue, src: FType, dst: FType) -> SqlValue:
    """Convert a branch to the formula's common result type (mirrors interpreter.py_to_type)."""
    if src.kind in ("blank", "error"):
        return SqlValue(ctx.null(dst), sv.error)
    if src.kind == dst.kind:
        return sv
    if dst.kind == "text":
        t = convert(ctx, sv, src, "text")
        return SqlValue(ctx.nonempty(t.value), t.error)
    if dst.kind == "number" and src.kind == "boolean":
        return SqlValue(sa.case((sv.value.is_(None), None), (sv.value, 1.0), else_=0.0), sv.error)
    if dst.kind == "datetime" and src.kind == "date":
        return SqlValue(ctx.as_datetime(sv.value), sv.error)
    return sv


def compile_sql(ctx: SqlContext, t: Typed) -> SqlValue:
    if ctx.compile is None:
        ctx.compile = lambda typed: compile_sql(ctx, typed)
    n = t.node
    if isinstance(n, ast.Number):
        return SqlValue(ctx.number(n.value))
    if isinstance(n, ast.Text):
        return SqlValue(ctx.text(n.value) if n.value else ctx.null(FType("text")))
    if isinstance(n, ast.Boolean):
        return SqlValue(ctx.boolean(n.value))
    if isinstance(n, ast.ErrorLiteral):
        return SqlValue(sa.null(), error_literal(n.code))
    if isinstance(n, ast.Empty):
        return SqlValue(sa.null())
    if isinstance(n, ast.FieldRef):
        # the current record's columns are already in formula representation (schema_adapter),
        # except a multi-select, kept as its JSON array for the range functions
        column = ctx.row.c[t.field.column]
        return SqlValue(ctx.options_text(column) if t.field.options else column)
    if isinstance(n, ast.LinkFieldRef | ast.ColumnRef):
        # A list only means something to functions that take ranges; anywhere else a scalar
        # is expected and the list is #VALUE! (convert() does that).
        return SqlValue(sa.null())
    if isinstance(n, ast.Unary):
        operand = compile_sql(ctx, t.args[0])
        if n.op == "+":
            return operand
        num = convert(ctx, operand, t.args[0].type, "number")
        return SqlValue(-num.value, num.error)
    if isinstance(n, ast.Percent):
        num = convert(ctx, compile_sql(ctx, t.args[0]), t.args[0].type, "number")
        if ctx.pg:  # PostgreSQL raises where a tiny number divided by 100 rounds to 0
            value, error = sql_checked(ctx, "/", num.value, ctx.number(100.0))
            return SqlValue(value, first_error(num.error, error))
        return SqlValue(num.value / 100.0, num.error)
    if isinstance(n, ast.Binary):
        left, right = compile_sql(ctx, t.args[0]), compile_sql(ctx, t.args[1])
        lt, rt = t.args[0].type, t.args[1].type
        if n.op == "&":
            return sql_concat(ctx, left, lt, right, rt)
        if n.op in ("=", "<>", "<", "<=", ">", ">="):
            return sql_compare(ctx, n.op, left, lt, right, rt)
        return sql_arith(ctx, n.op, left, lt, right, rt, t.type)
    if isinstance(n, ast.Call):
        return _call(ctx, t)
    raise TypeError(f"cannot compile {n!r}")


def _call(ctx: SqlContext, t: Typed) -> SqlValue:
    spec = t.spec
    if not spec.is_eager:
        return spec.build_sql(ctx, list(t.args), t)
    converted = [
        convert(ctx, compile_sql(ctx, a), a.type, spec.param_for(i).kind) for i, a in enumerate(t.args)
    ]
    defaults = [sql_literal(ctx, p.default) for p in spec.params[len(t.args):] if p.optional and not p.repeat]
    out = spec.sql(ctx, *[c.value for c in converted], *defaults)
    error = first_error(*[c.error for c in converted])
    if isinstance(out, SqlValue):
        value, error = out.value, first_error(error, out.error)
    else:
        value = out
    if t.type.kind == "text":
        value = ctx.nonempty(value)
    return SqlValue(value, error)
