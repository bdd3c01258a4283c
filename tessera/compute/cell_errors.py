"""Errors stored beside computed values flow into the formulas that read them.

A computed field keeps its Excel error code in ``f_<id>_err``. The formula compiler reads a
field of the current record as a plain column, so before compiling, each reference to a
computed field is swapped for a node that reads the pair (value, error code) — the typed tree
is rebuilt, nothing in the formula package changes, and the node keeps the field's type and
``origin="field"`` so functions treat it as the same cell reference.
"""

from __future__ import annotations

from dataclasses import replace

from tessera.formula import ast
from tessera.formula.checker import Typed
from tessera.formula.registry import FunctionSpec
from tessera.formula.sqlcore import SqlContext, SqlValue

__all__ = ["with_cell_errors"]


def _read_cell(ctx: SqlContext, _args: list[Typed], t: Typed) -> SqlValue:
    assert t.field is not None
    column = t.field.column
    return SqlValue(ctx.row.c[column], ctx.row.c[column + "_err"])


def _no_python(*_args: object) -> object:
    raise TypeError("computed cells are read by the SQL compiler only")


# Not registered: formulas cannot name it; the rebuilt tree carries it directly.
_CELL = FunctionSpec(
    name="CELL_WITH_ERROR", category="internal", params=(), returns=lambda args: args[0].type,
    description_en="A computed field's value with its stored error code",
    description_zh="计算字段的值及其错误代码", build_python=_no_python, build_sql=_read_cell,
)


def with_cell_errors(typed: Typed, computed_columns: frozenset[str]) -> Typed:
    """``typed`` with each current-record reference to a column in ``computed_columns`` read
    together with its error column."""
    node = typed.node
    if isinstance(node, ast.FieldRef) and typed.field is not None and typed.field.column in computed_columns:
        call = ast.Call(node.span, "CELL_WITH_ERROR", (node,), node.span)
        return replace(typed, node=call, spec=_CELL)
    if not typed.args:
        return typed
    return replace(typed, args=tuple(with_cell_errors(a, computed_columns) for a in typed.args))
