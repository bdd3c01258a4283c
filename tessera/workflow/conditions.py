"""Automation conditions: formulas compiled to SQL and evaluated set-wise against the real table.

``true_ids`` evaluates a condition for a set of records (or all of them) in one query.
``clock_boundary`` recognises conditions that the clock alone can make true —
``TODAY() - {Date} >= N`` (or ``>``, or ``{Date} <= TODAY() - N``), alone or inside a top-level
``AND`` — so the daily sweep can look up, on the date column's index, only the records whose
date crossed the boundary since the last sweep, instead of evaluating every record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.errors import TesseraError
from tessera.formula import FormulaError
from tessera.formula import ast as A
from tessera.formula.checker import check
from tessera.formula.parser import parse
from tessera.formula.sqlcompile import compile_sql
from tessera.formula.sqlcore import SqlContext, convert
from tessera.formula.types import FType
from tessera.schema.catalog import TableInfo, sa_table
from tessera.workflow.schema_adapter import formula_schema

__all__ = ["ConditionError", "Boundary", "condition_clause", "true_ids", "clock_boundary",
           "check_condition"]


class ConditionError(TesseraError):
    def __init__(self, formula: str, error: FormulaError | str) -> None:
        text = str(error)
        super().__init__(
            f"The condition {formula!r} cannot be used: {text}. Fix the formula and save again.",
            f"条件 {formula!r} 无法使用：{text}。请修改公式后重新保存。",
            code="workflow.condition", details={"formula": formula})


@dataclass(frozen=True)
class Boundary:
    """``{field} <= today - days`` is the clock-driven part; ``rest`` the other AND terms."""

    field: str
    days: int
    rest: tuple[A.Node, ...]


def check_condition(conn: Connection, table: TableInfo, formula: str) -> None:
    """Raise ConditionError when ``formula`` does not parse or type-check on ``table``."""
    try:
        check(parse(formula), formula_schema(conn, table))
    except FormulaError as exc:
        raise ConditionError(formula, exc) from exc


# (formula, day, dialect, id(table), id(t)) → (table, t, clause); the objects are kept so an
# id reused by a later object can never match
_CLAUSES: dict[tuple[Any, ...], tuple[TableInfo, Any, Any]] = {}
_CLAUSES_MAX = 512


def condition_clause(conn: Connection, table: TableInfo, node: A.Node | str, t: Any,
                     today: dt.date) -> Any:
    """A SQL boolean clause: the formula is TRUE (errors and blanks count as false).

    Compiled clauses are cached per formula, day and table object: the catalog serves the
    same ``TableInfo`` and ``sa_table`` objects while the schema is unchanged and new ones
    after any change, so a hit is always current. A run's gate compiles its condition
    once per worker and day instead of once per run (compiling costs about as much as the
    query)."""
    key = (node, today, conn.dialect.name, id(table), id(t))
    hit = _CLAUSES.get(key)
    if hit is not None and hit[0] is table and hit[1] is t:
        return hit[2]
    clause = _compile_clause(conn, table, node, t, today)
    if len(_CLAUSES) >= _CLAUSES_MAX:
        _CLAUSES.clear()
    _CLAUSES[key] = (table, t, clause)
    return clause


def _compile_clause(conn: Connection, table: TableInfo, node: A.Node | str, t: Any,
                    today: dt.date) -> Any:
    source = node if isinstance(node, str) else None
    schema = formula_schema(conn, table)
    try:
        tree = parse(node) if isinstance(node, str) else node
        typed = check(tree, schema)
    except FormulaError as exc:
        raise ConditionError(source or "?", exc) from exc
    now = dt.datetime(today.year, today.month, today.day)
    ctx = SqlContext(conn.dialect.name, schema, today, now, t)
    compiled = compile_sql(ctx, typed)
    if typed.type.kind != "boolean":
        compiled = convert(ctx, compiled, FType(typed.type.kind), "boolean")
    value = sa.func.coalesce(compiled.value, sa.false())
    truth = value == sa.true() if conn.dialect.name == "postgresql" else value == 1
    if compiled.error is not None:
        return sa.and_(compiled.error.is_(None), truth)
    return truth


def true_ids(conn: Connection, table: TableInfo, formula: str, *, today: dt.date,
             ids: Sequence[int] | None = None) -> set[int]:
    """Ids of the records (among ``ids``, or all) for which ``formula`` is TRUE."""
    t = sa_table(table)
    clause = condition_clause(conn, table, formula, t, today)
    if ids is None:
        return set(conn.execute(sa.select(t.c.id).where(clause)).scalars())
    found: set[int] = set()
    id_list = list(ids)
    for start in range(0, len(id_list), 900):
        chunk = id_list[start:start + 900]
        found |= set(conn.execute(sa.select(t.c.id).where(t.c.id.in_(chunk), clause)).scalars())
    return found


# --- clock boundaries -----------------------------------------------------------------------
def _is_today(node: A.Node) -> bool:
    return isinstance(node, A.Call) and node.name == "TODAY" and not node.args


def _days_since(node: A.Node) -> str | None:
    """The date field F when ``node`` is ``TODAY() - {F}``."""
    if isinstance(node, A.Binary) and node.op == "-" and _is_today(node.left) \
            and isinstance(node.right, A.FieldRef):
        return node.right.name
    return None


def _number(node: A.Node) -> float | None:
    if isinstance(node, A.Number):
        return node.value
    return None


def _term_boundary(node: A.Node, expand: dict[str, A.Node]) -> tuple[str, int] | None:
    """(date field, N) when ``node`` is true exactly when ``{date} <= today - N``."""
    if not isinstance(node, A.Binary):
        return None
    left, op, right = node.left, node.op, node.right
    if op in ("<=", "<") and _number(left) is not None:       # N <= TODAY()-{F}
        left, right, op = right, left, {"<=": ">=", "<": ">"}[op]
    if op in (">=", ">"):
        if isinstance(left, A.FieldRef) and left.name.strip() in expand:
            left = expand[left.name.strip()]
        field, n = _days_since(left), _number(right)
        if field is not None and n is not None and n == int(n):
            return field, int(n) + (1 if op == ">" else 0)
    if op in ("<=", "<") and isinstance(left, A.FieldRef) and isinstance(right, A.Binary) \
            and right.op == "-" and _is_today(right.left) and _number(right.right) is not None:
        n = _number(right.right)
        if n is not None and n == int(n):                      # {F} <= TODAY() - N
            return left.name, int(n) + (1 if op == "<" else 0)
    return None


def clock_boundary(table: TableInfo, formula: str) -> Boundary | None:
    """A :class:`Boundary` when ``formula``'s clock-driven part is a date threshold."""
    try:
        tree = parse(formula)
    except FormulaError:
        return None
    expand: dict[str, A.Node] = {}
    for f in table.fields:  # formula fields defined as TODAY() - {Date} expand to their formula
        text = f.options.get("formula") if f.type == "formula" else None
        if isinstance(text, str):
            try:
                expand[f.name.strip()] = parse(text)
            except FormulaError:
                continue
    terms = list(tree.args) if isinstance(tree, A.Call) and tree.name == "AND" else [tree]
    for i, term in enumerate(terms):
        found = _term_boundary(term, expand)
        if found is None:
            continue
        field = next((f for f in table.fields if f.name.strip() == found[0].strip()), None)
        if field is None or field.type != "date" or field.column is None:
            continue
        return Boundary(field.name, found[1], tuple(terms[:i] + terms[i + 1:]))
    return None
