"""REGEXMATCH, REGEXEXTRACT, REGEXREPLACE: Python ``re`` syntax, case-sensitive, identical on
every backend through the primitives of ``tessera.formula.excel.regex`` (its docstring lists
the supported subset). An invalid or unsupported pattern is #VALUE!; REGEXEXTRACT without a
match is #N/A. Blank text or pattern is "" (so an empty pattern matches everything)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.formula.excel import regex as xregex
from tessera.formula.registry import FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue, error_literal, when_error
from tessera.formula.types import BOOLEAN, TEXT
from tessera.formula.values import NA, VALUE

F = sa.func

_TP = (Param("text", "text"), Param("pattern", "text"))


def _py_match(text: str, pattern: str) -> Any:
    out = xregex.regexmatch(text, pattern)
    return VALUE if out is None else out


def _sql_match(c: SqlContext, text: Any, pattern: Any) -> SqlValue:
    out = F.tx_regexmatch(text, pattern)
    return SqlValue(out, when_error(out.is_(None), "#VALUE!"))


def _py_extract(text: str, pattern: str) -> Any:
    out = xregex.regexextract(text, pattern)
    if out is None:
        return NA if xregex.regex_valid(pattern) else VALUE
    return out


def _sql_extract(c: SqlContext, text: Any, pattern: Any) -> SqlValue:
    out = F.tx_regexextract(text, pattern)
    # NULL is both "no match" and "invalid pattern": the pattern's validity tells them apart.
    reason = sa.case((F.tx_regex_valid(pattern), error_literal("#N/A")), else_=error_literal("#VALUE!"))
    return SqlValue(out, sa.case((out.is_(None), reason)))


def _py_replace(text: str, pattern: str, replacement: str) -> Any:
    out = xregex.regexreplace(text, pattern, replacement)
    return VALUE if out is None else out


def _sql_replace(c: SqlContext, text: Any, pattern: Any, replacement: Any) -> SqlValue:
    out = F.tx_regexreplace(text, pattern, replacement)
    return SqlValue(out, when_error(out.is_(None), "#VALUE!"))


define(FunctionSpec(
    "REGEXMATCH", "text", _TP, BOOLEAN,
    "Whether a regular expression (Python syntax, case-sensitive) matches anywhere in the text.",
    "判断正则表达式（Python 语法，区分大小写）是否与文本的某一部分匹配。",
    python=_py_match, sql=_sql_match, may_error=True,
))
define(FunctionSpec(
    "REGEXEXTRACT", "text", _TP, TEXT,
    "The first match of a regular expression (its first group when it has one); #N/A when none.",
    "返回正则表达式的第一个匹配（有分组时返回第一个分组）；没有匹配时返回 #N/A。",
    python=_py_extract, sql=_sql_extract, may_error=True,
))
define(FunctionSpec(
    "REGEXREPLACE", "text", (*_TP, Param("replacement", "text")), TEXT,
    "Replaces every match of a regular expression; $1, $2... insert groups, $0 the whole match.",
    "替换正则表达式的每一个匹配；替换文本中 $1、$2… 表示分组，$0 表示整个匹配。",
    python=_py_replace, sql=_sql_replace, may_error=True,
))
