"""The total of a range's sum kept in two parts (functions/_sums.py): the interpreter's, and
``tx_range_sum`` on SQLite, one call per range (PostgreSQL computes the same in a CASE)."""

from __future__ import annotations

import sys
from typing import Any

from tessera.formula.excel import SqlFunction

__all__ = ["HUGE", "SCALE", "NEGLIGIBLE", "LIMIT", "range_total", "SQLITE_FUNCTIONS"]

HUGE = 1e290  # from here on, an element is summed scaled
SCALE = 2.0 ** -64  # exact for |x| >= HUGE: no bits are lost
NEGLIGIBLE = 1e-250  # an ordinary part this small cannot change a non-zero scaled huge part
LIMIT = sys.float_info.max * SCALE  # the largest scaled total that is a double once unscaled


def range_total(ordinary: Any, huge: Any) -> float | None:
    """``huge·2^64 + ordinary`` (either may be NULL: nothing to add); None beyond the double range."""
    o = 0.0 if ordinary is None else float(ordinary)
    if huge is None or huge == 0:
        return o
    total = float(huge) + (o * SCALE if abs(o) >= NEGLIGIBLE else 0.0)
    return total / SCALE if abs(total) <= LIMIT else None


SQLITE_FUNCTIONS = [SqlFunction("tx_range_sum", 2, range_total)]
