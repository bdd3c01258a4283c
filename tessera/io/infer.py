"""Field types inferred from a sample of a column's values (for ``--create-fields``).

Each rule is an entry in ``RULES``, tried in order: the first whose test accepts every
non-empty sample value wins; ``text`` (or ``long_text`` with line breaks) is the fallback."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tessera.fields.parsing import normalize, parse_bool, parse_date, parse_datetime, parse_number

__all__ = ["InferredType", "infer_type", "RULES"]

_DATE_TEXT = re.compile(r"\d{4}([-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2}[日号]?)")
_TIME_PART = re.compile(r"\d{1,2}(:|时|点)\d{1,2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_CURRENCY_MARK = re.compile(r"^[-(]?\s*(¥|￥|\$|€|£|RMB|CNY)|元$")
_BOOL_WORDS = {"是", "否", "true", "false", "yes", "no", "√", "×", "✓", "✗"}


@dataclass(frozen=True)
class InferredType:
    type: str
    options: dict[str, Any] = field(default_factory=dict)


def _ok(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def safe(value: Any) -> bool:
        try:
            return test(value)
        except (ValueError, TypeError, OverflowError):
            return False
    return safe


def _text(value: Any) -> str:
    return normalize(value) if isinstance(value, str) else ""


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or (_text(value).lower() in _BOOL_WORDS and
                                       isinstance(parse_bool(value), bool))


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return value.time() == dt.time(0)
    if isinstance(value, dt.date):
        return True
    text = _text(value)
    return bool(_DATE_TEXT.fullmatch(text)) and bool(parse_date(text))


def _is_datetime(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    text = _text(value)
    return bool(_DATE_TEXT.match(text) and _TIME_PART.search(text)) and bool(
        parse_datetime(text)) or _is_date(value)


def _is_number_text(text: str) -> bool:
    # leading zeros and long digit strings are codes or phone numbers, not quantities
    digits = text.lstrip("+-")
    if re.fullmatch(r"0\d+", digits) or re.fullmatch(r"\d{11,}", digits):
        return False
    parse_number(text)
    return True


def _is_percent(value: Any) -> bool:
    text = _text(value)
    return text.endswith("%") and _is_number_text(text)


def _is_currency(value: Any) -> bool:
    text = _text(value)
    return bool(_CURRENCY_MARK.search(text)) and _is_number_text(text)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return _is_number_text(_text(value))


def _is_email(value: Any) -> bool:
    return bool(_EMAIL.fullmatch(_text(value)))


RULES: tuple[tuple[str, Callable[[Any], bool], dict[str, Any]], ...] = (
    ("checkbox", _ok(_is_bool), {}),
    ("date", _ok(_is_date), {}),
    ("datetime", _ok(_is_datetime), {"timezone": "UTC"}),
    ("percent", _ok(_is_percent), {"precision": 0}),
    ("currency", _ok(_is_currency), {"symbol": "¥", "precision": 2}),
    ("number", _ok(_is_number), {"precision": 2}),
    ("email", _ok(_is_email), {}),
)


def infer_type(values: Sequence[Any]) -> InferredType:
    """The narrowest type accepting every non-empty value (text when nothing is known)."""
    present = [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
    if present:
        for name, test, options in RULES:
            if all(test(v) for v in present):
                return InferredType(name, dict(options))
    if any(isinstance(v, str) and "\n" in v for v in present):
        return InferredType("long_text")
    return InferredType("text")
