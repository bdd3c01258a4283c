"""The function registry: one :class:`FunctionSpec` per function, declared once in its
category module under ``tessera/formula/functions/``.

Two flavours of implementation:

* **eager** (most functions): declare ``params`` with a coercion kind each (number, text,
  boolean, date, datetime, any). The framework evaluates the arguments, propagates the first
  error, coerces (blank → 0 / "" / FALSE; a blank date argument gives a blank result), and then
  calls ``python(*values)`` or ``sql(ctx, *expressions)``. ``python`` may return an
  :class:`~tessera.formula.values.ExcelError`; ``sql`` returns an expression, or a
  :class:`~tessera.formula.sqlcore.SqlValue` carrying an error expression when ``may_error``.
* **special** (lazy logic, aggregates over ranges): ``build_python(ctx, args)`` returns a
  closure ``env -> value`` and ``build_sql(ctx, args)`` a SqlValue, given the typed arguments;
  ``ctx.compile(arg)`` compiles a sub-expression.

Adding a function = one ``define(FunctionSpec(...))`` call plus conformance cases in
``tests/formula/cases/<category>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tessera.formula.types import FType

__all__ = ["Param", "FunctionSpec", "REGISTRY", "define", "lookup", "all_functions"]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str = "any"  # number | text | boolean | date | datetime | any
    optional: bool = False
    default: Any = None  # value of an omitted optional argument (None: blank)
    repeat: bool = False  # this parameter repeats (variadic)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    category: str
    params: tuple[Param, ...]
    returns: FType | Callable[[list[Any]], FType]  # a type, or a rule over the typed args
    description_en: str
    description_zh: str
    python: Callable[..., Any] | None = None
    sql: Callable[..., Any] | None = None
    build_python: Callable[..., Any] | None = None
    build_sql: Callable[..., Any] | None = None
    aliases: tuple[str, ...] = ()
    may_error: bool = False  # the eager implementation can produce an error by itself
    volatile: bool = False  # reads the clock
    range_params: bool = False  # references/lists are ranges (aggregates): lists allowed

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional and not p.repeat) + (
            1 if any(p.repeat and not p.optional for p in self.params) else 0
        )

    @property
    def max_args(self) -> int | None:
        return None if any(p.repeat for p in self.params) else len(self.params)

    def param_for(self, index: int) -> Param:
        if index < len(self.params):
            return self.params[index]
        return self.params[-1]  # the repeating parameter

    @property
    def signature(self) -> str:
        return self.signature_for("en")

    def signature_for(self, language: str = "en") -> str:
        """``LEFT(text, [count])`` / ``LEFT(文本, [字符数])`` for autocomplete."""
        zh = language.lower().startswith("zh")
        parts = []
        for p in self.params:
            text = (PARAM_NAMES_ZH[p.name] if zh else p.name) + (", ..." if p.repeat else "")
            parts.append(f"[{text}]" if p.optional else text)
        return f"{self.name}({', '.join(parts)})"

    def description_for(self, language: str = "en") -> str:
        return self.description_zh if language.lower().startswith("zh") else self.description_en

    @property
    def is_eager(self) -> bool:
        return self.python is not None and self.sql is not None

    def result_type(self, args: list[Any]) -> FType:
        return self.returns(args) if callable(self.returns) else self.returns


# Chinese names of parameters, for signatures (a test requires every parameter name here).
PARAM_NAMES_ZH = {
    "number": "数值", "digits": "位数", "divisor": "除数", "power": "幂", "value": "值",
    "text": "文本", "count": "字符数", "condition": "条件", "value_if_true": "条件成立时的值",
    "value_if_false": "条件不成立时的值", "more": "更多", "expression": "表达式", "result": "结果",
    "value_if_error": "出错时的值", "logical": "逻辑值", "year": "年", "month": "月", "day": "日",
    "date": "日期",
}

REGISTRY: dict[str, FunctionSpec] = {}


def define(spec: FunctionSpec) -> FunctionSpec:
    """Register ``spec`` under its name and aliases (upper case)."""
    eager = spec.python is not None and spec.sql is not None
    special = spec.build_python is not None and spec.build_sql is not None
    if eager == special:
        raise ValueError(f"{spec.name}: give python+sql, or build_python+build_sql")
    for name in (spec.name, *spec.aliases):
        if name.upper() in REGISTRY:
            raise ValueError(f"function {name} defined twice")
        REGISTRY[name.upper()] = spec
    return spec


def lookup(name: str) -> FunctionSpec | None:
    _load()
    return REGISTRY.get(name.upper())


def all_functions() -> list[FunctionSpec]:
    """Every registered function once (aliases folded), by name."""
    _load()
    return sorted({id(s): s for s in REGISTRY.values()}.values(), key=lambda s: s.name)


def _load() -> None:
    import tessera.formula.functions  # noqa: F401  (category modules register on import)
