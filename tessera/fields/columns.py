"""Column-at-a-time parsing: the building blocks of ``FieldType.parse_column``.

A bulk load hands a field type all the values of one column. Values that are already the
stored form (floats for a number, bools for a checkbox, dates for a date — what calamine and
the sample generators give) are kept as they are, checked with C-speed whole-column tests;
repeated text (select labels, dates, cities) is parsed once per distinct value; everything else
goes through the type's own ``parse`` one value at a time, so the stored values and the error
messages are exactly those of single-record input.

A column result is ``(stored values, [(index, FieldValueError), …])``; a failed value's slot
holds None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from operator import attrgetter, is_not
from typing import Any

from tessera.errors import FieldValueError

__all__ = ["ColumnResult", "parse_each", "kinds_within", "finite_floats", "plain_text",
           "valid_as_is", "NONE_TYPE", "naive_to_utc", "phone_digits"]

ColumnResult = tuple[list[Any], list[tuple[int, FieldValueError]]]
Parse = Callable[[Any], Any]
NONE_TYPE = type(None)
_REPEATS = 4          # parse text once per distinct value when each repeats this often on average
_TEXT_KINDS = frozenset({str, NONE_TYPE})
_not_none = partial(is_not, None)
_MEMO_LIMIT = 10_000   # distinct texts remembered per column in the value-by-value loop


def kinds_within(values: Sequence[Any], allowed: set[type] | frozenset[type]) -> bool:
    """Whether every value's exact type is in ``allowed`` (one C-level pass)."""
    return set(map(type, values)) <= allowed


def finite_floats(values: Sequence[Any]) -> bool:
    """For a column of floats and None: no NaN or infinity (a non-finite sum can also be an
    overflow of finite values; the caller then checks value by value, which is always right)."""
    return math.isfinite(sum(filter(None, values)))


def plain_text(values: Sequence[str]) -> bool:
    """Whether every text is non-empty, printable (so no line breaks, tabs or odd spaces) and
    without a leading or trailing space: such text is stored exactly as given."""
    if not "".join(values).isprintable():
        return False
    joined = "\x1f" + "\x1f".join(values) + "\x1f"
    return "\x1f\x1f" not in joined and " \x1f" not in joined and "\x1f " not in joined


def valid_as_is(values: Sequence[Any], pattern: re.Pattern[str]) -> bool:
    """For a column of text and None: every text is ASCII (so NFKC leaves it alone), has no
    surrounding whitespace and fully matches ``pattern`` — stored exactly as given."""
    texts = list(filter(_not_none, values))
    # str.strip returns the very same object when there is nothing to strip, so the list
    # compares by identity; strip and the regex's \s agree on what whitespace is
    return ("\x1f".join(texts).isascii() and list(map(str.strip, texts)) == texts
            and all(map(pattern.fullmatch, texts)))


_DIGITS = str.maketrans("", "", "0123456789")


def phone_digits(values: Sequence[Any]) -> bool:
    """For a column of text and None: every text is 4–30 ASCII digits, optionally after one
    leading '+' (the usual phone column) — a subset of what ``PhoneType`` stores as given,
    decided with C-level string passes instead of a regex match per value. False means "not
    decided here" (the caller runs the full check)."""
    texts = list(filter(_not_none, values))
    if not texts:
        return False
    joined = "\x1f".join(texts)
    # non-ASCII text, or a text holding the separator itself
    if not joined.isascii() or joined.count("\x1f") != len(texts) - 1:
        return False
    rest = joined.translate(_DIGITS)                # what is left: separators and '+'
    if rest.replace("\x1f", "").replace("+", ""):
        return False
    if "+" in rest and joined.count("+") != ("\x1f" + joined).count("\x1f+"):
        return False                                # a '+' that does not start its text
    lengths = list(map(len, texts))
    return 4 <= min(lengths) and max(lengths) <= 30


_HOUR = timedelta(hours=1)
_MOMENTS = frozenset({datetime, date})
_TZINFO = attrgetter("tzinfo")
_OFFSET_SPAN = timedelta(days=366 * 5)   # longest range whose offsets are checked hour by hour


