"""Text functions: CONCATENATE, LEN, LOWER, UPPER, LEFT, RIGHT, MID, REPLACE, SUBSTITUTE, REPT,
TRIM, PROPER, EXACT, VALUE. The rest of the category lives beside this module: text_join.py
(CONCAT, TEXTJOIN: they take ranges), text_search.py (FIND, SEARCH), text_convert.py (TEXT) and
text_regex.py (REGEXMATCH, REGEXEXTRACT, REGEXREPLACE); importing this module loads them.

Rules shared by every text function, on every backend:

* Lengths and positions count characters (Unicode code points), never bytes: ``LEN("你好")`` is
  2 and ``MID("你好世界", 2, 2)`` is "好世". (Excel counts UTF-16 units, so an emoji outside the
  Basic Multilingual Plane is 1 here and 2 in Excel.)
* Case mapping (LOWER, UPPER, PROPER, SEARCH) is ASCII-only so that SQLite, PostgreSQL and
  Python agree; other scripts are left as they are.
* Counts and positions are truncated toward zero (``LEFT("hello", 2.9)`` is "he"); a negative
  count, a position below 1 or an instance below 1 is #VALUE!, as in Excel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import Null

from tessera.formula.checker import Typed
from tessera.formula.excel import numbers as xnumbers
from tessera.formula.excel import text_format as xtext
from tessera.formula.interpreter import Env
from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcore import (
    SqlContext,
    SqlValue,
    convert,
    error_literal,
    first_error,
    when_error,
)
from tessera.formula.types import BOOLEAN, NUMBER, TEXT
from tessera.formula.values import VALUE, ExcelError, ascii_lower, date_to_serial

F = sa.func
S = (Param("text", "text"),)
MAX_TEXT = 32767  # Excel's longest text: REPT beyond it is #VALUE!
_CLAMP = 1e9  # counts and positions beyond any text's length: clamped before the integer cast

PARAM_NAMES_ZH.update({
    "start_num": "起始位置", "num_chars": "字符个数", "old_text": "原文本", "new_text": "新文本",
    "instance_num": "替换第几处", "number_times": "重复次数", "text1": "文本1", "text2": "文本2",
    "find_text": "要查找的文本", "within_text": "被查找的文本", "delimiter": "分隔符",
    "ignore_empty": "忽略空值", "format_text": "格式", "pattern": "正则表达式", "replacement": "替换为",
})


def whole(c: SqlContext, n: Any) -> Any:
    """A count or position as an SQL integer: truncated, negatives 0, huge values clamped
    (callers report negatives and positions below 1 as #VALUE! themselves)."""
    if c.pg:
        clamped = sa.case((n < 0, 0.0), (n > _CLAMP, _CLAMP), else_=n)
    else:  # SQLite's scalar min/max are NULL for a NULL argument, like the CASE, with n once
        clamped = F.min(F.max(n, 0.0), _CLAMP)
    return sa.cast(c.floor(clamped), sa.Integer)


def sql_instr(c: SqlContext, haystack: Any, needle: Any) -> Any:
    """1-based character position of ``needle`` in ``haystack`` (0: absent; 1 for "")."""
    return F.strpos(haystack, needle) if c.pg else F.instr(haystack, needle)


# ----- CONCATENATE (CONCAT, which also takes ranges, is in text_join.py) ----------------------


def _sql_concat(c: SqlContext, *parts: Any) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = out.op("||")(p)
    return out


define(FunctionSpec(
    "CONCATENATE", "text", (Param("text", "text", repeat=True),), TEXT,
    "Joins texts end to end (numbers in General format, dates as ISO).",
    "将多个文本首尾相连（数字按常规格式，日期按 ISO 格式）。",
    python=lambda *xs: "".join(xs), sql=_sql_concat,
))

# ----- LEN, LOWER, UPPER, PROPER, TRIM --------------------------------------------------------

define(FunctionSpec(
    "LEN", "text", S, NUMBER, "Number of characters in a text.", "文本的字符数。",
    python=lambda s: float(len(s)), sql=lambda c, s: c.length(s),
))
define(FunctionSpec(
    "LOWER", "text", S, TEXT, "Text in lower case (A-Z).", "将文本转为小写（A-Z）。",
    python=ascii_lower, sql=lambda c, s: c.lower(s),
))
_ASCII_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}
define(FunctionSpec(
    "UPPER", "text", S, TEXT, "Text in upper case (a-z).", "将文本转为大写（a-z）。",
    python=lambda s: s.translate(_ASCII_UPPER), sql=lambda c, s: c.upper(s),
))
define(FunctionSpec(
    "PROPER", "text", S, TEXT,
    "Capitalises the first letter of each word and lower-cases the rest (A-Z).",
    "将每个单词的首字母大写，其余字母小写（A-Z）。",
    python=xtext.proper, sql=lambda c, s: F.tx_proper(s),
))


def _py_trim(s: str) -> str:
    return " ".join(part for part in s.split(" ") if part)


