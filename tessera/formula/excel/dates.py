"""Excel date primitives: text→date parsing, serial numbers and the date functions.

**Serials.** Excel's 1900 date system numbers days from an epoch; here the epoch is
1899-12-30 (serial 0), the same as SQLite ``julianday(d) - 2415018.5`` and the formula core's
date arithmetic. Every serial from 61 (1900-03-01) on is Excel's serial. Excel believes
1900 was a leap year: its serial 60 is the fictitious 1900-02-29 and its serials 1–59 are one
day later than ours. Tessera has no 1900-02-29: serial 60 is 1900-02-28 and serial 1 is
1899-12-31 (as in LibreOffice and Google Sheets). Supported dates run from 1899-12-30 to
9999-12-31 (serials 0 to 2958465); a date argument or a result outside that range is
#NUM!. A datetime's serial
counts whole seconds (microseconds are ignored): ``(days * 86400 + seconds) / 86400``, one
correctly rounded division, so Python and both SQL dialects agree bit for bit.

**Text → date** (DATEVALUE and coercion), year first only, with optional surrounding spaces:
``2024-01-05``, ``2024/1/5``, ``2024.1.5`` (dotted dates are common in Chinese writing and
cannot be mistaken for numbers), ``2024年1月5日``; optionally followed by a time ``14:30`` or
``14:30:15`` (fractions of a second allowed) after spaces or a ``T`` (after ``日`` the space
is optional). Years 1900–9999. Impossible dates (``2024-02-30``) and times (``24:00``) are
#VALUE!. Without a time the result is a ``date``, with one a ``datetime``.

SQL calling convention: a failure is NULL and each docstring names the Excel error it stands
for. On SQLite dates travel as ISO text (``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``, both
accepted wherever a date is expected); on PostgreSQL as ``date`` / ``timestamp``
(tessera/formula/pg/25_dates.sql holds the twins).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from tessera.formula.excel import SqlFunction

__all__ = [
    "to_date",
    "serial_to_date",
    "serial_to_datetime",
    "date_to_serial",
    "excel_date",
    "edate",
    "eomonth",
    "datedif",
    "yearfrac",
    "networkdays",
    "workday",
    "weeknum",
    "weekday",
    "MIN_DATE",
    "MAX_DATE",
    "SQLITE_FUNCTIONS",
]

EPOCH = dt.date(1899, 12, 30)
MIN_DATE = EPOCH
MAX_DATE = dt.date(9999, 12, 31)
MAX_SERIAL = (MAX_DATE - EPOCH).days  # 2958465
_MONDAY_0 = dt.date(1899, 12, 25)  # a Monday before the epoch: origin of weekday counting

# ------------------------------------------------------------------------------ parsing

_TIME = r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]{1,6}))?)?"
DATE_TEXT_PATTERN = (
    r"^ *(?:([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?:(?: +|T)" + _TIME + r")?"
    r"|([0-9]{4})年 *([0-9]{1,2}) *月 *([0-9]{1,2}) *日(?: *" + _TIME + r")?) *$"
)
_DATE_TEXT = re.compile(DATE_TEXT_PATTERN)


def to_date(s: str) -> dt.date | dt.datetime | None:
    """Read year-first date text (see the module docstring); None means #VALUE!."""
    if not isinstance(s, str):
        return None
    m = _DATE_TEXT.fullmatch(s)
    if m is None:
        return None
    g = m.groups()
    if g[0] is not None:
        y, mo, d, time_parts = g[0], g[2], g[3], g[4:8]
    else:
        y, mo, d, time_parts = g[8], g[9], g[10], g[11:15]
    year, month, day = int(y), int(mo), int(d)
    if year < 1900:
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    hour, minute, second, fraction = time_parts
    if hour is None:
        return date
    h, mi, sec = int(hour), int(minute), int(second or 0)
    if h > 23 or mi > 59 or sec > 59:
        return None
    micro = int((fraction or "").ljust(6, "0"))
    return dt.datetime(year, month, day, h, mi, sec, micro)


# ------------------------------------------------------------------------------ serials


def _in_range(d: dt.date) -> bool:
    return MIN_DATE <= (d.date() if isinstance(d, dt.datetime) else d) <= MAX_DATE


def _finite(*xs: float) -> bool:
    return all(isinstance(x, int | float) and math.isfinite(x) for x in xs)


def serial_to_date(n: float) -> dt.date | None:
    """The date of an Excel serial (the fraction, a time of day, is dropped). None = #NUM!
    (outside serials 0–2958465)."""
    if not _finite(n) or n < 0 or n >= MAX_SERIAL + 1:
        return None
    return EPOCH + dt.timedelta(days=math.floor(n))


