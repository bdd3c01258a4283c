"""FIND (case-sensitive, literal) and SEARCH (ASCII case-insensitive, with Excel's wildcards).

Both return the 1-based character position of the first occurrence at or after ``start_num``
(1 by default); not found, or a start below 1 or beyond the text's length + 1, is #VALUE!.
Empty find text matches at ``start_num``.

SEARCH's wildcards are Excel's: ``?`` one character, ``*`` any run of characters, ``~?``
``~*`` ``~~`` the literal characters. The find text becomes a regular expression by a fixed
chain of REGEXREPLACE passes (:data:`WILDCARD_PASSES`): the interpreter runs them with
``excel.regex.regexreplace``, SQL with ``tx_regexreplace`` — or, when the find text is a
constant, once at compile time. The position is then read from REGEXEXTRACT of
``(<pattern>(?:.|\\n)*)``: the text from the leftmost match to the end, whose length tells
where the match starts. Literal characters are written as ``\\uXXXX`` escapes or ``\\``
+ character so that no later pass can mistake them for wildcards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from tessera.formula.checker import Typed
from tessera.formula.excel import regex as xregex
from tessera.formula.functions._ranges import constant_value, is_constant
from tessera.formula.functions.text import sql_instr, whole
from tessera.formula.interpreter import Env, py_coercer
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, first_error, when_error
from tessera.formula.types import NUMBER
from tessera.formula.values import VALUE, ExcelError, ascii_lower, to_text

F = sa.func

_ANY = "(?:.|\\n)"
# (pattern, replacement) applied in order to the lower-cased find text.
WILDCARD_PASSES: tuple[tuple[str, str], ...] = (
    (r"[\\.^$|()\[\]{}+]", "\\$0"),  # regex metacharacters (not * ? ~) written literally
    ("~~", "\\u007e"),  # escaped wildcards first, left to right as Excel reads them
    ("~\\*", "\\u002a"),
    ("~\\?", "\\u003f"),
    ("\\?", _ANY),  # then the wildcards themselves
    ("\\*", _ANY + "*"),
)


@lru_cache(maxsize=512)
def wildcard_pattern(find: str) -> str:
    """The regular expression of a lower-cased SEARCH find text (see the module docs)."""
    pattern = find
    for old, new in WILDCARD_PASSES:
        pattern = xregex.regexreplace(pattern, old, new)
    return "(" + pattern + _ANY + "*)"


def _start_ok(start: float, text: str) -> bool:
    return 1 <= start < len(text) + 2


def _py_find(find: str, within: str, start: float) -> Any:
    if not _start_ok(start, within):
        return VALUE
    k = math.floor(start)
    if not find:
        return float(k)
    i = within.find(find, k - 1)
    return VALUE if i < 0 else float(i + 1)


def _bad_start(c: SqlContext, start: Any, within: Any) -> Any:
    return sa.or_(start < 1, start >= F.length(within) + 2)


def _sql_find(c: SqlContext, find: Any, within: Any, start: Any) -> SqlValue:
    k = whole(c, start)
    pos = sql_instr(c, F.substr(within, k), find)
    return SqlValue(k + pos - 1.0, first_error(when_error(_bad_start(c, start, within), "#VALUE!"),
                                               when_error(pos == 0, "#VALUE!")))


_PARAMS = (Param("find_text", "text"), Param("within_text", "text"), Param("start_num", "number", optional=True, default=1.0))

define(FunctionSpec(
    "FIND", "text", _PARAMS, NUMBER,
    "Position of one text inside another (case-sensitive, no wildcards); #VALUE! when absent.",
    "查找文本在另一文本中的位置（区分大小写，不支持通配符）；找不到时返回 #VALUE!。",
    python=_py_find, sql=_sql_find, may_error=True,
))


# ----- SEARCH: special, so that a constant find text is turned into a pattern only once ------


def _py_search(find: str, within: str, start: float) -> Any:
    if not _start_ok(start, within):
        return VALUE
    k = math.floor(start)
    if not find:
        return float(k)
    rest = ascii_lower(within[k - 1:])
    tail = xregex.regexextract(rest, wildcard_pattern(ascii_lower(find)))
    return VALUE if tail is None else float(k + len(rest) - len(tail))


def _search_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    kinds = ("text", "text", "number")
    parts = [(ctx.compile(a), py_coercer(kind, a.type)) for a, kind in zip(args, kinds, strict=False)]

    def run(env: Env) -> Any:
        values = []
        for closure, coerce in parts:
            v = closure(env)
            if v.__class__ is ExcelError:
                return v
            v = coerce(v)
            if v.__class__ is ExcelError:
                return v
            values.append(v)
        if len(values) < 3:
            values.append(1.0)
        return _py_search(*values)

    return run


def _sql_pattern(ctx: SqlContext, find_arg: Typed, find: Any) -> Any:
    if is_constant(find_arg):
        text = to_text(constant_value(ctx, find_arg))
        if text.__class__ is not ExcelError:
            return ctx.text(wildcard_pattern(ascii_lower(text)))
    pattern = ctx.lower(find)
    for old, new in WILDCARD_PASSES:
        pattern = F.tx_regexreplace(pattern, old, new)
    return sa.literal("(").op("||")(pattern).op("||")(_ANY + "*)")


def _search_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    kinds = ("text", "text", "number")
    find, within, *rest = [convert(ctx, ctx.compile(a), a.type, kind) for a, kind in zip(args, kinds, strict=False)]
    start = rest[0] if rest else SqlValue(ctx.number(1))
    k = whole(ctx, start.value)
    tail_of = ctx.lower(F.substr(within.value, k))
    tail = F.tx_regexextract(tail_of, _sql_pattern(ctx, args[0], find.value))
    found = k + F.length(tail_of) - F.length(tail)
    value = sa.case((find.value == "", k), else_=found)
    missing = sa.and_(find.value != "", tail.is_(None))
    error = first_error(
        find.error, within.error, start.error,
        when_error(_bad_start(ctx, start.value, within.value), "#VALUE!"), when_error(missing, "#VALUE!"),
    )
    return SqlValue(sa.cast(value, sa.Float(53)), error)


define(FunctionSpec(
    "SEARCH", "text", _PARAMS, NUMBER,
    "Position of one text inside another, ignoring case (A-Z), with wildcards ? and * (~ escapes).",
    "查找文本在另一文本中的位置（不区分大小写），支持通配符 ? 和 *（用 ~ 转义）。",
    build_python=_search_python, build_sql=_search_sql,
))
