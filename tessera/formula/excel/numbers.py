"""Excel number primitives: General format, text→number coercion and decimal rounding.

"Decimal value" of a double means its shortest round-trip decimal (PostgreSQL 12+
``float8::text``; Python ``repr`` with one boundary fix, see decimal_of), so
``ROUND(1.005, 2)`` rounds the decimal 1.005 and gives 1.01, as Excel does, instead of the
binary 1.00499999999999989... All rounding here is exact decimal arithmetic on that value
(PostgreSQL: ``numeric``), and the decimal result is turned back into the nearest double —
both steps are correctly rounded on every backend, so Python,
SQLite and PostgreSQL agree bit for bit (tests/formula/test_excel_numbers.py).

SQL calling convention: NULL in → NULL out; a failure is NULL and each docstring names the
Excel error it stands for. Non-finite doubles (never produced by Excel) are failures too.
"""

from __future__ import annotations

import math
import re
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    localcontext,
)
from typing import Any

from tessera.formula.excel import SqlFunction

__all__ = [
    "general_text",
    "general_text_exact",
    "to_number",
    "round_half_away",
    "roundup",
    "rounddown",
    "trunc",
    "mround",
    "ceiling",
    "floor",
    "decimal_of",
    "decimal_of_exact",
    "round_exact",
    "SQLITE_FUNCTIONS",
]

MAX_DOUBLE = Decimal(repr(1.7976931348623157e308))
MIN_NORMAL = Decimal(repr(2.2250738585072014e-308))
# Digit arguments of ROUND & co. are truncated and clamped to this range: beyond it the
# result no longer changes (a double has at most ~770 significant decimal places).
MAX_DIGITS = 400
_PRECISION = 1200
# Written exponents beyond this are decided by their sign alone (PostgreSQL's numeric input
# stops at 1000); only a mantissa of 700+ digits could make that wrong.
MAX_EXPONENT = 1000  # exact arithmetic for every quotient/rounding of doubles


# Below 2**53 in magnitude, no decimal of at most 17 significant digits (what repr writes) lies
# exactly halfway between two doubles: such a midpoint is odd * 2**q with q < 0, whose decimal
# expansion needs more than 17 significant digits (at least 53 - p fraction digits for
# 2**p <= |x| < 2**53, and 53*log10(2) + |q|*log10(5) > 17 digits below 1). So repr is
# PostgreSQL's shortest output there, and the exact check below is only needed above.
_NO_BOUNDARY = 2.0**53
# Rounding a decimal of at most 17 significant digits keeps at most 18 (a carry): this
# context is exact for every quantize below (1200 digits are only needed by decimal_of_exact).
_FAST = Context(prec=40, Emax=MAX_EXPONENT * 10, Emin=-MAX_EXPONENT * 10)


def decimal_of(x: float) -> Decimal:
    """The shortest decimal that reads back as ``x`` (``-0.0`` → ``0``), as PostgreSQL prints it.

    Python's ``repr`` may return a decimal lying exactly on the boundary between two doubles
    (it reads back correctly only thanks to round-half-even); PostgreSQL's shortest output
    never does, and uses one more digit instead. We follow PostgreSQL so both agree. Below
    2**53 that cannot happen (see _NO_BOUNDARY), and repr is the answer directly;
    tests/formula/test_excel_numbers.py checks the two paths against each other.
    """
    if not x:
        return Decimal(0)
    if -_NO_BOUNDARY < x < _NO_BOUNDARY:
        return Decimal(repr(float(x)))
    return decimal_of_exact(x)


def decimal_of_exact(x: float) -> Decimal:
    """:func:`decimal_of` by exact decimal arithmetic at any magnitude (the reference path)."""
    if not x:
        return Decimal(0)
    d = Decimal(repr(float(x)))
    exact = Decimal(x)
    if d == exact:
        return d
    with localcontext(prec=_PRECISION):
        below = (exact + Decimal(math.nextafter(x, -math.inf))) / 2
        above = (exact + Decimal(math.nextafter(x, math.inf))) / 2
        if below < d < above:
            return d
        # repr sits on a boundary: the shortest decimal strictly inside, nearest to x.
        for significant in range(1, 18):
            grid = Decimal(1).scaleb(exact.adjusted() - significant + 1)
            inside = [
                c
                for c in (exact.quantize(grid, ROUND_FLOOR), exact.quantize(grid, ROUND_CEILING))
                if below < c < above
            ]
            if inside:
                return min(inside, key=lambda c: abs(c - exact))
    return d