def _fixed_offset(tz: tzinfo, first: datetime, last: datetime) -> timedelta | None:
    """The UTC offset ``tz`` gives every naive time from ``first`` to ``last``, or None when
    it changes in that range (a DST or rule change) or the range is too long to check. The
    offset is read at every whole hour of the range and at both ends: a change that lasts an
    hour or more (every transition of the tz database) shows in the samples."""
    if tz is UTC:
        return timedelta(0)
    if last - first > _OFFSET_SPAN:
        return None
    offset = tz.utcoffset(first)
    if offset is None or tz.utcoffset(last) != offset:
        return None
    moment = first.replace(minute=0, second=0, microsecond=0)
    while moment < last:
        if tz.utcoffset(moment) != offset:
            return None
        moment += _HOUR
    return offset


def naive_to_utc(values: Sequence[Any], tz: tzinfo) -> list[Any] | None:
    """A column of naive datetimes, dates (midnight; calamine reads a date-time cell at
    midnight as a date) and None read in ``tz`` → aware UTC datetimes to the second, as
    ``parse_datetime`` gives them one by one, when the zone's offset is the same for the
    whole range of the column (one subtraction per value instead of a zone lookup); None when
    it is not (the caller converts value by value)."""
    kinds = set(map(type, values)) - {NONE_TYPE}
    if not kinds or not kinds <= _MOMENTS:
        return None
    if date in kinds:
        values = [datetime(v.year, v.month, v.day) if v.__class__ is date else v
                  for v in values]
    present = list(filter(_not_none, values))
    if set(map(_TZINFO, present)) != {None}:
        return None
    offset = _fixed_offset(tz, min(present), max(present))
    if offset is None:
        return None
    shift = -offset
    try:
        return [None if v is None else (v + shift).replace(tzinfo=UTC, microsecond=0)
                for v in values]
    except OverflowError:   # at the ends of the calendar: the caller words the error
        return None


def _repeated_text(values: Sequence[Any]) -> set[Any] | None:
    """The distinct values of a text column that repeats a lot (select labels, dates as
    text, cities), else None."""
    if not kinds_within(values, _TEXT_KINDS):
        return None
    distinct = set(values)
    return distinct if len(distinct) * _REPEATS <= len(values) else None


def parse_each(values: Sequence[Any], parse: Parse, *, keep: frozenset[type] = frozenset(),
               fast: dict[type, Parse] | None = None) -> ColumnResult:
    """Parse value by value: exact types in ``keep`` (and None) are stored as they are,
    ``fast`` maps an exact type to a converter that returns the stored value or raises
    ValueError (then ``parse`` decides, and words the error); repeated text is parsed once."""
    fast = fast or {}
    distinct = _repeated_text(values)
    if distinct is not None:
        return _by_distinct(values, distinct, parse, fast.get(str))
    out: list[Any] = []
    errors: list[tuple[int, FieldValueError]] = []
    append = out.append
    memo: dict[str, Any] = {}   # text parsed so far (mixed columns: '5%' next to 0.15)
    for index, value in enumerate(values):
        kind = value.__class__
        if value is None or kind in keep:
            append(value)
            continue
        if kind is str:
            result = memo.get(value, _MISS)
            if result is _MISS:
                result = _attempt(value, parse, fast.get(str))
                if len(memo) < _MEMO_LIMIT:
                    memo[value] = result
        else:
            result = _attempt(value, parse, fast.get(kind))
        if result.__class__ is _Failed:
            errors.append((index, result.error))
            append(None)
        else:
            append(result)
    return out, errors


def _by_distinct(values: Sequence[Any], distinct: set[Any], parse: Parse,
                 convert: Parse | None) -> ColumnResult:
    memo = {v: None if v is None else _attempt(v, parse, convert) for v in distinct}
    failed = {v: r.error for v, r in memo.items() if r.__class__ is _Failed}
    errors: list[tuple[int, FieldValueError]] = []
    if failed:
        for v in failed:
            memo[v] = None
        errors = [(i, failed[v]) for i, v in enumerate(values) if v in failed]
    return list(map(memo.__getitem__, values)), errors


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: FieldValueError) -> None:
        self.error = error


_MISS = object()


def _attempt(value: Any, parse: Parse, convert: Parse | None) -> Any:
    if convert is not None:
        try:
            return convert(value)
        except (ValueError, TypeError, AttributeError, OverflowError):
            pass
    try:
        return parse(value)
    except FieldValueError as exc:
        return _Failed(exc)