def serial_to_datetime(n: float) -> dt.datetime | None:
    """The datetime of an Excel serial, rounded to the nearest second (halves up). None =
    #NUM! (outside serials 0–2958465.99999)."""
    if not _finite(n) or n < 0 or n >= MAX_SERIAL + 1:
        return None
    seconds = math.floor(n * 86400 + 0.5)
    if seconds > (MAX_SERIAL + 1) * 86400 - 1:
        return None
    return dt.datetime(1899, 12, 30) + dt.timedelta(seconds=seconds)


def date_to_serial(d: dt.date) -> float:
    """The Excel serial of a date (whole) or datetime (with the time as a fraction, whole
    seconds)."""
    if isinstance(d, dt.datetime):
        delta = d.replace(microsecond=0) - dt.datetime(1899, 12, 30)
        return (delta.days * 86400 + delta.seconds) / 86400
    return float((d - EPOCH).days)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date, for any integer year."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_EPOCH_DAYS = _days_from_civil(1899, 12, 30)


def _from_serial_int(serial: int) -> dt.date | None:
    if serial < 0 or serial > MAX_SERIAL:
        return None
    return EPOCH + dt.timedelta(days=serial)


def excel_date(year: float, month: float, day: float) -> dt.date | None:
    """Excel DATE: arguments truncated toward zero; years 0–1899 mean 1900–3799; months and
    days overflow into the next/previous months and years (DATE(2024,14,1) = 2025-02-01,
    DATE(2024,1,0) = 2023-12-31). None = #NUM! (year < 0 or >= 10000, an argument of
    magnitude 2^53 or more, or a result outside 1899-12-30..9999-12-31)."""
    if not _finite(year, month, day) or max(abs(year), abs(month), abs(day)) >= 2**53:
        return None
    y, m, d = int(year), int(month), int(day)
    if y < 0 or y >= 10000:
        return None
    if y < 1900:
        y += 1900
    years, month0 = divmod(y * 12 + m - 1, 12)
    serial = _days_from_civil(years, month0 + 1, 1) - _EPOCH_DAYS + d - 1
    return _from_serial_int(serial)


# ----------------------------------------------------------------------- month arithmetic


def _as_date(d: dt.date) -> dt.date | None:
    """A date argument: a datetime's date; None (#NUM!) outside 1899-12-30..9999-12-31."""
    d = d.date() if isinstance(d, dt.datetime) else d
    return d if MIN_DATE <= d <= MAX_DATE else None


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _shift_month(d: dt.date, months: float) -> tuple[int, int] | None:
    if not _finite(months) or abs(months) > 1e6:
        return None
    year, month0 = divmod(d.year * 12 + d.month - 1 + int(months), 12)
    if year < 1899 or year > 9999:
        return None
    return year, month0 + 1


def edate(d: dt.date, months: float) -> dt.date | None:
    """Excel EDATE: the same day ``months`` (truncated) months later, clamped to the month's
    last day (EDATE(2024-01-31, 1) = 2024-02-29). None = #NUM! (out of range)."""
    d = _as_date(d)
    ym = None if d is None else _shift_month(d, months)
    if d is None or ym is None:
        return None
    r = dt.date(ym[0], ym[1], min(d.day, _month_length(*ym)))
    return r if _in_range(r) else None


def eomonth(d: dt.date, months: float) -> dt.date | None:
    """Excel EOMONTH: the last day of the month ``months`` (truncated) months later. None =
    #NUM! (out of range)."""
    d = _as_date(d)
    ym = None if d is None else _shift_month(d, months)
    if d is None or ym is None:
        return None
    r = dt.date(ym[0], ym[1], _month_length(*ym))
    return r if _in_range(r) else None


# ------------------------------------------------------------------------------ DATEDIF


