"""Criteria strings of COUNTIF(S), SUMIF(S), AVERAGEIFS, MAXIFS and MINIFS, as Excel reads them.

A criterion is an optional operator (``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``; none means
``=``) followed by an operand. The operand's kind decides how values compare:

* **blank** — ``""`` and ``"="`` match blank values (None and empty text: Tessera does not
  tell them apart), ``"<>"`` matches every non-blank value.
* **number** — the operand reads as a number (``numbers.to_number``: ``10``, ``1,000``,
  ``50%``). Numbers compare numerically; dates and datetimes compare as their Excel serial,
  as in Excel where dates are numbers.
* **date** — the operand reads as a year-first date or datetime (``dates.to_date``:
  ``">=2025-01-31"``); it compares with dates, datetimes and numbers through its serial.
* **boolean** — ``TRUE`` / ``FALSE`` (any case) compare with booleans.
* **text** — anything else.

Equality (``=``, no operator, and its negation ``<>``): a text value matches when it equals
the operand text case-insensitively (ASCII letters), with the wildcards ``*`` (any run of
characters) and ``?`` (one character), ``~*``, ``~?`` and ``~~`` standing for the literal
characters — whatever the operand's kind, so ``"10"`` matches the number 10 *and* the text
"10". A number or date value matches a number or date operand of the same value; a boolean
matches a boolean operand. ``<>x`` is exactly "not ``=x``", so it also matches blanks.
Ordering (``<``, ``<=``, ``>``, ``>=``): a number or date operand compares only with number
and date values, a boolean operand only with booleans (FALSE < TRUE), a text operand only
with text values (ASCII case-insensitive, by code point; no wildcards). Anything else — text
against a number operand, a blank against any ordering — does not match, as in Excel.

A non-text criterion (a number, date, datetime or boolean) means equality with it: it is
turned into text as ``&`` does (General number format, ISO dates, TRUE/FALSE) and read like
any other criterion, so all three backends see the very same criterion text.

SQL: ``tx_crit_num(double, text)``, ``tx_crit_text(text, text)``, ``tx_crit_date(date,
text)``, ``tx_crit_ts(timestamp, text)``, ``tx_crit_bool(boolean, text)`` return whether the
value matches; a NULL value is blank, a NULL criterion is ``""``. They never fail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from tessera.formula.excel import SqlFunction, dates, numbers

__all__ = [
    "Criterion",
    "criteria_text",
    "parse_criteria",
    "criteria_match",
    "matches",
    "wildcard_match",
    "SQLITE_FUNCTIONS",
]

Operator = Literal["=", "<>", "<", "<=", ">", ">="]
OperandKind = Literal["blank", "number", "date", "boolean", "text"]
_OPERATORS: tuple[Operator, ...] = (">=", "<=", "<>", "=", "<", ">")  # longest first
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def ascii_lower(s: str) -> str:
    """Lower-case ASCII letters only, the same on every backend."""
    return s.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Criterion:
    """A parsed criterion. ``number`` is the operand as a number (a date's serial) when it
    reads as one; ``value`` is the typed operand (float, date/datetime, bool, or the text)."""

    op: Operator
    kind: OperandKind
    text: str
    number: float | None = None
    value: float | dt.date | bool | str | None = None

    @property
    def has_wildcards(self) -> bool:
        """Whether text equality needs wildcard matching (else plain case-insensitive ==)."""
        return "*" in self.text or "?" in self.text or "~" in self.text


def criteria_text(criteria: Any) -> str:
    """The text of a criterion: text as is, blank as ``""``, other values as ``&`` writes
    them (General number format, ISO dates, TRUE/FALSE)."""
    if criteria is None:
        return ""
    if isinstance(criteria, str):
        return criteria
    if isinstance(criteria, bool):
        return "TRUE" if criteria else "FALSE"
    if isinstance(criteria, int | float):
        return numbers.general_text(float(criteria)) or ""
    if isinstance(criteria, dt.datetime):
        return criteria.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(criteria, dt.date):
        return criteria.isoformat()
    raise TypeError(f"criteria must be text, a number, a date or a boolean, not {criteria!r}")


@lru_cache(maxsize=1024)
def _parse(text: str) -> Criterion:
    op: Operator = "="
    operand = text
    for candidate in _OPERATORS:
        if text.startswith(candidate):
            op, operand = candidate, text[len(candidate):]
            break
    if operand == "" and op in ("=", "<>"):
        return Criterion(op, "blank", "")
    number = numbers.to_number(operand)
    if number is not None:
        return Criterion(op, "number", operand, number, number)
    when = dates.to_date(operand)
    if when is not None:
        return Criterion(op, "date", operand, dates.date_to_serial(when), when)
    low = ascii_lower(operand)
    if low in ("true", "false"):
        return Criterion(op, "boolean", operand, None, low == "true")
    return Criterion(op, "text", operand, None, operand)


def parse_criteria(criteria: Any) -> Criterion:
    """Parse a criterion (text, or a number / date / boolean meaning equality)."""
    return _parse(criteria_text(criteria))


@lru_cache(maxsize=1024)
def _wildcard_regex(operand: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(operand):
        ch = operand[i]
        if ch == "~" and i + 1 < len(operand) and operand[i + 1] in "*?~":
            parts.append(re.escape(operand[i + 1]))
            i += 2
            continue
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(text: str, operand: str) -> bool:
    """Whole-text, ASCII case-insensitive match with Excel's ``*``, ``?`` and ``~``."""
    return _wildcard_regex(ascii_lower(operand)).fullmatch(ascii_lower(text)) is not None


def _compare(a: Any, op: str, b: Any) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _classify(value: Any) -> tuple[str, Any]:
    """(blank | number | boolean | text, comparable value): dates become their serial."""
    if value is None or value == "":
        return "blank", None
    if isinstance(value, bool):
        return "boolean", value
    if isinstance(value, int | float):
        return "number", float(value)
    if isinstance(value, dt.date):
        return "number", dates.date_to_serial(value)
    if isinstance(value, str):
        return "text", value
    raise TypeError(f"a criteria value must be blank, text, a number, a date or a boolean: {value!r}")


def matches(value: Any, c: Criterion) -> bool:
    """Whether ``value`` (None, text, number, date, datetime or boolean) meets ``c``."""
    kind, v = _classify(value)
    if c.kind == "blank":
        return (kind == "blank") == (c.op == "=")
    if c.op in ("=", "<>"):
        if kind == "text":
            if c.has_wildcards:
                equal = wildcard_match(v, c.text)
            else:
                equal = ascii_lower(v) == ascii_lower(c.text)
        elif kind == "number":
            equal = c.number is not None and v == c.number
        elif kind == "boolean":
            equal = c.kind == "boolean" and v == c.value
        else:
            equal = False
        return equal == (c.op == "=")
    if c.number is not None:
        return kind == "number" and _compare(v, c.op, c.number)
    if c.kind == "boolean":
        return kind == "boolean" and _compare(v, c.op, c.value)
    return kind == "text" and _compare(ascii_lower(v), c.op, ascii_lower(c.text))


def criteria_match(value: Any, criteria: Any) -> bool:
    """Whether a value meets a COUNTIFS-style criterion (see the module docstring)."""
    return matches(value, parse_criteria(criteria))


# ------------------------------------------------------------------------ SQLite wrappers


def _sqlite_criteria(criteria: Any) -> Any:
    return "" if criteria is None else criteria


def _crit_num(value: Any, criteria: Any) -> bool:
    if isinstance(value, bytes):
        value = None
    return criteria_match(value, _sqlite_criteria(criteria))


def _crit_text(value: Any, criteria: Any) -> bool:
    return criteria_match(value if isinstance(value, str) else None, _sqlite_criteria(criteria))


def _crit_date(value: Any, criteria: Any) -> bool:
    return criteria_match(dates.sqlite_date(value), _sqlite_criteria(criteria))


def _crit_ts(value: Any, criteria: Any) -> bool:
    return criteria_match(dates.sqlite_datetime(value), _sqlite_criteria(criteria))


def _crit_bool(value: Any, criteria: Any) -> bool:
    return criteria_match(None if value is None else bool(value), _sqlite_criteria(criteria))


SQLITE_FUNCTIONS = [
    SqlFunction("tx_crit_num", 2, _crit_num),
    SqlFunction("tx_crit_text", 2, _crit_text),
    SqlFunction("tx_crit_date", 2, _crit_date),
    SqlFunction("tx_crit_ts", 2, _crit_ts),
    SqlFunction("tx_crit_bool", 2, _crit_bool),
]