def _sql_trim(c: SqlContext, s: Any) -> Any:
    single = F.regexp_replace(s, "  +", " ", "g") if c.pg else F.tx_regexreplace(s, "  +", " ")
    return F.trim(single)


define(FunctionSpec(
    "TRIM", "text", S, TEXT,
    "Removes spaces at both ends and turns every run of inner spaces into one space.",
    "删除文本首尾的空格，并把中间连续的多个空格变成一个。",
    python=_py_trim, sql=_sql_trim,
))

# ----- LEFT, RIGHT, MID, REPLACE --------------------------------------------------------------


def _py_left(s: str, n: float) -> Any:
    if n < 0:
        return VALUE
    return s[: math.floor(n)]


def _py_right(s: str, n: float) -> Any:
    if n < 0:
        return VALUE
    k = math.floor(min(n, _CLAMP))
    return s[max(len(s) - k, 0):] if k > 0 else ""  # k may exceed the length


def _sql_left(c: SqlContext, s: Any, n: Any) -> SqlValue:
    k = whole(c, n)
    value = F.left(s, k) if c.pg else F.substr(s, 1, k)
    return SqlValue(value, when_error(n < 0, "#VALUE!"))


def _sql_right(c: SqlContext, s: Any, n: Any) -> SqlValue:
    k = whole(c, n)
    value = F.right(s, k) if c.pg else sa.case((k == 0, ""), else_=F.substr(s, -k))
    return SqlValue(value, when_error(n < 0, "#VALUE!"))


_LR = (Param("text", "text"), Param("count", "number", optional=True, default=1.0))
define(FunctionSpec(
    "LEFT", "text", _LR, TEXT, "The first characters of a text (1 by default).", "文本开头的若干字符（默认 1 个）。",
    python=_py_left, sql=_sql_left, may_error=True,
))
define(FunctionSpec(
    "RIGHT", "text", _LR, TEXT, "The last characters of a text (1 by default).", "文本末尾的若干字符（默认 1 个）。",
    python=_py_right, sql=_sql_right, may_error=True,
))


def _py_mid(s: str, start: float, n: float) -> Any:
    if start < 1 or n < 0:
        return VALUE
    first = math.floor(min(start, _CLAMP)) - 1
    return s[first: first + math.floor(min(n, _CLAMP))]


def _sql_mid(c: SqlContext, s: Any, start: Any, n: Any) -> SqlValue:
    return SqlValue(F.substr(s, whole(c, start), whole(c, n)), when_error(sa.or_(start < 1, n < 0), "#VALUE!"))


define(FunctionSpec(
    "MID", "text", (Param("text", "text"), Param("start_num", "number"), Param("num_chars", "number")), TEXT,
    "The characters of a text from a starting position (1 = the first character).",
    "从指定位置（1 表示第一个字符）起取出若干字符。",
    python=_py_mid, sql=_sql_mid, may_error=True,
))


def _py_replace(s: str, start: float, n: float, new: str) -> Any:
    if start < 1 or n < 0:
        return VALUE
    first = math.floor(min(start, _CLAMP)) - 1
    return s[:first] + new + s[first + math.floor(min(n, _CLAMP)):]


def _sql_replace(c: SqlContext, s: Any, start: Any, n: Any, new: Any) -> SqlValue:
    k = whole(c, start)
    before = sa.case((k < 1, 0), else_=k - 1)  # PostgreSQL rejects a negative length
    value = F.substr(s, 1, before).op("||")(new).op("||")(F.substr(s, k + whole(c, n)))
    return SqlValue(value, when_error(sa.or_(start < 1, n < 0), "#VALUE!"))


define(FunctionSpec(
    "REPLACE", "text",
    (Param("old_text", "text"), Param("start_num", "number"), Param("num_chars", "number"), Param("new_text", "text")),
    TEXT, "Replaces a number of characters at a position with new text.",
    "将文本中从指定位置起的若干字符替换为新文本。",
    python=_py_replace, sql=_sql_replace, may_error=True,
))

# ----- SUBSTITUTE -----------------------------------------------------------------------------
# Occurrences are counted left to right without overlapping (as str.split and PostgreSQL's
# string_to_array cut), so SUBSTITUTE("aaaa", "aa", "x", 2) is "aax".

_REGEX_META = r"[\\.^$|()\[\]{}+*?]"
_ANY = "(?:.|\\n)"  # any character, newlines included, on Python re and PostgreSQL alike


def _py_substitute(s: str, old: str, new: str, instance: float | None) -> Any:
    if instance is not None and instance < 1:
        return VALUE
    if not old:
        return s
    if instance is None:
        return s.replace(old, new)
    parts = s.split(old)
    k = math.floor(min(instance, _CLAMP))
    if len(parts) <= k:
        return s
    return old.join(parts[:k]) + new + old.join(parts[k:])