def _to_double(d: Decimal) -> float | None:
    """The nearest double of an exact decimal; None (#NUM!) beyond the double range."""
    if abs(d) > MAX_DOUBLE:
        return None
    return float(d)


# ---------------------------------------------------------------------------- General format


def general_text(x: float) -> str | None:
    """Excel's General format as used when a number becomes text (``&``, CONCAT, TEXTJOIN).

    The rule, from Excel's behaviour as tabulated by Apache POI's ``NumberToTextConverter``
    (checked against Excel): round the decimal value half away from zero to 15 significant
    digits (14 when the decimal exponent is ≥ 99 or ≤ -99), drop trailing zeros, and write it
    plainly when the plain form has at most 20 characters (not counting the sign) — so
    integers up to 20 digits stay plain (``1E15&""`` = ``1000000000000000``) and
    ``0.000000056789012345`` stays plain — otherwise as ``d.dddE+XX`` with an at-least
    two-digit exponent (``1.23456789012346E+20``, ``1.23456789012346E-05``). ``-0`` and
    magnitudes below the smallest normal double (2.2250738585072E-308) are ``0``.
    None for NaN/±inf (#NUM!).
    """
    if not math.isfinite(x):
        return None
    if -_NO_BOUNDARY < x < _NO_BOUNDARY:
        # repr is the decimal value here; written plainly (1e-4 <= |x| < 1e16) with at most
        # 15 significant digits it is already the General text (a plain one fits 20 characters)
        r = repr(x)
        if "e" not in r:
            if r.endswith(".0"):
                r = r[:-2]
            if len(r.lstrip("-").replace(".", "").strip("0")) <= 15 and r not in ("0", "-0"):
                return r
    return _general(x, decimal_of(x), _FAST)


def general_text_exact(x: float) -> str | None:
    """:func:`general_text` by exact decimal arithmetic throughout (the reference path)."""
    if not math.isfinite(x):
        return None
    return _general(x, decimal_of_exact(x), Context(prec=_PRECISION))


