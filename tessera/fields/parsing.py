"""Lenient parsing of what people type in Excel or in China: numbers, booleans, dates.

Every function takes a Python value (str from a form or a paste, or a JSON value) and returns
the parsed value, or raises ``ValueError`` (the field type turns that into a FieldValueError)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["normalize", "parse_number", "parse_bool", "parse_date", "parse_datetime",
           "to_text", "excel_serial_to_datetime", "zone"]

_EXCEL_EPOCH = datetime(1899, 12, 30)
_CURRENCY = ("CNY", "RMB", "USD", "EUR", "HKD", "元", "¥", "$", "€", "£", "￥")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_TRUE = {"true", "t", "yes", "y", "1", "是", "对", "真", "√", "✓", "✔", "on", "checked", "x"}
_FALSE = {"false", "f", "no", "n", "0", "否", "错", "假", "×", "✗", "✘", "off", "unchecked"}
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]
_TIME = re.compile(
    r"(?:[T\s]+|\s*)(?P<H>\d{1,2})(?::|时|点)(?P<M>\d{1,2})(?:(?::|分)(?P<S>\d{1,2}(?:\.\d+)?)秒?)?分?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?")


def normalize(text: str) -> str:
    """NFKC (full-width digits, letters and punctuation → ASCII), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def zone(name: str | None) -> tzinfo:
    return UTC if not name or name.upper() == "UTC" else ZoneInfo(name)


def parse_number(value: object) -> tuple[float, bool]:
    """A number from input; returns (value, had_percent_sign). Percent input is divided by 100."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), False
    if isinstance(value, (int, float)):
        return float(value), False
    if not isinstance(value, str):
        raise ValueError("not a number")
    text = normalize(value).replace(" ", "").replace("\u00a0", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    for symbol in _CURRENCY:
        if text.startswith(symbol):
            text = text[len(symbol):]
        if text.endswith(symbol):
            text = text[: -len(symbol)]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise ValueError("misplaced thousands separator")
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    number = float(text)
    if percent:
        number /= 100
    return (-number if negative else number), percent


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = normalize(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("not a yes/no value")


def excel_serial_to_datetime(serial: float) -> datetime:
    if not 1 <= serial < 2958466:
        raise ValueError("serial out of range")
    return _EXCEL_EPOCH + timedelta(days=serial)


def _date_prefix(text: str) -> tuple[date, str]:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
            return date(y, m, d), text[match.end():]
    raise ValueError("not a date")


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, (int, float)):
        return excel_serial_to_datetime(float(value)).date()
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = normalize(value)
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
        return excel_serial_to_datetime(float(text)).date()
    parsed, rest = _date_prefix(text)
    rest = rest.strip()
    if rest and not _TIME.fullmatch(rest):
        raise ValueError("trailing text after the date")
    return parsed


def parse_datetime(value: object, tz: tzinfo = UTC) -> datetime:
    """An aware UTC datetime; naive input is read in ``tz``."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, bool):
        raise ValueError("not a date and time")
    elif isinstance(value, (int, float)):
        result = excel_serial_to_datetime(float(value))
    elif isinstance(value, str):
        result = _parse_datetime_text(normalize(value))
    else:
        raise ValueError("not a date and time")
    if result.tzinfo is None:
        result = result.replace(tzinfo=tz)
    return result.astimezone(UTC).replace(microsecond=0)


def _parse_datetime_text(text: str) -> datetime:
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
        return excel_serial_to_datetime(float(text))
    day, rest = _date_prefix(text)
    rest = rest.strip()
    if not rest:
        return datetime(day.year, day.month, day.day)
    match = _TIME.fullmatch(" " + rest if not rest.startswith("T") else rest)
    if not match:
        raise ValueError("bad time of day")
    seconds = float(match["S"] or 0)
    result = datetime(day.year, day.month, day.day, int(match["H"]), int(match["M"]),
                      int(seconds))
    if match["tz"]:
        offset = match["tz"]
        if offset == "Z":
            return result.replace(tzinfo=UTC)
        sign = -1 if offset[0] == "-" else 1
        hh, mm = int(offset[1:3]), int(offset[-2:])
        return result.replace(tzinfo=timezone(sign * timedelta(hours=hh, minutes=mm)))
    return result


def to_text(value: object) -> str | None:
    """Text form of any portable value (Excel-like: 3.0 → '3', TRUE/FALSE, ISO dates)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (to_text(v) for v in value) if t is not None)
    return str(value)
