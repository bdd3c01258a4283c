"""Logic: IF, IFS, SWITCH, AND, OR, NOT, XOR, IFERROR, IFNA, the IS* tests, NA, TRUE, FALSE,
BLANK. Branching functions are lazy: only the chosen branch's error matters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed, common_type
from tessera.formula.errors import FormulaReferenceError
from tessera.formula.functions._ranges import range_select
from tessera.formula.interpreter import Env, py_coercer, py_to_type
from tessera.formula.operators import py_compare, sql_compare
from tessera.formula.pysource import Source, source_builder
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcompile import sql_to_type
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, error_literal, first_error
from tessera.formula.types import BLANK, BOOLEAN, ERROR, FType
from tessera.formula.values import NA, VALUE, ExcelError, to_boolean

F = sa.func


def _case_error(branches: list[tuple[Any, Any]], else_error: Any) -> Any:
    """CASE over (condition, error) pairs; None when no branch can fail."""
    if all(e is None for _, e in branches) and else_error is None:
        return None
    whens = [(c, e if e is not None else sa.null()) for c, e in branches]
    return sa.case(*whens, else_=else_error if else_error is not None else sa.null())


def _cond(ctx: SqlContext, a: Typed) -> SqlValue:
    return convert(ctx, ctx.compile(a), a.type, "boolean")


def _py_cond(ctx: Any, a: Typed) -> Callable[[Env], Any]:
    inner, coerce = ctx.compile(a), py_coercer("boolean", a.type)
    if a.type == BOOLEAN and a.origin == "expr":
        return inner  # callers treat a blank (None) as FALSE

    def run(env: Env) -> Any:
        v = inner(env)
        return v if v.__class__ is ExcelError else coerce(v)

    return run


def _py_branch(ctx: Any, a: Typed, t: FType) -> Callable[[Env], Any]:
    inner, to_type = ctx.compile(a), py_to_type(t)
    if a.type.is_list:
        return lambda env: VALUE
    if a.type == t and (t.kind != "text" or a.origin == "expr"):
        return inner  # already the result type (computed text is non-empty text or blank)

    def run(env: Env) -> Any:
        v = inner(env)
        return v if v.__class__ is ExcelError else to_type(v)

    return run


def _sql_branch(ctx: SqlContext, a: Typed, t: FType) -> SqlValue:
    return sql_to_type(ctx, ctx.compile(a), a.type, t)


def _branches_type(indices: Callable[[int], list[int]]) -> Callable[[list[Typed]], FType]:
    def rule(args: list[Typed]) -> FType:
        return common_type([args[i] for i in indices(len(args))])

    return rule


# ----- IF -------------------------------------------------------------------------------------


def _if_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    cond = _py_cond(ctx, args[0])
    then = _py_branch(ctx, args[1], t.type)
    other = _py_branch(ctx, args[2], t.type) if len(args) > 2 else (lambda env: None)

    def run(env: Env) -> Any:
        c = cond(env)
        if c is True:
            return then(env)
        if c is False or c is None:
            return other(env)
        return c  # an error

    return run


@source_builder("IF")
def _if_source(src: Source, args: list[Typed], t: Typed) -> str:
    c = src.temp()
    cond = src.condition(args[0])
    then = src.branch(args[1], t.type)
    other = src.branch(args[2], t.type) if len(args) > 2 else "None"
    return f"({then} if ({c} := {cond}) is True else ({other} if {c} is False or {c} is None else {c}))"


def _if_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    c = _cond(ctx, args[0])
    a = _sql_branch(ctx, args[1], t.type)
    b = _sql_branch(ctx, args[2], t.type) if len(args) > 2 else SqlValue(ctx.null(t.type))
    value = sa.case((c.value, a.value), else_=b.value)
    branches = [(c.error.is_not(None), c.error)] if c.error is not None else []
    return SqlValue(value, _case_error([*branches, (c.value, a.error)], b.error))


define(FunctionSpec(
    "IF", "logic",
    (Param("condition", "boolean"), Param("value_if_true"), Param("value_if_false", optional=True)),
    _branches_type(lambda n: list(range(1, n))),
    "One value when the condition is TRUE, another (blank if omitted) when FALSE.",
    "条件为 TRUE 时返回一个值，否则返回另一个值（省略时为空）。",
    build_python=_if_python, build_sql=_if_sql,
))


# ----- IFS ------------------------------------------------------------------------------------


def _ifs_type(args: list[Typed]) -> FType:
    if len(args) % 2:
        last = args[-1].node
        raise FormulaReferenceError(
            "reference.arity", "IFS takes pairs of condition, value: the last value is missing",
            "IFS 的参数应成对出现（条件, 值）：缺少最后一个值",
            position=last.span.position, span=(last.span.start, last.span.end),
        )
    return common_type(args[1::2])


def _ifs_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    pairs = [(_py_cond(ctx, args[i]), _py_branch(ctx, args[i + 1], t.type)) for i in range(0, len(args), 2)]

    def run(env: Env) -> Any:
        for cond, value in pairs:
            c = cond(env)
            if c.__class__ is ExcelError:
                return c
            if c:
                return value(env)
        return NA

    return run


def _ifs_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    whens, errors = [], []
    for i in range(0, len(args), 2):
        c = _cond(ctx, args[i])
        v = _sql_branch(ctx, args[i + 1], t.type)
        if c.error is not None:
            whens.append((c.error.is_not(None), sa.null()))
            errors.append((c.error.is_not(None), c.error))
        whens.append((c.value, v.value))
        errors.append((c.value, v.error))
    return SqlValue(sa.case(*whens, else_=ctx.null(t.type)), _case_error(errors, error_literal("#N/A")))


define(FunctionSpec(
    "IFS", "logic", (Param("condition", "boolean"), Param("value"), Param("more", repeat=True, optional=True)),
    _ifs_type, "The value of the first TRUE condition; #N/A when none is TRUE.",
    "返回第一个为 TRUE 的条件对应的值；都不成立时返回 #N/A。",
    build_python=_ifs_python, build_sql=_ifs_sql,
))


# ----- SWITCH ---------------------------------------------------------------------------------


def _switch_type(args: list[Typed]) -> FType:
    results = [args[i] for i in range(2, len(args), 2)]
    if len(args) % 2 == 0:
        results.append(args[-1])
    return common_type(results)


def _switch_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    subject = ctx.compile(args[0])
    equal = py_compare("=")
    n = len(args)
    cases = [(ctx.compile(args[i]), _py_branch(ctx, args[i + 1], t.type)) for i in range(1, n - 1, 2)]
    default = _py_branch(ctx, args[-1], t.type) if n % 2 == 0 else (lambda env: NA)
    if args[0].type.is_list:
        return lambda env: VALUE

    def run(env: Env) -> Any:
        s = subject(env)
        if s.__class__ is ExcelError:
            return s
        for match, value in cases:
            m = equal(s, match(env))
            if m.__class__ is ExcelError:
                return m
            if m:
                return value(env)
        return default(env)

    return run


def _switch_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    subject = ctx.compile(args[0])
    n = len(args)
    whens, errors = [], []
    if subject.error is not None:
        whens.append((subject.error.is_not(None), sa.null()))
        errors.append((subject.error.is_not(None), subject.error))
    for i in range(1, n - 1, 2):
        m = sql_compare(ctx, "=", subject, args[0].type, ctx.compile(args[i]), args[i].type)
        v = _sql_branch(ctx, args[i + 1], t.type)
        if m.error is not None:
            whens.append((m.error.is_not(None), sa.null()))
            errors.append((m.error.is_not(None), m.error))
        whens.append((m.value, v.value))
        errors.append((m.value, v.error))
    default = _sql_branch(ctx, args[-1], t.type) if n % 2 == 0 else SqlValue(ctx.null(t.type), error_literal("#N/A"))
    if args[0].type.is_list:
        return SqlValue(ctx.null(t.type), error_literal("#VALUE!"))
    return SqlValue(sa.case(*whens, else_=default.value), _case_error(errors, default.error))


define(FunctionSpec(
    "SWITCH", "logic",
    (Param("expression"), Param("value"), Param("result"), Param("more", repeat=True, optional=True)),
    _switch_type, "The result paired with the first value equal to the expression, else the default (or #N/A).",
    "返回与表达式相等的第一个值所对应的结果，否则返回默认值（或 #N/A）。",
    build_python=_switch_python, build_sql=_switch_sql,
))


# ----- IFERROR / IFNA -------------------------------------------------------------------------


def _catcher(only_na: bool) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def build_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        value = _py_branch(ctx, args[0], t.type)
        fallback = _py_branch(ctx, args[1], t.type)

        def run(env: Env) -> Any:
            v = value(env)
            if v.__class__ is ExcelError and (not only_na or v == NA):
                return fallback(env)
            return v

        return run

    def build_source(src: Source, args: list[Typed], t: Typed) -> str:
        v = src.temp()
        value, fallback = src.branch(args[0], t.type), src.branch(args[1], t.type)
        caught = f"({v} := {value}).__class__ is {src.bind(ExcelError)}"
        if only_na:
            caught += f" and {v} == {src.bind(NA)}"
        return f"({fallback} if {caught} else {v})"

    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        v = _sql_branch(ctx, args[0], t.type)
        alt = _sql_branch(ctx, args[1], t.type)
        if v.error is None:
            return v
        caught = v.error == "#N/A" if only_na else v.error.is_not(None)
        value = sa.case((caught, alt.value), else_=v.value)
        error = sa.case((caught, alt.error if alt.error is not None else sa.null()), else_=v.error)
        return SqlValue(value, error)

    return build_python, build_sql, build_source


for _name, _only_na, _en, _zh in (
    ("IFERROR", False, "The value, or the fallback when the value is any error.", "值为错误时返回备用值，否则返回该值。"),
    ("IFNA", True, "The value, or the fallback when the value is #N/A.", "值为 #N/A 时返回备用值，否则返回该值。"),
):
    _py, _sql, _source = _catcher(_only_na)
    define(FunctionSpec(
        _name, "logic", (Param("value"), Param("value_if_error")), _branches_type(lambda n: [0, 1]),
        _en, _zh, build_python=_py, build_sql=_sql,
    ))
    source_builder(_name)(_source)


# ----- AND / OR / XOR -------------------------------------------------------------------------
# References and lists skip blanks and text; other arguments are coerced to TRUE/FALSE.
# Nothing left to judge gives #VALUE! (Excel).


def _logical_booleans(combine: str, closures: list[Callable[[Env], Any]]) -> Callable[[Env], Any]:
    """AND/OR/XOR of computed booleans (comparisons, IS* tests…): each is TRUE, FALSE, blank
    (FALSE) or an error, so no list is built; every argument is still evaluated, in order, so
    that the first error wins as in the general path."""

    def run(env: Env) -> Any:
        trues = 0
        for closure in closures:
            v = closure(env)
            if v is True:
                trues += 1
            elif v.__class__ is ExcelError:
                return v
        if combine == "and":
            return trues == len(closures)
        if combine == "or":
            return trues > 0
        return trues % 2 == 1

    if combine != "and" or len(closures) != 2:
        return run
    first, second = closures

    def and2(env: Env) -> Any:
        a = first(env)
        if a.__class__ is ExcelError:
            return a
        b = second(env)
        if b.__class__ is ExcelError:
            return b
        return a is True and b is True

    return and2


def _logical_python(combine: str) -> Callable[..., Any]:
    def build(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        if all(a.origin == "expr" and a.type == BOOLEAN for a in args):
            return _logical_booleans(combine, [ctx.compile(a) for a in args])
        parts = [(ctx.compile(a), a.origin) for a in args]

        def run(env: Env) -> Any:
            truths: list[bool] = []
            for closure, origin in parts:
                v = closure(env)
                if v.__class__ is ExcelError:
                    return v
                items = v if origin in ("list", "column") else [v]
                for item in items:
                    if origin != "expr" and (item is None or isinstance(item, str)):
                        continue
                    b = to_boolean(item) if not isinstance(item, list) else VALUE
                    if b.__class__ is ExcelError:
                        return b
                    truths.append(b)
            if not truths:
                return VALUE
            if combine == "and":
                return all(truths)
            if combine == "or":
                return any(truths)
            return sum(truths) % 2 == 1

        return run

    return build


def _logical_source(combine: str) -> Callable[..., str | None]:
    """AND/OR/XOR of computed booleans as source (_logical_booleans); other arguments: None."""

    def build(src: Source, args: list[Typed], t: Typed) -> str | None:
        if not all(a.origin == "expr" and a.type == BOOLEAN for a in args):
            return None

        def combined(names: list[str]) -> str:
            trues = [f"{n} is True" for n in names]
            if combine == "and":
                return "(" + " and ".join(trues) + ")"
            if combine == "or":
                return "(" + " or ".join(trues) + ")"
            return "((" + ") + (".join(trues) + ")) % 2 == 1"

        return src.first_error([src.expr(a) for a in args], combined)

    return build


def _logical_sql(combine: str) -> Callable[..., SqlValue]:
    def build(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        present: list[Any] = []  # how many values the argument contributes
        trues: list[Any] = []  # how many of them are TRUE
        errors: list[Any] = []
        for a in args:
            if a.origin == "expr":
                b = convert(ctx, ctx.compile(a), a.type, "boolean")
                present.append(sa.literal(1))
                trues.append(sa.case((b.value, 1), else_=0))
                errors.append(b.error)
            elif a.type.kind in ("text", "blank", "error"):
                continue
            elif a.origin == "field":
                sv = ctx.compile(a)
                b = convert(ctx, sv, a.type, "boolean")
                present.append(sa.case((sv.value.is_(None), 0), else_=1))
                trues.append(sa.case((sv.value.is_(None), 0), (b.value, 1), else_=0))
            else:
                kind = a.type.kind

                def truth(col: Any, kind: str = kind) -> Any:
                    return convert(ctx, SqlValue(col), FType(kind), "boolean").value

                present.append(range_select(ctx, a, F.count))
                trues.append(range_select(ctx, a, lambda col, truth=truth: F.count(sa.case((sa.and_(col.is_not(None), truth(col)), 1)))))
        if not present:
            return SqlValue(ctx.null(BOOLEAN), first_error(*errors, error_literal("#VALUE!")))
        n_present = sum_exprs(present)
        n_true = sum_exprs(trues)
        if combine == "and":
            value = n_true == n_present
        elif combine == "or":
            value = n_true > 0
        else:
            value = F.mod(n_true, 2) == 1
        none = sa.case((n_present == 0, error_literal("#VALUE!")))
        return SqlValue(value, first_error(*errors, none))

    return build


def sum_exprs(items: list[Any]) -> Any:
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


for _name, _combine, _en, _zh in (
    ("AND", "and", "TRUE when every argument is TRUE.", "所有参数都为 TRUE 时返回 TRUE。"),
    ("OR", "or", "TRUE when any argument is TRUE.", "任一参数为 TRUE 时返回 TRUE。"),
    ("XOR", "xor", "TRUE when an odd number of arguments are TRUE.", "为 TRUE 的参数个数为奇数时返回 TRUE。"),
):
    define(FunctionSpec(
        _name, "logic", (Param("logical", "boolean", repeat=True),), BOOLEAN, _en, _zh,
        build_python=_logical_python(_combine), build_sql=_logical_sql(_combine), range_params=True,
    ))
    source_builder(_name)(_logical_source(_combine))

define(FunctionSpec(
    "NOT", "logic", (Param("logical", "boolean"),), BOOLEAN, "Reverses TRUE and FALSE.", "将 TRUE 与 FALSE 互换。",
    python=lambda b: not b, sql=lambda c, b: sa.not_(b),
))


# ----- IS* tests: never an error --------------------------------------------------------------


def _is_function(name: str, en: str, zh: str, py_test: Callable[[Any, Typed], bool],
                 sql_test: Callable[[SqlContext, SqlValue, Typed], Any]) -> None:
    def build_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
        inner, a = ctx.compile(args[0]), args[0]
        return lambda env: py_test(inner(env), a)

    def build_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
        return SqlValue(sql_test(ctx, ctx.compile(args[0]), args[0]))

    @source_builder(name)
    def build_source(src: Source, args: list[Typed], t: Typed) -> str:
        return f"{src.bind(py_test)}({src.expr(args[0])}, {src.bind(args[0])})"

    define(FunctionSpec(name, "logic", (Param("value"),), BOOLEAN, en, zh,
                        build_python=build_python, build_sql=build_sql))


def _ok(sv: SqlValue) -> Any:
    return sv.error.is_(None) if sv.error is not None else sa.true()


def _kind_test(kind: str) -> Callable[[SqlContext, SqlValue, Typed], Any]:
    def test(ctx: SqlContext, sv: SqlValue, a: Typed) -> Any:
        if a.type.kind != kind or a.type.is_list:
            return ctx.boolean(False)
        return sa.and_(sv.value.is_not(None), _ok(sv))

    return test


def _py_kind_test(cls: type) -> Callable[[Any, Typed], bool]:
    return lambda v, a: isinstance(v, cls) and not (cls is float and isinstance(v, bool))


_is_function("ISBLANK", "TRUE when the value is blank (empty text counts as blank).", "值为空时返回 TRUE（空文本也算空）。",
             lambda v, a: v is None,
             lambda c, sv, a: c.boolean(False) if a.type.is_list else sa.and_(sv.value.is_(None), _ok(sv)))
_is_function("ISNUMBER", "TRUE when the value is a number (dates are not).", "值为数字时返回 TRUE（日期不算）。",
             _py_kind_test(float), _kind_test("number"))
_is_function("ISTEXT", "TRUE when the value is text.", "值为文本时返回 TRUE。", _py_kind_test(str), _kind_test("text"))
_is_function("ISLOGICAL", "TRUE when the value is TRUE or FALSE.", "值为逻辑值时返回 TRUE。", _py_kind_test(bool), _kind_test("boolean"))
_is_function("ISERROR", "TRUE when the value is any error.", "值为任意错误时返回 TRUE。",
             lambda v, a: v.__class__ is ExcelError,
             lambda c, sv, a: sv.error.is_not(None) if sv.error is not None else c.boolean(False))
_is_function("ISNA", "TRUE when the value is #N/A.", "值为 #N/A 时返回 TRUE。",
             lambda v, a: v == NA,
             lambda c, sv, a: F.coalesce(sv.error == "#N/A", c.boolean(False)) if sv.error is not None else c.boolean(False))


# ----- constants ------------------------------------------------------------------------------


def _constant(name: str, t: FType, value: Any, error: str | None, en: str, zh: str) -> None:
    define(FunctionSpec(
        name, "logic", (), t, en, zh,
        build_python=lambda ctx, args, typed: (lambda env: value),
        build_sql=lambda ctx, args, typed: SqlValue(
            ctx.boolean(value) if isinstance(value, bool) else ctx.null(t),
            error_literal(error) if error else None,
        ),
    ))


_constant("NA", ERROR, NA, "#N/A", "The #N/A error (value not available).", "返回 #N/A 错误（值不可用）。")
_constant("TRUE", BOOLEAN, True, None, "The logical value TRUE.", "逻辑值 TRUE。")
_constant("FALSE", BOOLEAN, False, None, "The logical value FALSE.", "逻辑值 FALSE。")
_constant("BLANK", BLANK, None, None, "A blank value.", "空值。")
