"""Typed tree → nested Python closures, built once per formula (no tree walk per record).

A closure takes an :class:`Env` (the record's values, link lists, whole columns and the clock)
and returns a runtime value (see :mod:`tessera.formula.values`).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tessera.formula import ast
from tessera.formula.checker import Typed
from tessera.formula.operators import py_arith, py_compare, py_concat
from tessera.formula.types import NUMBER, FType
from tessera.formula.values import (
    NUM,
    VALUE,
    ExcelError,
    check_number,
    error_from_code,
    to_boolean,
    to_date,
    to_datetime,
    to_number,
    to_text,
)

__all__ = ["Env", "Closure", "compile_python", "compile_closures", "PyContext", "py_coercer", "py_to_type",
           "join_options", "option_items", "negate", "percent", "finish_number"]

Closure = Callable[["Env"], Any]


@dataclass(slots=True)
class Env:
    values: dict[str, Any]  # field name -> value of this record
    lists: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # (link, field) -> list
    columns: dict[str, list[Any]] = field(default_factory=dict)  # field -> whole column
    today: dt.date = dt.date(2000, 1, 1)
    now: dt.datetime = dt.datetime(2000, 1, 1)


def join_options(labels: list[str] | None) -> str | None:
    """A multi-select's value where one value is expected: its labels joined with ", "."""
    return ", ".join(labels) if labels else None


def option_items(t: Typed) -> Closure:
    """A multi-select's labels as a list (range functions: COUNTA, TEXTJOIN, COUNTIFS...)."""
    name = t.field.name
    return lambda env: env.values.get(name) or []


def _identity(v: Any) -> Any:
    return v


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "number": to_number, "text": to_text, "boolean": to_boolean,
    "date": to_date, "datetime": to_datetime, "any": _identity,
}


def py_coercer(kind: str, arg_type: FType) -> Callable[[Any], Any]:
    """The coercion of an argument of static type ``arg_type`` to a parameter ``kind``."""
    if arg_type.is_list:
        return lambda v: v if v.__class__ is ExcelError else VALUE
    return _COERCERS[kind]


def py_to_type(t: FType) -> Callable[[Any], Any]:
    """Conversion of a branch value to the formula's common result type."""
    if t.kind == "text":
        return lambda v: None if v is None else (to_text(v) or None)
    if t.kind == "number":
        return lambda v: v if v is None or v.__class__ is not bool else (1.0 if v else 0.0)
    if t.kind == "datetime":
        return to_datetime
    return _identity


class PyContext:
    """What special functions get: ``compile(typed)`` for their arguments."""

    def compile(self, typed: Typed) -> Closure:
        return compile_python(typed)


CONTEXT = PyContext()


_GENERATE: ContextVar[bool] = ContextVar("tessera_formula_generate", default=True)
GENERATED_DEPTH = 40  # deeper trees: closures at the top, generated source for their subtrees


def compile_python(t: Typed, generate: bool = True) -> Closure:
    """``t`` as a function of an :class:`Env`: generated Python source where the tree allows
    (:mod:`tessera.formula.pysource`), else (and for leaves) a closure whose arguments are
    compiled by this function again. ``generate=False``: this node as a closure."""
    if generate and _GENERATE.get() and (t.args or isinstance(t.node, ast.Call)) and not _deeper(t, GENERATED_DEPTH):
        from tessera.formula.pysource import generate as generate_source  # imports this module

        return generate_source(t)
    n = t.node
    if isinstance(n, ast.Number):
        x = float(n.value)
        return lambda env: x
    if isinstance(n, ast.Text):
        s = n.value or None
        return lambda env: s
    if isinstance(n, ast.Boolean):
        b = n.value
        return lambda env: b
    if isinstance(n, ast.ErrorLiteral):
        e = error_from_code(n.code)
        return lambda env: e
    if isinstance(n, ast.Empty):
        return lambda env: None
    if isinstance(n, ast.FieldRef):
        name = t.field.name
        if t.field.options:  # a multi-select read as a value: its labels joined with ", "
            return lambda env: join_options(env.values.get(name))
        return lambda env: env.values.get(name)
    if isinstance(n, ast.LinkFieldRef):
        key = (t.link.name, t.field.name)
        return lambda env: env.lists.get(key, [])
    if isinstance(n, ast.ColumnRef):
        col = t.field.name
        return lambda env: env.columns.get(col, [])
    if isinstance(n, ast.Unary):
        operand = compile_python(t.args[0])
        if n.op == "+":
            return operand
        return lambda env: negate(operand(env))
    if isinstance(n, ast.Percent):
        operand = compile_python(t.args[0])
        return lambda env: percent(operand(env))
    if isinstance(n, ast.Binary):
        return _binary(t)
    if isinstance(n, ast.Call):
        return _call(t)
    raise TypeError(f"cannot interpret {n!r}")