def _general(x: float, value: Decimal, context: Context) -> str:
    d = abs(value)
    if d < MIN_NORMAL:
        return "0"
    exponent = d.adjusted()
    significant = 14 if exponent >= 99 or exponent <= -99 else 15
    rounded = d.quantize(Decimal(1).scaleb(exponent - significant + 1), ROUND_HALF_UP, context=context)
    exponent = rounded.adjusted()  # a carry (9.99…→10) moves the exponent
    digits = "".join(map(str, rounded.as_tuple().digits)).strip("0")
    sign = "-" if x < 0 else ""
    if exponent >= 0:
        if exponent + 1 <= 20:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :]
            return sign + whole + ("." + fraction if fraction else "")
    elif 2 + (-exponent - 1) + len(digits) <= 20:
        return sign + "0." + "0" * (-exponent - 1) + digits
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}E{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


# ------------------------------------------------------------------------ text → number

# One pattern shared with PostgreSQL (tessera/formula/pg/10_numbers.sql holds the same text,
# with chr(37) for the percent sign): groups 1 "(", 2 sign, 3 currency, 4 sign, 5 digits,
# 6 exponent, 7 "%", 8 ")". Only plain spaces are trimmed, as Excel does.
NUMBER_TEXT_PATTERN = (
    r"^ *([(])? *([+-])? *([$¥￥])? *([+-])? *"
    r"([0-9]{1,3}(?:,[0-9]{3})+(?:[.][0-9]*)?|[0-9]+(?:[.][0-9]*)?|[.][0-9]+)"
    r"(?:[eE]([+-]?[0-9]+))? *([%])? *([)])? *$"
)
_NUMBER_TEXT = re.compile(NUMBER_TEXT_PATTERN)


def to_number(s: str) -> float | None:
    """Excel's text→number coercion (``"3"+1``, VALUE): None means #VALUE!.

    Accepted, surrounded by optional spaces: digits with an optional decimal point
    (``3``, ``3.``, ``.5``), thousands separators in groups of three (``1,234.5``; ``1,2`` is
    not a number), an exponent (``1e3``, ``2E-2``), one sign (``-2``, ``+2``), a leading
    currency symbol ``$``, ``¥`` or ``￥`` before or after the sign (``$12``, ``-$12``), a
    trailing percent (``50%`` = 0.5) and accounting parentheses (``(12)`` = -12), as
    Excel's VALUE does in an en-US / zh-CN locale. Dates and times in text (``2024-01-05``,
    ``14:30``) are not numbers here: the dates module reads them. Magnitudes above the largest
    double are #VALUE!; magnitudes below the smallest normal double read as 0.
    """
    match = _NUMBER_TEXT.fullmatch(s)
    if match is None:
        return None
    open_paren, sign1, _currency, sign2, digits, exp, percent, close_paren = match.groups()
    if bool(open_paren) != bool(close_paren) or (sign1 and sign2):
        return None
    sign = sign1 or sign2
    if open_paren and sign:
        return None
    negative = sign == "-" or bool(open_paren)
    digits = digits.replace(",", "")
    if digits.endswith("."):
        digits = digits[:-1]
    if set(digits) <= {"0", "."}:
        return 0.0
    exp_text = exp or "0"
    if len(exp_text.lstrip("+-")) > 6:  # absurd exponents: decide without arithmetic
        return 0.0 if exp_text.startswith("-") else None
    exponent = int(exp_text) - (2 if percent else 0)
    if abs(exponent) > MAX_EXPONENT:
        return 0.0 if exponent < 0 else None
    value = Decimal(f"{digits}e{exponent}")
    if value > MAX_DOUBLE:
        return None
    if value < MIN_NORMAL:
        return 0.0
    return -float(value) if negative else float(value)


# ------------------------------------------------------------------------------ rounding


def _digits(n: float) -> int:
    """Excel truncates the digits argument toward zero; clamped where it stops mattering."""
    return int(max(-MAX_DIGITS, min(MAX_DIGITS, math.trunc(n))))


def _round(x: float, n: float, mode: str) -> float | None:
    """Round the decimal value of ``x`` to ``n`` places (what :func:`round_exact` computes,
    with repr for the decimal and a 40-digit context wherever that is exact)."""
    if not (math.isfinite(x) and math.isfinite(n)):
        return None
    d = Decimal(repr(x)) if (-_NO_BOUNDARY < x < _NO_BOUNDARY and x) else decimal_of(x)
    digits = int(max(-MAX_DIGITS, min(MAX_DIGITS, n)))  # int() truncates toward zero
    if d.adjusted() + digits + 2 > _FAST.prec and d.as_tuple().exponent >= -digits:
        return x + 0.0  # nothing to drop (and padding would exceed the context): x itself, -0 as 0
    rounded = d.quantize(_SCALES[digits], mode, context=_FAST)
    f = float(rounded)
    return f if -1e308 < f < 1e308 else _to_double(rounded)


def round_exact(x: float, n: float, mode: str) -> float | None:
    """:func:`_round` by exact decimal arithmetic throughout (the reference path)."""
    if not (math.isfinite(x) and math.isfinite(n)):
        return None
    d = decimal_of_exact(x)
    with localcontext(prec=_PRECISION):
        rounded = d.quantize(Decimal(1).scaleb(-_digits(n)), mode)
    return _to_double(rounded)


_SCALES = {k: Decimal(1).scaleb(-k) for k in range(-MAX_DIGITS, MAX_DIGITS + 1)}


def round_half_away(x: float, n: float = 0) -> float | None:
    """Excel ROUND: halves away from zero on the decimal value (``ROUND(1.005,2)`` = 1.01,
    ``ROUND(-2.5,0)`` = -3); negative ``n`` rounds left of the point (``ROUND(1250,-2)`` =
    1300); ``n`` is truncated. None = #NUM! (result beyond the double range)."""
    return _round(x, n, ROUND_HALF_UP)


def roundup(x: float, n: float = 0) -> float | None:
    """Excel ROUNDUP: away from zero (``ROUNDUP(-3.141,2)`` = -3.15). None = #NUM!."""
    return _round(x, n, ROUND_UP)


def rounddown(x: float, n: float = 0) -> float | None:
    """Excel ROUNDDOWN: toward zero (``ROUNDDOWN(-3.149,2)`` = -3.14). None = #NUM!."""
    return _round(x, n, ROUND_DOWN)


def trunc(x: float, n: float = 0) -> float | None:
    """Excel TRUNC: the same as ROUNDDOWN (toward zero). None = #NUM!."""
    return _round(x, n, ROUND_DOWN)


def _multiple(x: float, m: float, direction: str) -> float | None:
    """``q * m`` where q is the integer nearest/floor/ceiling of the exact quotient x/m."""
    dx, dm = decimal_of(x), decimal_of(m)
    with localcontext(prec=_PRECISION):
        quotient, remainder = divmod(dx, dm)  # truncated quotient; remainder has x's sign
        positive = (dx > 0) == (dm > 0)
        if remainder:
            if direction == "nearest":
                if 2 * abs(remainder) >= abs(dm):
                    quotient += 1 if positive else -1
            elif direction == "ceiling" and positive:
                quotient += 1
            elif direction == "floor" and not positive:
                quotient -= 1
        return _to_double(quotient * dm)


def mround(x: float, m: float) -> float | None:
    """Excel MROUND: the multiple of ``m`` nearest to ``x``, halves away from zero
    (``MROUND(10,3)`` = 9, ``MROUND(-10,-3)`` = -9, ``MROUND(1.3,0.2)`` = 1.4); ``m = 0``
    gives 0. None = #NUM! when x and m have different signs (or the result overflows)."""
    if not (math.isfinite(x) and math.isfinite(m)):
        return None
    if m == 0 or x == 0:
        return 0.0
    if (x > 0) != (m > 0):
        return None
    return _multiple(x, m, "nearest")


def ceiling(x: float, s: float) -> float | None:
    """Excel CEILING: rounds up to a multiple of ``s``. ``s > 0``: toward +∞ (so a negative
    number goes toward zero: ``CEILING(-2.5,2)`` = -2); ``s < 0`` with ``x ≤ 0``: away from
    zero (``CEILING(-2.5,-2)`` = -4); ``s = 0`` gives 0. None = #NUM! when x > 0 and s < 0."""
    if not (math.isfinite(x) and math.isfinite(s)):
        return None
    if s == 0 or x == 0:
        return 0.0
    if x > 0 and s < 0:
        return None
    return _multiple(x, s, "ceiling")


def floor(x: float, s: float) -> float | None:
    """Excel FLOOR: rounds down to a multiple of ``s``. ``s > 0``: toward -∞ (so a negative
    number goes away from zero: ``FLOOR(-2.5,2)`` = -4); ``s < 0`` with ``x ≤ 0``: toward zero
    (``FLOOR(-2.5,-2)`` = -2). None = #DIV/0! when s = 0, else #NUM! when x > 0 and s < 0."""
    if not (math.isfinite(x) and math.isfinite(s)):
        return None
    if s == 0:
        return None
    if x == 0:
        return 0.0
    if x > 0 and s < 0:
        return None
    return _multiple(x, s, "floor")


# ------------------------------------------------------------------------ SQLite wrappers


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _numeric(fn: Any) -> Any:
    """Wrap a function of doubles for SQLite: NULL or non-numeric arguments give NULL.
    Doubles go straight through (the per-row cost of a rounding UDF is mostly this call)."""

    def wrapper(*args: Any) -> Any:
        for a in args:
            if a.__class__ is not float:
                break
        else:
            return fn(*args)
        numbers = [_number(a) for a in args]
        if any(n is None for n in numbers):
            return None
        return fn(*numbers)

    wrapper.__name__ = f"sqlite_{fn.__name__}"
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _sqlite_to_number(value: Any) -> float | None:
    if isinstance(value, str):
        return to_number(value)
    return _number(value)


SQLITE_FUNCTIONS = [
    SqlFunction("tx_general", 1, _numeric(general_text)),
    SqlFunction("tx_to_number", 1, _sqlite_to_number),
    SqlFunction("tx_round", 2, _numeric(round_half_away)),
    SqlFunction("tx_roundup", 2, _numeric(roundup)),
    SqlFunction("tx_rounddown", 2, _numeric(rounddown)),
    SqlFunction("tx_trunc", 2, _numeric(trunc)),
    SqlFunction("tx_mround", 2, _numeric(mround)),
    SqlFunction("tx_ceiling", 2, _numeric(ceiling)),
    SqlFunction("tx_floor", 2, _numeric(floor)),
]
