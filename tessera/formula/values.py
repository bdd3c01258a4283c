"""The runtime value model of the interpreter and the coercions between kinds.

Values: ``None`` (blank), ``float`` (number), ``str`` (non-empty text), ``bool``,
``datetime.date``, ``datetime.datetime`` (whole seconds), ``list`` (a ``{Link}.{Field}`` list or
an ``ALL()`` column) and :class:`ExcelError`. Each coercion returns the converted value or an
ExcelError; the SQL compiler mirrors every one of them (``sqlcompile.convert``).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from tessera.formula.excel import numbers as xnumbers

__all__ = [
    "ExcelError", "DIV0", "VALUE", "NUM", "NA", "ERROR_CODES", "error_from_code",
    "normalize_input", "to_number", "to_text", "to_boolean", "to_date", "to_datetime",
    "date_to_serial", "serial_to_date", "serial_to_datetime", "ascii_lower", "check_number",
]

EPOCH = dt.date(1899, 12, 30)
EPOCH_DT = dt.datetime(1899, 12, 30)


class ExcelError:
    """A runtime error value; ``str()`` is its Excel code (``#DIV/0!``)."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"ExcelError({self.code!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelError) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)


DIV0 = ExcelError("#DIV/0!")
VALUE = ExcelError("#VALUE!")
NUM = ExcelError("#NUM!")
NA = ExcelError("#N/A")
ERROR_CODES = {e.code: e for e in (DIV0, VALUE, NUM, NA)}


def error_from_code(code: str) -> ExcelError:
    return ERROR_CODES.get(code.upper()) or ExcelError(code.upper())


def ascii_lower(s: str) -> str:
    """Lower-casing that SQLite's lower() and PostgreSQL's lower(x COLLATE "C") share."""
    return s.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def normalize_input(value: Any) -> Any:
    """A Python value given by a caller, in the runtime model ('' is blank, ints are floats)."""
    if value is None or isinstance(value, bool | ExcelError):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        return value or None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, list | tuple):
        return [normalize_input(v) for v in value]
    raise TypeError(f"unsupported value {value!r}")


def check_number(x: float) -> float | ExcelError:
    """Infinite or NaN results are #NUM! (Excel's limit)."""
    return x if math.isfinite(x) else NUM


def date_to_serial(d: dt.date) -> float:
    if isinstance(d, dt.datetime):
        delta = d - EPOCH_DT
        return delta.days + delta.seconds / 86400
    return float((d - EPOCH).days)


def serial_to_date(n: float) -> dt.date | ExcelError:
    try:
        return EPOCH + dt.timedelta(days=math.floor(n))
    except (OverflowError, ValueError):
        return NUM


def round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def serial_to_datetime(n: float) -> dt.datetime | ExcelError:
    try:
        return EPOCH_DT + dt.timedelta(seconds=round_half_away(n * 86400))
    except (OverflowError, ValueError):
        return NUM


def to_number(v: Any) -> float | ExcelError:
    """Arithmetic coercion: blank 0, booleans 1/0, dates their serial, numeric text."""
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if isinstance(v, str):
        n = xnumbers.to_number(v)
        return VALUE if n is None else float(n)
    if isinstance(v, dt.date):
        return date_to_serial(v)
    if isinstance(v, ExcelError):
        return v
    return VALUE  # a list


def to_text(v: Any) -> str | ExcelError:
    """Text coercion as by ``&``: General number format, TRUE/FALSE, ISO dates."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return xnumbers.general_text(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, ExcelError):
        return v
    return VALUE


def to_boolean(v: Any) -> bool | ExcelError:
    """Logical coercion: blank FALSE, numbers <> 0, text "TRUE"/"FALSE" only."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return v != 0
    if isinstance(v, str):
        low = ascii_lower(v)
        if low == "true":
            return True
        if low == "false":
            return False
        return VALUE
    if isinstance(v, dt.date):
        return date_to_serial(v) != 0
    if isinstance(v, ExcelError):
        return v
    return VALUE


def to_date(v: Any) -> dt.date | None | ExcelError:
    """Date coercion where a function expects a date: numbers are serials, text is parsed."""
    if v is None or isinstance(v, ExcelError):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        return VALUE
    if isinstance(v, float):
        return _excel_serial(v, "date")
    if isinstance(v, str):
        d = _parse_date(v)
        if d is None:
            return VALUE
        return d.date() if isinstance(d, dt.datetime) else d
    return VALUE


def to_datetime(v: Any) -> dt.datetime | None | ExcelError:
    if v is None or isinstance(v, ExcelError):
        return v
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, bool):
        return VALUE
    if isinstance(v, float):
        return _excel_serial(v, "datetime")
    if isinstance(v, str):
        d = _parse_date(v)
        if d is None:
            return VALUE
        return d if isinstance(d, dt.datetime) else dt.datetime(d.year, d.month, d.day)
    return VALUE


def _excel_serial(n: float, kind: str) -> dt.date | ExcelError:
    """A number given where a date is expected: an Excel serial, #NUM! outside the supported
    range 0 (1899-12-30) .. 2958465 (9999-12-31), as the primitives (tx_serial_to_date) say."""
    from tessera.formula.excel import dates as xdates

    r = xdates.serial_to_date(n) if kind == "date" else xdates.serial_to_datetime(n)
    return NUM if r is None else r


def _parse_date(s: str) -> dt.date | None:
    from tessera.formula.excel import dates as xdates  # the primitives' text → date parser

    return xdates.to_date(s)