def _deeper(t: Typed, limit: int) -> bool:
    """Whether the tree under ``t`` has more than ``limit`` levels (without recursion)."""
    stack = [(t, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        stack.extend((a, level + 1) for a in node.args)
    return False


def compile_closures(t: Typed) -> Closure:
    """``t`` as nested closures only (no generated source): the reference the generated code
    is tested against, and the bench's comparison."""
    token = _GENERATE.set(False)
    try:
        return compile_python(t, generate=False)
    finally:
        _GENERATE.reset(token)


def negate(v: Any) -> Any:
    v = to_number(v)
    return v if v.__class__ is ExcelError else -v


def percent(v: Any) -> Any:
    v = to_number(v)
    return v if v.__class__ is ExcelError else v / 100


def _binary(t: Typed) -> Closure:
    op = t.node.op
    left, right = compile_python(t.args[0]), compile_python(t.args[1])
    if op == "&":
        fn = py_concat
    elif op in ("=", "<>", "<", "<=", ">", ">="):
        fn = py_compare(op)
        if t.args[0].type == t.args[1].type == NUMBER:
            if t.args[0].origin == "field" and isinstance(t.args[1].node, ast.Number):
                return _field_vs_constant(t.args[0].field.name, float(t.args[1].node.value), _FAST_OPS[op], fn)
            return _fast(left, right, _FAST_OPS[op], fn, check=False)
    else:
        fn = py_arith(op, t.type)
        if op in ("+", "-", "*") and t.type == NUMBER and t.args[0].type == t.args[1].type == NUMBER:
            return _fast(left, right, _FAST_OPS[op], fn, check=True)

    # fn propagates the operands' errors: the left one (or its coercion error) first.
    return lambda env: fn(left(env), right(env))


_FAST_OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "=": operator.eq, "<>": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _fast(left: Closure, right: Closure, op: Callable[[Any, Any], Any], general: Callable[[Any, Any], Any],
          check: bool) -> Closure:
    """Two non-blank numbers take the direct path; anything else the general one."""
    if check:
        def arith(env: Env) -> Any:
            a, b = left(env), right(env)
            if a.__class__ is float and b.__class__ is float:
                r = op(a, b)
                return r if r - r == 0.0 else NUM  # r - r is NaN for inf/NaN
            return general(a, b)

        return arith

    def compare(env: Env) -> Any:
        a, b = left(env), right(env)
        if a.__class__ is float and b.__class__ is float:
            return op(a, b)
        return general(a, b)

    return compare


def _field_vs_constant(name: str, k: float, op: Callable[[Any, Any], Any],
                       general: Callable[[Any, Any], Any]) -> Closure:
    """``{Field} > 30000``, the commonest condition: one dictionary read and one comparison."""

    def compare(env: Env) -> Any:
        a = env.values.get(name)
        if a.__class__ is float:
            return op(a, k)
        return general(a, k)

    return compare


def _call(t: Typed) -> Closure:
    spec = t.spec
    if not spec.is_eager:
        return spec.build_python(CONTEXT, list(t.args), t)
    closures = [compile_python(a) for a in t.args]
    coercers = [py_coercer(spec.param_for(i).kind, a.type) for i, a in enumerate(t.args)]
    blank_result = [spec.param_for(i).kind in ("date", "datetime") for i in range(len(t.args))]
    defaults = [p.default for p in spec.params[len(t.args):] if p.optional and not p.repeat]
    fn = spec.python
    finish = _finisher(t.type)
    pairs = list(zip(closures, coercers, blank_result, strict=True))

    def call(env: Env) -> Any:
        values = []
        blank = False
        for closure, coerce, blank_gives_blank in pairs:
            v = closure(env)
            if v.__class__ is ExcelError:
                return v
            v = coerce(v)
            if v.__class__ is ExcelError:
                return v
            if v is None and blank_gives_blank:
                blank = True
            values.append(v)
        if blank:
            return None
        return finish(fn(*values, *defaults))

    return call


def finish_number(r: Any) -> Any:
    """An eager function's number result: blank and errors as they are, else a finite float."""
    if r is None or r.__class__ is ExcelError:
        return r
    return check_number(float(r))


def _finisher(t: FType) -> Callable[[Any], Any]:
    if t.kind == "text":
        return lambda r: r or None
    if t.kind == "number":
        return finish_number
    return _identity