def _sql_nth_substitute(c: SqlContext, s: Any, old: Any, new: Any, k: Any) -> Any:
    """``s`` with the k-th occurrence of ``old`` (non-empty, present at least k times) replaced."""
    if c.pg:
        pieces = F.string_to_array(s, old, type_=postgresql.ARRAY(sa.Text))
        before = F.array_to_string(pieces[1:k], old)
        return before.op("||")(new).op("||")(F.substr(s, F.length(before) + F.length(old) + 1))
    # SQLite: a regular expression (Python re) whose group 1 is everything before the k-th one.
    escaped = F.tx_regexreplace(old, _REGEX_META, "\\$0")
    pattern = (
        sa.literal("^((?:" + _ANY + "*?").op("||")(escaped).op("||")("){")
        .op("||")(sa.cast(k - 1, sa.Text)).op("||")("}" + _ANY + "*?)").op("||")(escaped)
    )
    return F.tx_regexreplace(s, pattern, sa.literal("$1").op("||")(F.replace(new, "$", "$$")))


def _sql_substitute(c: SqlContext, s: Any, old: Any, new: Any, instance: Any) -> SqlValue:
    if isinstance(instance, Null):  # instance_num omitted: every occurrence
        return SqlValue(F.replace(s, old, new))
    k = whole(c, instance)
    occurrences = (F.length(s) - F.length(F.replace(s, old, ""))) / F.nullif(F.length(old), 0)
    value = sa.case(
        (F.length(old) == 0, s), (occurrences < k, s), else_=_sql_nth_substitute(c, s, old, new, k)
    )
    return SqlValue(value, when_error(instance < 1, "#VALUE!"))


define(FunctionSpec(
    "SUBSTITUTE", "text",
    (Param("text", "text"), Param("old_text", "text"), Param("new_text", "text"),
     Param("instance_num", "number", optional=True)),
    TEXT, "Replaces old text with new text (case-sensitive): every occurrence, or only the n-th.",
    "将文本中的旧文本替换为新文本（区分大小写）：替换全部，或只替换第 n 处。",
    python=_py_substitute, sql=_sql_substitute, may_error=True,
))

# ----- REPT, EXACT ----------------------------------------------------------------------------


def _py_rept(s: str, n: float) -> Any:
    if n < 0 or len(s) * n > MAX_TEXT:
        return VALUE
    return s * math.floor(n)


def _sql_rept(c: SqlContext, s: Any, n: Any) -> SqlValue:
    too_long = sa.or_(n < 0, F.length(s) * n > MAX_TEXT)
    k = sa.case((too_long, 0), (F.length(s) == 0, 0), else_=whole(c, n))
    # SQLite has no repeat(): k zero bytes in hex are k "00" pairs, each replaced by the text.
    value = F.repeat(s, k) if c.pg else F.replace(F.hex(F.zeroblob(k)), "00", s)
    return SqlValue(value, when_error(too_long, "#VALUE!"))


define(FunctionSpec(
    "REPT", "text", (Param("text", "text"), Param("number_times", "number")), TEXT,
    "The text repeated a number of times (at most 32767 characters in all).",
    "将文本重复指定次数（结果最多 32767 个字符）。",
    python=_py_rept, sql=_sql_rept, may_error=True,
))
define(FunctionSpec(
    "EXACT", "text", (Param("text1", "text"), Param("text2", "text")), BOOLEAN,
    "Whether two texts are exactly the same, upper and lower case included.",
    "判断两个文本是否完全相同（区分大小写）。",
    python=lambda a, b: a == b, sql=lambda c, a, b: a == b,
))


# ----- VALUE: text to number (dates give their serial) ---------------------------------------


def _value_python(ctx: Any, args: list[Typed], t: Typed) -> Callable[[Env], Any]:
    inner = ctx.compile(args[0])

    def run(env: Env) -> Any:
        v = inner(env)
        if v is None:
            return 0.0
        if v.__class__ is ExcelError:
            return v
        if isinstance(v, bool) or isinstance(v, list):
            return VALUE
        if isinstance(v, float):
            return v
        if isinstance(v, str):
            n = xnumbers.to_number(v)
            return VALUE if n is None else float(n)
        return date_to_serial(v)

    return run


def _value_sql(ctx: SqlContext, args: list[Typed], t: Typed) -> SqlValue:
    a = args[0]
    sv = ctx.compile(a)
    if a.type.is_list:
        return SqlValue(ctx.null(NUMBER), error_literal("#VALUE!"))
    if a.type.kind == "boolean":
        return SqlValue(ctx.number(0), first_error(sv.error, when_error(sv.value.is_not(None), "#VALUE!")))
    return convert(ctx, sv, a.type, "number")


define(FunctionSpec(
    "VALUE", "text", (Param("text"),), NUMBER, "Converts text that reads as a number into a number.",
    "将表示数字的文本转换为数字。", build_python=_value_python, build_sql=_value_sql,
))

# The rest of the category registers on import.
from tessera.formula.functions import text_convert, text_join, text_regex, text_search  # noqa: E402, F401
