"""Excel TEXT() format codes and PROPER, identical in Python, SQLite and PostgreSQL.

TEXT(value, format) — the format is split into ``;`` sections (positive;negative;zero;text:
a negative number uses the second section without its minus sign, zero the third). A section
is a *date* section when it holds a date/time code, otherwise a *number* section.

Number codes: ``0`` (digit, zero-padded), ``#`` (digit, optional), ``?`` (digit or space),
``.``, ``,`` between digits (thousands separator) or after them (÷1000 each), ``%`` (×100),
``E+``/``E-`` with exponent digits (``0.00E+00``; ``##0.0E+0`` is engineering notation),
``General``. Rounding is half away from zero on the decimal value (numbers.decimal_of).
Date codes: ``yy``/``yyyy``, ``m``/``mm``/``mmm``/``mmmm``/``mmmmm``, ``d``/``dd``/``ddd``/
``dddd``, ``h``/``hh``, ``m``/``mm`` as minutes right after an hour or right before seconds,
``s``/``ss``, ``AM/PM``, ``am/pm``, ``A/P``, Chinese ``上午/下午`` (these make the clock 12-hour),
``aaa`` (二) and ``aaaa`` (星期二). A number formatted with date codes is an Excel serial (1900
system: 45000 = 2023-03-15, 0 = 1900-01-00, 60 = the fictitious 1900-02-29) rounded to the
second; a date formatted with number codes is its serial.
Literals: ``"text"``, ``\\x``, ``_x`` (a space), ``*x`` (ignored: no column fill), ``[...]``
(colours, conditions, locales: ignored), and any other character as itself (年, 月, 日, -, /, :).
Not supported: elapsed time ``[h]``, fractional seconds ``ss.00``, fractions ``# ?/?``, and
literals between digit placeholders of a number that also uses a thousands separator.

SQL: ``tx_text_num(double, text)``, ``tx_text_date(date, text)``, ``tx_text_ts(timestamp,
text)``, ``tx_proper(text)`` in tessera/formula/pg/20_text_format.sql. NULL = #VALUE!
(a date outside 1900-01-00 … 9999-12-31).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from tessera.formula.excel import SqlFunction
from tessera.formula.excel.numbers import decimal_of, general_text

__all__ = ["format_text", "proper", "SQLITE_FUNCTIONS"]

MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()  # 0 = Sunday
CHINESE_WEEKDAYS = "日一二三四五六"
MAX_SERIAL = 2958466  # 10000-01-01 (exclusive)
_PRECISION = 1200


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # lit, y m d h s ampm ap cnampm aaa, 0 # ? . , % E general
    text: str


# ----------------------------------------------------------------------------- tokenizer


def split_sections(fmt: str) -> list[str]:
    """Split on ``;`` outside quotes and backslash escapes."""
    sections, current, i, quoted = [], [], 0, False
    while i < len(fmt):
        c = fmt[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and not quoted and i + 1 < len(fmt):
            current.append(fmt[i : i + 2])
            i += 2
            continue
        elif c == ";" and not quoted:
            sections.append("".join(current))
            current = []
            i += 1
            continue
        current.append(c)
        i += 1
    sections.append("".join(current))
    return sections


def tokenize(section: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(section)
    while i < n:
        c = section[i]
        low = c.lower()
        if c == '"':
            end = section.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(Token("lit", section[i + 1 : end]))
            i = end + 1
        elif c == "\\" or c == "_":
            if i + 1 < n:
                tokens.append(Token("lit", section[i + 1] if c == "\\" else " "))
            i += 2
        elif c == "*":
            i += 2
        elif c == "[":
            end = section.find("]", i)
            i = n if end < 0 else end + 1
        elif section[i : i + 5].lower() == "am/pm":
            tokens.append(Token("ampm", section[i : i + 5]))
            i += 5
        elif section[i : i + 3].lower() == "a/p":
            tokens.append(Token("ap", section[i : i + 3]))
            i += 3
        elif section.startswith("上午/下午", i):
            tokens.append(Token("cnampm", "上午/下午"))
            i += 5
        elif section[i : i + 7].lower() == "general":
            tokens.append(Token("general", section[i : i + 7]))
            i += 7
        elif low in "ymdhs" or (low == "a" and section[i : i + 3].lower() == "aaa"):
            j = i
            while j < n and section[j].lower() == low:
                j += 1
            tokens.append(Token("aaa" if low == "a" else low, section[i:j]))
            i = j
        elif low == "e" and i + 1 < n and section[i + 1] in "+-":
            tokens.append(Token("E", section[i : i + 2]))
            i += 2
        elif c in "0#?.,%":
            tokens.append(Token(c, c))
            i += 1
        elif c == "@":
            tokens.append(Token("general", c))
            i += 1
        else:
            tokens.append(Token("lit", c))
            i += 1
    return tokens


DATE_KINDS = frozenset({"y", "m", "d", "h", "s", "ampm", "ap", "cnampm", "aaa"})


def is_date_section(tokens: list[Token]) -> bool:
    return any(t.kind in DATE_KINDS for t in tokens)


def choose_section(sections: list[str], value: float) -> tuple[str, bool]:
    """(section, whether to write a minus sign) for a number, as Excel picks them."""
    if value < 0 and len(sections) >= 2:
        return sections[1], False
    if value == 0 and len(sections) >= 3:
        return sections[2], False
    return sections[0], value < 0


# --------------------------------------------------------------------------- number codes


def _round_to(d: Decimal, places: int) -> Decimal:
    with localcontext(prec=_PRECISION):
        return d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _group(digits: str) -> str:
    """Thousands separators: ``1234567`` → ``1,234,567``."""
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def format_number(tokens: list[Token], value: float) -> str:
    """Format ``abs(value)`` with a number section (the caller adds any minus sign)."""
    kinds = [t.kind for t in tokens]
    if "general" in kinds:
        text = general_text(abs(value)) or ""
        kept = [t for t in tokens if t.kind in ("lit", "general")]
        return "".join(text if t.kind == "general" else t.text for t in kept)
    exp_at = kinds.index("E") if "E" in kinds else len(tokens)
    point_at = kinds.index(".") if "." in kinds[:exp_at] else exp_at
    placeholders = [i for i, k in enumerate(kinds) if k in "0#?" and len(k) == 1]
    int_ph = [i for i in placeholders if i < point_at]
    frac_ph = [i for i in placeholders if point_at < i < exp_at]
    exp_ph = [i for i in placeholders if i > exp_at]
    grouping = scale = 0
    last_digit = max((i for i in placeholders if i < exp_at), default=-1)
    for i, k in enumerate(kinds):
        if k == "," and int_ph and int_ph[0] < i < int_ph[-1]:
            grouping = 1
        elif k == "," and 0 <= last_digit < i < exp_at:
            scale += 1
    with localcontext(prec=_PRECISION):
        d = abs(decimal_of(value)).scaleb(2 * kinds.count("%") - 3 * scale)
        exponent = 0
        if exp_at < len(tokens):
            width = max(1, len(int_ph))
            if d:
                exponent = d.adjusted() - (d.adjusted() % width)
            mantissa = _round_to(d.scaleb(-exponent), len(frac_ph))
            if mantissa >= Decimal(10) ** width:
                exponent += width
                mantissa = _round_to(d.scaleb(-exponent), len(frac_ph))
            d = mantissa
        else:
            d = _round_to(d, len(frac_ph))
    whole, _, fraction = f"{d:f}".partition(".")
    whole = whole.lstrip("0")
    fraction = fraction.ljust(len(frac_ph), "0")
    out = [""] * len(tokens)
    for i, t in enumerate(tokens):
        if t.kind == "lit" or t.kind == "%":
            out[i] = t.text
        elif t.kind == ".":
            out[i] = "." if i == point_at else ""
    # integer placeholders, filled from the right; the leftmost takes any extra digits
    if grouping and int_ph:
        zeros = sum(1 for i in int_ph if kinds[i] == "0")
        digits = whole.rjust(zeros, "0")
        out[int_ph[0]] = _group(digits)
    else:
        remaining = whole
        for position, i in enumerate(reversed(int_ph)):
            leftmost = position == len(int_ph) - 1
            if remaining:
                out[i] = remaining if leftmost else remaining[-1]
                remaining = "" if leftmost else remaining[:-1]
            else:
                out[i] = {"0": "0", "#": "", "?": " "}[kinds[i]]
    # fraction placeholders, trailing zeros dropped for # and blanked for ?
    trailing = True
    for position in range(len(frac_ph) - 1, -1, -1):
        i, digit = frac_ph[position], fraction[position]
        if trailing and digit == "0" and kinds[i] != "0":
            out[i] = "" if kinds[i] == "#" else " "
        else:
            trailing = False
            out[i] = digit
    if exp_at < len(tokens):
        sign = "-" if exponent < 0 else ("+" if tokens[exp_at].text[1] == "+" else "")
        zeros = sum(1 for i in exp_ph if kinds[i] == "0")
        out[exp_at] = tokens[exp_at].text[0] + sign
        text = str(abs(exponent)).rjust(zeros, "0")
        for i in exp_ph:
            out[i] = ""
        if exp_ph:
            out[exp_ph[0]] = text
    return "".join(out)


# ----------------------------------------------------------------------------- date codes


@dataclass(frozen=True, slots=True)
class DateParts:
    year: int
    month: int
    day: int
    weekday: int  # 0 = Sunday
    hour: int = 0
    minute: int = 0
    second: int = 0


def parts_from_serial(serial: float) -> DateParts | None:
    """Excel 1900 serial → parts, rounded to the second. None (#VALUE!) out of range."""
    if not math.isfinite(serial) or serial < 0 or serial >= MAX_SERIAL:
        return None
    seconds = int(_round_to(decimal_of(serial) * 86400, 0))
    days, secs = divmod(seconds, 86400)
    if days >= MAX_SERIAL:
        return None
    weekday = (days - 1) % 7
    if days == 0:
        y, m, d = 1900, 1, 0
    elif days == 60:
        y, m, d = 1900, 2, 29
    else:
        date = dt.date(1899, 12, 31 if days < 60 else 30) + dt.timedelta(days=days)
        y, m, d = date.year, date.month, date.day
    return DateParts(y, m, d, weekday, secs // 3600, secs // 60 % 60, secs % 60)


def parts_from_datetime(value: dt.date) -> DateParts | None:
    if isinstance(value, dt.datetime):
        if value.microsecond >= 500_000:
            if value >= dt.datetime(9999, 12, 31, 23, 59, 59):
                return None
            value = value + dt.timedelta(seconds=1)
        value = value.replace(microsecond=0)
        return DateParts(
            value.year, value.month, value.day, value.isoweekday() % 7,
            value.hour, value.minute, value.second,
        )  # fmt: skip
    return DateParts(value.year, value.month, value.day, value.isoweekday() % 7)


def serial_of(value: dt.date) -> float | None:
    """The Excel serial of a date or datetime (None before 1900-01-01)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    days = (day - dt.date(1899, 12, 30 if day >= dt.date(1900, 3, 1) else 31)).days
    if days < 1:
        return None
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return days + seconds / 86400.0
    return float(days)


def _minute_positions(tokens: list[Token]) -> set[int]:
    """Indexes of m/mm tokens meaning minutes: right after an hour or right before seconds."""
    dated = [i for i, t in enumerate(tokens) if t.kind in ("y", "m", "d", "h", "s")]
    minutes = set()
    for position, i in enumerate(dated):
        if tokens[i].kind != "m" or len(tokens[i].text) > 2:
            continue
        before = tokens[dated[position - 1]].kind if position > 0 else ""
        after = tokens[dated[position + 1]].kind if position + 1 < len(dated) else ""
        if before == "h" or after == "s":
            minutes.add(i)
    return minutes


def format_date(tokens: list[Token], p: DateParts) -> str:
    twelve = any(t.kind in ("ampm", "ap", "cnampm") for t in tokens)
    minutes = _minute_positions(tokens)
    out = []
    for i, t in enumerate(tokens):
        size = len(t.text)
        if t.kind == "y":
            out.append(f"{p.year % 100:02d}" if size <= 2 else f"{p.year:04d}")
        elif t.kind == "m" and i in minutes:
            out.append(f"{p.minute:02d}" if size == 2 else str(p.minute))
        elif t.kind == "m":
            if size <= 2:
                out.append(f"{p.month:0{size}d}")
            else:
                name = MONTHS[p.month - 1]
                out.append(name[:3] if size == 3 else name[0] if size == 5 else name)
        elif t.kind == "d":
            if size <= 2:
                out.append(f"{p.day:0{size}d}")
            else:
                out.append(WEEKDAYS[p.weekday][:3] if size == 3 else WEEKDAYS[p.weekday])
        elif t.kind == "h":
            hour = (p.hour % 12 or 12) if twelve else p.hour
            out.append(f"{hour:0{min(size, 2)}d}")
        elif t.kind == "s":
            out.append(f"{p.second:0{min(size, 2)}d}")
        elif t.kind == "aaa":
            day = CHINESE_WEEKDAYS[p.weekday]
            out.append(day if size == 3 else "星期" + day)
        elif t.kind in ("ampm", "ap"):
            text = ("AM" if p.hour < 12 else "PM")[: 2 if t.kind == "ampm" else 1]
            out.append(text.lower() if t.text[0].islower() else text)
        elif t.kind == "cnampm":
            out.append("上午" if p.hour < 12 else "下午")
        elif t.kind in ("lit", "general"):
            out.append(t.text if t.kind == "lit" else "")
        else:  # number placeholders inside a date section are written as they are
            out.append(t.text)
    return "".join(out)


# ------------------------------------------------------------------------------- TEXT()


def format_text(value: float | dt.date, fmt: str) -> str | None:
    """Excel TEXT(value, fmt) for a number, date or datetime. None = #VALUE!."""
    sections = split_sections(fmt)
    if isinstance(value, dt.date):
        tokens = tokenize(sections[0])
        if is_date_section(tokens):
            parts = parts_from_datetime(value)
            return None if parts is None else format_date(tokens, parts)
        serial = serial_of(value)
        if serial is None:
            return None
        value = serial
    if not math.isfinite(value):
        return None
    section, minus = choose_section(sections, value)
    tokens = tokenize(section)
    if is_date_section(tokens):
        parts = parts_from_serial(value)  # a negative serial is #VALUE!, as in Excel
        return None if parts is None else format_date(tokens, parts)
    text = format_number(tokens, value)
    return "-" + text if minus else text


# ------------------------------------------------------------------------------- PROPER

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def proper(s: str) -> str:
    """Excel PROPER: a letter after a non-letter is upper-cased, every other letter
    lower-cased (``"2-way STREET"`` → ``"2-Way Street"``, ``"don't"`` → ``"Don'T"``).
    Letters are A–Z/a–z: other scripts are left as they are on every backend."""
    out, previous_letter = [], False
    for c in s:
        letter = c.isascii() and c.isalpha()
        if letter:
            out.append(c.translate(_LOWER if previous_letter else _UPPER))
        else:
            out.append(c)
        previous_letter = letter
    return "".join(out)


# ------------------------------------------------------------------------ SQLite wrappers


def _sqlite_text_num(value: Any, fmt: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not isinstance(fmt, str):
        return None
    return format_text(float(value), fmt)


def _sqlite_text_date(value: Any, fmt: Any) -> str | None:
    if not isinstance(value, str) or not isinstance(fmt, str):
        return None
    try:
        parsed: dt.date = dt.date.fromisoformat(value[:10])
        if len(value) > 10:
            parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return format_text(parsed, fmt)


def _sqlite_proper(s: Any) -> str | None:
    return proper(s) if isinstance(s, str) else None


SQLITE_FUNCTIONS = [
    SqlFunction("tx_text_num", 2, _sqlite_text_num),
    SqlFunction("tx_text_date", 2, _sqlite_text_date),
    SqlFunction("tx_text_ts", 2, _sqlite_text_date),
    SqlFunction("tx_proper", 1, _sqlite_proper),
]
