"""Typed tree → the source of one Python function, compiled once per formula.

The closures of :mod:`tessera.formula.interpreter` cost a Python call per node and record; here
operators, literals, field reads, eager functions and the lazy logic (IF, AND, OR, XOR, IFERROR,
IFNA, IS*, TODAY, NOW: see :func:`source_builder`) become one expression with the same
semantics, value for value: every fast path takes only values of a known class (``float``,
``str``…) and hands anything else to the same general function the closure would call, and
errors are checked in the closures' order (the first one wins; coercions pass errors through).
Any other node (aggregates, lookups…) is called as its closure from the generated code.
A subtree of constants and pure functions (categories math, text, date) is computed once, at
compile time, or, when it reads TODAY()/NOW(), once per clock value.

Every object the code uses is bound as a default argument (a local: the fastest read), every
intermediate value is a local assigned with ``:=``; a subtree nested too deeply for the
parser becomes a closure call (and interpreter.compile_python leaves trees deeper than
GENERATED_DEPTH to closures at the top).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from tessera.formula import ast
from tessera.formula.checker import Typed
from tessera.formula.interpreter import (
    Closure,
    Env,
    compile_python,
    finish_number,
    join_options,
    negate,
    percent,
    py_coercer,
    py_to_type,
)
from tessera.formula.operators import py_arith, py_compare, py_concat
from tessera.formula.types import DATE, NUMBER, TEXT, FType
from tessera.formula.values import NUM, VALUE, ExcelError, error_from_code

__all__ = ["Source", "generate", "source_builder", "SOURCE_BUILDERS"]

# A special function's source: (generator, typed arguments, typed call) -> an expression, or
# None when this call is better left to its closure.
SourceBuilder = Callable[["Source", list[Typed], Typed], "str | None"]
SOURCE_BUILDERS: dict[str, SourceBuilder] = {}

MAX_DEPTH = 60  # parentheses nested in one function (the parser stops at 200)
_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "+", "-": "-", "*": "*", "/": "/"}
# The class a coercion to a parameter kind leaves as it is (exactly that class: datetime is
# not a date here, to_date converts it).
_KEEPS = {"number": float, "text": str, "boolean": bool, "date": dt.date, "datetime": dt.datetime}
_FAST_COMPARE = {NUMBER: float, TEXT: None, DATE: dt.date}


def source_builder(*names: str) -> Callable[[SourceBuilder], SourceBuilder]:
    """Register the generated source of the special functions ``names`` (next to their
    ``build_python``, which it must match value for value)."""

    def register(fn: SourceBuilder) -> SourceBuilder:
        for name in names:
            SOURCE_BUILDERS[name.upper()] = fn
        return fn

    return register


def generate(t: Typed) -> Closure:
    """``t`` compiled to one Python function ``env -> value``."""
    src = Source()
    return src.function(src.expr(t), f"<formula {t.node.span.start}>")


_PURE_CATEGORIES = ("math", "text", "date")  # eager functions there read nothing but their arguments


def _clock_only(t: Typed) -> frozenset[str] | None:
    """The clock values (today, now) a subtree of literals, operators, pure eager functions and
    TODAY()/NOW() reads; None when it reads anything else (fields, the user…)."""
    n = t.node
    if isinstance(n, ast.Number | ast.Text | ast.Boolean | ast.ErrorLiteral | ast.Empty):
        return frozenset()
    if isinstance(n, ast.Call):
        if n.name in ("TODAY", "NOW") and not t.args:
            return frozenset({n.name.lower()})
        if t.spec is None or not t.spec.is_eager or t.spec.category not in _PURE_CATEGORIES:
            return None
    elif not isinstance(n, ast.Unary | ast.Percent | ast.Binary):
        return None
    found: frozenset[str] = frozenset()
    for a in t.args:
        sub = _clock_only(a)
        if sub is None:
            return None
        found |= sub
    return found


@lru_cache(maxsize=512)
def _code(text: str, filename: str) -> Any:
    """The compiled ``text`` (the same formula in another schema or dataset: the same text)."""
    return compile(text, filename, "exec")


def _depth(code: str) -> int:
    """Deepest parenthesis nesting of ``code`` (which holds no string literals)."""
    if code.count("(") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for ch in code:
        if ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
    return deepest


class Source:
    """The expression of a typed tree, with the objects and locals it uses."""

    def __init__(self) -> None:
        self.bound: dict[str, Any] = {}  # default-argument name -> object
        self._by_id: dict[tuple[type, Any], str] = {}
        self._names = itertools.count()
        self.reads_values = False
        self.constants: dict[str, Any] = {}  # name -> value, of literals and folded subtrees

    def function(self, body: str, filename: str) -> Closure:
        """The function returning ``body``."""
        if re.fullmatch(r"_k\d+\(env\)", body):  # one closure: no function around it
            return self.bound[body[:-5]]
        params = "".join(f", {name}={name}" for name in self.bound)
        lines = [f"def formula(env{params}):"]
        if self.reads_values:
            lines.append("    _v = env.values")
        lines.append(f"    return {body}")
        namespace = dict(self.bound)
        exec(_code("\n".join(lines) + "\n", filename), namespace)  # noqa: S102
        fn = namespace["formula"]
        fn.__tessera_source__ = "\n".join(lines)
        return fn

    # ----- names ----------------------------------------------------------------------------
    def bind(self, obj: Any) -> str:
        """A local name holding ``obj`` (constants and functions alike)."""
        if obj is None or obj is True or obj is False:
            return repr(obj)
        try:
            key: tuple[type, Any] = (type(obj), obj)
            hash(key)
        except TypeError:
            key = (type(obj), id(obj))
        name = self._by_id.get(key)
        if name is None or self.bound[name] is not obj:
            name = f"_k{next(self._names)}"
            self.bound[name] = obj
            self._by_id[key] = name
        return name

    def temp(self) -> str:
        return f"_t{next(self._names)}"

    def constant(self, value: Any) -> str:
        name = self.bind(value)
        self.constants[name] = value
        return name

    def known(self, code: str) -> tuple[bool, Any]:
        """(True, value) when ``code`` is a constant."""
        if code in ("None", "True", "False"):
            return True, {"None": None, "True": True, "False": False}[code]
        if code in self.constants:
            return True, self.constants[code]
        return False, None

    # ----- nodes ----------------------------------------------------------------------------
    def expr(self, t: Typed) -> str:
        if t.args:
            clock = _clock_only(t)
            if clock is not None:
                return self._fold(t, clock)
        code = self._node(t)
        if _depth(code) > MAX_DEPTH:
            return self.call_closure(t)
        return code

    def _fold(self, t: Typed, clock: frozenset[str]) -> str:
        """A subtree of constants and pure functions: its value, computed once (no clock) or
        once per TODAY()/NOW() value (kept with the value it was computed for)."""
        inner = Source()
        fn = inner.function(inner._node(t), f"<formula {t.node.span.start}>")
        if not clock:
            try:
                return self.constant(fn(Env({})))
            except Exception:  # noqa: BLE001  (it would fail per record too: leave it to run there)
                return self._node(t)
        cell: list[Any] = [None]  # (today, now, value), replaced whole

        def refresh(env: Env) -> Any:
            value = fn(env)
            cell[0] = (env.today, env.now, value)
            return value

        c = self.temp()
        same = [f"({c}[{i}] is env.{key} or {c}[{i}] == env.{key})"
                for i, key in enumerate(("today", "now")) if key in clock]
        return f"({c}[2] if ({c} := {self.bind(cell)}[0]) is not None and {' and '.join(same)} else {self.bind(refresh)}(env))"

    def call_closure(self, t: Typed) -> str:
        return f"{self.bind(compile_python(t, generate=False))}(env)"

    def _node(self, t: Typed) -> str:
        n = t.node
        if isinstance(n, ast.Number):
            return self.constant(float(n.value))
        if isinstance(n, ast.Text):
            return self.constant(n.value or None)
        if isinstance(n, ast.Boolean):
            return self.constant(n.value)
        if isinstance(n, ast.ErrorLiteral):
            return self.constant(error_from_code(n.code))
        if isinstance(n, ast.Empty):
            return "None"
        if isinstance(n, ast.FieldRef):
            self.reads_values = True
            read = f"_v.get({self.bind(t.field.name)})"
            return f"{self.bind(join_options)}({read})" if t.field.options else read
        if isinstance(n, ast.LinkFieldRef):
            return f"env.lists.get({self.bind((t.link.name, t.field.name))}, [])"
        if isinstance(n, ast.ColumnRef):
            return f"env.columns.get({self.bind(t.field.name)}, [])"
        if isinstance(n, ast.Unary):
            operand = self.expr(t.args[0])
            if n.op == "+":
                return operand
            v = self.temp()
            return f"(-{v} if ({v} := {operand}).__class__ is {self.bind(float)} else {self.bind(negate)}({v}))"
        if isinstance(n, ast.Percent):
            return f"{self.bind(percent)}({self.expr(t.args[0])})"
        if isinstance(n, ast.Binary):
            return self._binary(t)
        if isinstance(n, ast.Call):
            return self._call(t)
        return self.call_closure(t)

    def _binary(self, t: Typed) -> str:
        op = t.node.op
        lt, rt = t.args[0].type, t.args[1].type
        left, right = self.expr(t.args[0]), self.expr(t.args[1])
        if op == "&":  # two texts (never empty: blank is None) joined, else the general path
            return self._fast(left, right, str, "+", py_concat)
        if op in _COMPARE:
            general = py_compare(op)
            cls = _FAST_COMPARE.get(lt) if lt == rt else None
            if cls is None:  # text compares case-insensitively: the general path
                return f"{self.bind(general)}({left}, {right})"
            return self._fast(left, right, cls, _COMPARE[op], general)
        general = py_arith(op, t.type)
        if t.type == NUMBER and lt == rt == NUMBER and op in ("+", "-", "*", "/"):
            return self._arith(left, right, op, general)
        return f"{self.bind(general)}({left}, {right})"

    def _fast(self, left: str, right: str, cls: type, op: str, general: Callable[[Any, Any], Any]) -> str:
        """``left op right`` when both operands are of class ``cls``, else ``general``."""
        a, b, c, g = self.temp(), self.temp(), self.bind(cls), self.bind(general)
        (lk, lv), (rk, rv) = self.known(left), self.known(right)
        if rk and rv.__class__ is cls:
            return f"({a} {op} {right} if ({a} := {left}).__class__ is {c} else {g}({a}, {right}))"
        if lk and lv.__class__ is cls:
            return f"({left} {op} {b} if ({b} := {right}).__class__ is {c} else {g}({left}, {b}))"
        return f"({a} {op} {b} if (({a} := {left}).__class__ is {c}) & (({b} := {right}).__class__ is {c}) else {g}({a}, {b}))"

    def _arith(self, left: str, right: str, op: str, general: Callable[[Any, Any], Any]) -> str:
        """Two numbers: the operation, #NUM! when not finite (r - r is NaN for inf/NaN)."""
        a, b, r, f = self.temp(), self.temp(), self.temp(), self.bind(float)
        rk, rv = self.known(right)
        if rk and rv.__class__ is float and not (op == "/" and rv == 0.0):
            b, both = right, f"({a} := {left}).__class__ is {f}"
        else:
            both = f"(({a} := {left}).__class__ is {f}) & (({b} := {right}).__class__ is {f})"
            if op == "/":
                both += f" and {b} != 0.0"  # a zero divisor: #DIV/0! from the general path
        symbol = _ARITH[op]
        return (f"(({r} if ({r} := {a} {symbol} {b}) - {r} == 0.0 else {self.bind(NUM)}) if {both} "
                f"else {self.bind(general)}({a}, {b}))")

    def _call(self, t: Typed) -> str:
        spec = t.spec
        if not spec.is_eager:
            builder = SOURCE_BUILDERS.get(spec.name)
            code = builder(self, list(t.args), t) if builder is not None else None
            return code if code is not None else self.call_closure(t)
        values = [self.expr(a) for a in t.args]
        names = [self.temp() for _ in t.args]
        for i, a in enumerate(t.args):  # constant arguments coerced once, here
            known, v = self.known(values[i])
            if known:
                v = py_coercer(spec.param_for(i).kind, a.type)(v)
                if v.__class__ is not ExcelError:
                    names[i] = values[i] = self.constant(v)
        defaults = [self.bind(p.default) for p in spec.params[len(t.args):] if p.optional and not p.repeat]
        result = f"{self.bind(spec.python)}({', '.join([*names, *defaults])})"
        kind = t.type.kind
        if kind == "text":
            result = f"({result} or None)"
        elif kind == "number":
            r = self.temp()
            result = (f"({r} if ({r} := {result}).__class__ is {self.bind(float)} and {r} - {r} == 0.0 "
                      f"else {self.bind(finish_number)}({r}))")
        blanks = [name for i, name in enumerate(names) if spec.param_for(i).kind in ("date", "datetime")]
        if blanks:  # a blank date argument: a blank result
            result = f"(None if {' or '.join(f'{name} is None' for name in blanks)} else {result})"
        error = self.bind(ExcelError)
        for i in reversed(range(len(t.args))):  # each argument evaluated, coerced, error-checked in turn
            a, name, value = t.args[i], names[i], values[i]
            if name == value:  # a constant, already coerced
                continue
            kind = spec.param_for(i).kind
            if kind == "any" and not a.type.is_list:
                test = f"({name} := {value}).__class__ is not {error}"
            else:
                coerce = self.bind(py_coercer(kind, a.type))
                convert = f"({name} := {coerce}({name})).__class__ is not {error}"
                keeps = _KEEPS.get(kind) if not a.type.is_list else None
                if keeps is None:
                    test = f"({name} := {coerce}({value})).__class__ is not {error}"
                else:
                    test = f"({name} := {value}).__class__ is {self.bind(keeps)} or {convert}"
            result = f"({result} if {test} else {name})"
        return result

    # ----- helpers for source builders --------------------------------------------------------
    def condition(self, a: Typed) -> str:
        """A condition as TRUE, FALSE, blank (FALSE) or an error (logic._py_cond)."""
        inner = self.expr(a)
        if a.type.kind == "boolean" and not a.type.is_list and a.origin == "expr":
            return inner
        return f"{self.bind(py_coercer('boolean', a.type))}({inner})"  # coercions pass errors through

    def branch(self, a: Typed, t: FType) -> str:
        """A branch converted to the result type ``t`` (logic._py_branch)."""
        if a.type.is_list:
            return self.bind(VALUE)
        inner = self.expr(a)
        if a.type == t and (t.kind != "text" or a.origin == "expr"):
            return inner
        return f"{self.bind(py_to_type(t))}({inner})"  # conversions pass errors through

    def first_error(self, codes: list[str], then: Callable[[list[str]], str]) -> str:
        """Evaluate ``codes`` in order; the first error is the value, else ``then(names)``."""
        names = [self.temp() for _ in codes]
        result = then(names)
        error = self.bind(ExcelError)
        for code, name in reversed(list(zip(codes, names, strict=True))):
            result = f"({name} if ({name} := {code}).__class__ is {error} else {result})"
        return result

