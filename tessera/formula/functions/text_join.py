"""CONCAT and TEXTJOIN: like Excel, they take ranges — a ``{Link}.{Field}`` list or an
``ALL({Field})`` column contributes each of its values, in record order. Values become text as
``&`` writes them (General numbers, ISO dates, TRUE/FALSE).

TEXTJOIN(delimiter, ignore_empty, text, ...) puts the delimiter between the values; with
``ignore_empty`` TRUE, blank values (empty text is blank) are left out, otherwise each one is an
empty piece between two delimiters. A list with no linked records contributes nothing at all.
CONCAT(text, ...) is TEXTJOIN("", TRUE, text, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from tessera.formula.checker import Typed
from tessera.formula.functions._ranges import py_items, range_rows
from tessera.formula.interpreter import Env, py_coercer
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue, convert, first_error
from tessera.formula.types import TEXT, FType
from tessera.formula.values import ExcelError, to_text

F = sa.func


# ----- interpreter ----------------------------------------------------------------------------


def _py_scalar(ctx: Any, arg: Typed | None, kind: str, default: Any) -> Callable[[Env], Any]:
    if arg is None:
        return lambda env: default
    inner, coerce = ctx.compile(arg), py_coercer(kind, arg.type)

    def run(env: Env) -> Any:
        v = inner(env)
        return v if v.__class__ is ExcelError else coerce(v)

    return run


def _join_python(ctx: Any, delimiter: Typed | None, ignore: Typed | None, texts: list[Typed]) -> Callable[[Env], Any]:
    get_delimiter = _py_scalar(ctx, delimiter, "text", "")
    get_ignore = _py_scalar(ctx, ignore, "boolean", True)
    ranges = [py_items(ctx, a) for a in texts]

    def run(env: Env) -> Any:
        sep = get_delimiter(env)
        if sep.__class__ is ExcelError:
            return sep
        skip_blank = get_ignore(env)
        if skip_blank.__class__ is ExcelError:
            return skip_blank
        pieces = []
        for items in ranges:
            values = items(env)
            if values.__class__ is ExcelError:
                return values
            for v in values:
                text = to_text(v)
                if text.__class__ is ExcelError:
                    return text
                if text or not skip_blank:
                    pieces.append(text)
        return sep.join(pieces) or None

    return run


# ----- SQL ------------------------------------------------------------------------------------


def _sql_range_join(ctx: SqlContext, arg: Typed, sep: Any, skip_blank: Any) -> Any:
    """The range's values joined by ``sep`` (NULL when it contributes no value)."""
    rows = range_rows(ctx, [arg])
    kind = "text" if arg.type.kind in ("blank", "error") else arg.type.kind
    # Blank is NULL in SQL, and string_agg/group_concat skip NULLs: keep blanks as "" pieces.
    text = F.coalesce(convert(ctx, SqlValue(rows.values[0]), FType(kind), "text").value, "")
    keep = sa.or_(text != "", sa.not_(skip_blank))
    if ctx.pg:
        return rows.select(F.string_agg(text, aggregate_order_by(sep, rows.position)), where=keep).scalar_subquery()
    window = F.group_concat(text, sep).over(order_by=rows.position, rows=(None, None))
    joined = rows.select(window.label("w"), where=keep).subquery(ctx.fresh_name("joined"))
    # SQLite's windowed group_concat gives NULL, not "", when every piece is "".
    return sa.select(F.max(F.coalesce(joined.c.w, ""))).select_from(joined).scalar_subquery()


def _join_sql(ctx: SqlContext, delimiter: Typed | None, ignore: Typed | None, texts: list[Typed]) -> SqlValue:
    sep = convert(ctx, ctx.compile(delimiter), delimiter.type, "text") if delimiter else SqlValue(ctx.text(""))
    skip = convert(ctx, ctx.compile(ignore), ignore.type, "boolean") if ignore else SqlValue(ctx.boolean(True))
    errors = [sep.error, skip.error]
    joined: Any = ctx.text("")
    for arg in texts:
        if arg.is_range:
            piece = _sql_range_join(ctx, arg, sep.value, skip.value)
            part = sa.case((piece.is_(None), ""), else_=sep.value.op("||")(piece))
        else:
            t = convert(ctx, ctx.compile(arg), arg.type, "text")
            errors.append(t.error)
            part = sa.case((sa.and_(t.value == "", skip.value), ""), else_=sep.value.op("||")(t.value))
        joined = joined.op("||")(part)
    # Every piece carries a leading delimiter: drop the first one.
    value = F.substr(joined, F.length(sep.value) + 1)
    return SqlValue(ctx.nonempty(value), first_error(*errors))


# ----- the functions --------------------------------------------------------------------------


def _textjoin_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    return _join_python(ctx, args[0], args[1], args[2:])


def _textjoin_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    return _join_sql(ctx, args[0], args[1], args[2:])


define(FunctionSpec(
    "TEXTJOIN", "text",
    (Param("delimiter", "text"), Param("ignore_empty", "boolean"), Param("text", "text", repeat=True)), TEXT,
    "Joins texts and the values of lists with a delimiter; blanks are skipped when ignore_empty is TRUE.",
    "用分隔符连接多个文本及列表中的值；ignore_empty 为 TRUE 时跳过空值。",
    build_python=_textjoin_python, build_sql=_textjoin_sql, range_params=True,
))
define(FunctionSpec(
    "CONCAT", "text", (Param("text", "text", repeat=True),), TEXT,
    "Joins texts and the values of lists end to end (numbers in General format, dates as ISO).",
    "将多个文本及列表中的值首尾相连（数字按常规格式，日期按 ISO 格式）。",
    build_python=lambda ctx, args, t: _join_python(ctx, None, None, args),
    build_sql=lambda ctx, args, t: _join_sql(ctx, None, None, args), range_params=True,
))