def datedif(d1: dt.date, d2: dt.date, unit: str) -> float | None:
    """Excel DATEDIF. Units (case-insensitive): ``Y`` complete years, ``M`` complete months,
    ``D`` days, ``YM`` months ignoring years, ``YD`` days ignoring years, ``MD`` days ignoring
    months and years — with Excel's quirk: when the end day is before the start day, MD counts
    from the start day in the month before the end date, overflowing as DATE does
    (DATEDIF(2015-01-31, 2015-03-01, "MD") = -2). For YD the end date moves into the start
    date's year (or the next one), so 1988-06-22..2012-05-11 is 323 as in Excel.
    None = #NUM! (start after end, or an unknown unit)."""
    if not isinstance(unit, str):
        return None
    d1, d2 = _as_date(d1), _as_date(d2)
    if d1 is None or d2 is None or d1 > d2:
        return None
    u = unit.upper()
    months = (d2.year - d1.year) * 12 + d2.month - d1.month - (d2.day < d1.day)
    if u == "D":
        return float((d2 - d1).days)
    if u == "M":
        return float(months)
    if u == "Y":
        return float(months // 12)
    if u == "YM":
        return float(months % 12)
    if u == "MD":
        if d2.day >= d1.day:
            return float(d2.day - d1.day)
        start = excel_date(d2.year, d2.month - 1, d1.day)
        return None if start is None else float((d2 - start).days)
    if u == "YD":
        year = d1.year if (d2.month, d2.day) >= (d1.month, d1.day) else d1.year + 1
        end = excel_date(year, d2.month, d2.day)
        return None if end is None else float((end - d1).days)
    return None


# ------------------------------------------------------------------------------ YEARFRAC


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _last_of_feb(d: dt.date) -> bool:
    return d.month == 2 and d.day == _month_length(d.year, 2)


def _feb29_between(d1: dt.date, d2: dt.date) -> bool:
    mar1 = dt.date(d1.year, 3, 1)
    if _is_leap(d1.year) and d1 < mar1 <= d2:
        return True
    mar1 = dt.date(d2.year, 3, 1)
    return _is_leap(d2.year) and d2 >= mar1 > d1


def _days360(d1: dt.date, day1: int, d2: dt.date, day2: int) -> float:
    return ((day2 + d2.month * 30 + d2.year * 360) - (day1 + d1.month * 30 + d1.year * 360)) / 360


def yearfrac(d1: dt.date, d2: dt.date, basis: float = 0) -> float | None:
    """Excel YEARFRAC; the dates may come in either order. Basis (truncated): 0 US 30/360
    (with Excel's end-of-February rules), 1 actual/actual (Excel's: the year length is 365 or
    366 within one year, else the average length of the years spanned), 2 actual/360,
    3 actual/365, 4 European 30/360. None = #NUM! (basis outside 0–4)."""
    if not _finite(basis) or not 0 <= int(basis) <= 4:
        return None
    b = int(basis)
    d1, d2 = _as_date(d1), _as_date(d2)
    if d1 is None or d2 is None:
        return None
    if d1 > d2:
        d1, d2 = d2, d1
    days = (d2 - d1).days
    if b == 0:
        day1, day2 = d1.day, d2.day
        if _last_of_feb(d1) and _last_of_feb(d2):
            day2 = 30
        if _last_of_feb(d1):
            day1 = 30
        if day2 == 31 and day1 >= 30:
            day2 = 30
        if day1 == 31:
            day1 = 30
        return _days360(d1, day1, d2, day2)
    if b == 1:
        within_year = d1.year == d2.year or (
            d1.year + 1 == d2.year and (d1.month, d1.day) >= (d2.month, d2.day)
        )
        if within_year:
            if d1.year == d2.year and _is_leap(d1.year):
                length = 366.0
            elif _feb29_between(d1, d2) or (d2.month == 2 and d2.day == 29):
                length = 366.0
            else:
                length = 365.0
            return days / length
        years = d2.year - d1.year + 1
        span = _days_from_civil(d2.year + 1, 1, 1) - _days_from_civil(d1.year, 1, 1)
        return days / (span / years)
    if b == 2:
        return days / 360
    if b == 3:
        return days / 365
    return _days360(d1, min(d1.day, 30), d2, min(d2.day, 30))


# ------------------------------------------------------------------------------ weekdays


def _weekdays_through(d: dt.date) -> int:
    """Mondays-to-Fridays from 1899-12-25 (a Monday) through ``d`` inclusive."""
    n = (d - _MONDAY_0).days
    return 5 * (n // 7) + min(n % 7 + 1, 5)


def networkdays(d1: dt.date, d2: dt.date) -> float | None:
    """Excel NETWORKDAYS without holidays: Mondays to Fridays from d1 to d2 inclusive,
    negative when d2 is before d1. None = #NUM! (a date out of range)."""
    d1, d2 = _as_date(d1), _as_date(d2)
    if d1 is None or d2 is None:
        return None
    if d2 < d1:
        return -float(_weekdays_through(d1) - _weekdays_through(d2 - dt.timedelta(days=1)))
    return float(_weekdays_through(d2) - _weekdays_through(d1 - dt.timedelta(days=1)))


def workday(d: dt.date, days: float) -> dt.date | None:
    """Excel WORKDAY without holidays: the date ``days`` (truncated) weekdays after (before,
    when negative) d; 0 gives d itself. None = #NUM! (out of range)."""
    d = _as_date(d)
    if d is None or not _finite(days) or abs(days) > 1e7:
        return None
    n = int(days)
    if n == 0:
        return d
    if n > 0:
        target = _weekdays_through(d) + n
    else:
        target = _weekdays_through(d - dt.timedelta(days=1)) + n + 1
    if target < 1:
        return None
    k = target - 1
    return _from_serial_int((_MONDAY_0 - EPOCH).days + 7 * (k // 5) + k % 5)


# Week-start day (Python weekday(): Monday 0 .. Sunday 6) of each WEEKNUM return type.
WEEKNUM_START = {1: 6, 2: 0, 11: 0, 12: 1, 13: 2, 14: 3, 15: 4, 16: 5, 17: 6}
# (first day numbered, number it gets) of each WEEKDAY return type.
WEEKDAY_TYPES = {1: (6, 1), 2: (0, 1), 3: (0, 0), 11: (0, 1), 12: (1, 1), 13: (2, 1),
                 14: (3, 1), 15: (4, 1), 16: (5, 1), 17: (6, 1)}


def weeknum(d: dt.date, return_type: float = 1) -> float | None:
    """Excel WEEKNUM: the week containing 1 January is week 1, weeks start on the day named
    by return_type (1 Sunday, 2 Monday, 11–17 Monday–Sunday); 21 is the ISO week number.
    None = #NUM! (another return_type)."""
    if not _finite(return_type):
        return None
    t = int(return_type)
    d = _as_date(d)
    if d is None:
        return None
    if t == 21:
        return float(d.isocalendar()[1])
    if t not in WEEKNUM_START:
        return None
    jan1 = dt.date(d.year, 1, 1)
    offset = (jan1.weekday() - WEEKNUM_START[t]) % 7
    return float(((d - jan1).days + offset) // 7 + 1)


def weekday(d: dt.date, return_type: float = 1) -> float | None:
    """Excel WEEKDAY: 1 Sunday=1..Saturday=7, 2 Monday=1..Sunday=7, 3 Monday=0..Sunday=6,
    11–17 start at Monday..Sunday = 1. None = #NUM! (another return_type)."""
    if not _finite(return_type):
        return None
    t = int(return_type)
    d = _as_date(d)
    if d is None or t not in WEEKDAY_TYPES:
        return None
    first, base = WEEKDAY_TYPES[t]
    return float((d.weekday() - first) % 7 + base)


# ------------------------------------------------------------------------ SQLite wrappers


def sqlite_date(value: Any) -> dt.date | None:
    """An ISO date or datetime text from SQLite as a date (None when it is not one)."""
    ts = sqlite_datetime(value)
    return None if ts is None else ts.date()


def sqlite_datetime(value: Any) -> dt.datetime | None:
    """An ISO date or datetime text from SQLite as a datetime (None when it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _iso(value: Any) -> Any:
    if not isinstance(value, dt.date):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    return value.isoformat()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "d": sqlite_date, "t": sqlite_datetime, "n": _number,
    "s": lambda v: v if isinstance(v, str) else None,
}


def _sqlite(fn: Callable[..., Any], kinds: str) -> Callable[..., Any]:
    """Wrap ``fn`` for SQLite: arguments converted by kind (d date, t datetime, n number,
    s text), NULL or unreadable arguments give NULL, dates come back as ISO text."""

    def wrapper(*args: Any) -> Any:
        converted = [_CONVERT[k](a) for k, a in zip(kinds, args, strict=True)]
        if any(c is None for c in converted):
            return None
        return _iso(fn(*converted))

    wrapper.__name__ = f"sqlite_{fn.__name__}"
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _text_to_date(s: str) -> dt.date | None:
    r = to_date(s)
    return r.date() if isinstance(r, dt.datetime) else r


def _text_to_datetime(s: str) -> dt.datetime | None:
    r = to_date(s)
    if r is None or isinstance(r, dt.datetime):
        return r
    return dt.datetime(r.year, r.month, r.day)


SQLITE_FUNCTIONS = [
    SqlFunction("tx_to_date", 1, _sqlite(_text_to_date, "s")),
    SqlFunction("tx_to_datetime", 1, _sqlite(_text_to_datetime, "s")),
    SqlFunction("tx_serial_to_date", 1, _sqlite(serial_to_date, "n")),
    SqlFunction("tx_serial_to_datetime", 1, _sqlite(serial_to_datetime, "n")),
    SqlFunction("tx_date_to_serial", 1, _sqlite(date_to_serial, "t")),
    SqlFunction("tx_date", 3, _sqlite(excel_date, "nnn")),
    SqlFunction("tx_edate", 2, _sqlite(edate, "dn")),
    SqlFunction("tx_eomonth", 2, _sqlite(eomonth, "dn")),
    SqlFunction("tx_datedif", 3, _sqlite(datedif, "dds")),
    SqlFunction("tx_yearfrac", 3, _sqlite(yearfrac, "ddn")),
    SqlFunction("tx_networkdays", 2, _sqlite(networkdays, "dd")),
    SqlFunction("tx_workday", 2, _sqlite(workday, "dn")),
    SqlFunction("tx_weeknum", 2, _sqlite(weeknum, "dn")),
    SqlFunction("tx_weekday", 2, _sqlite(weekday, "dn")),
]
