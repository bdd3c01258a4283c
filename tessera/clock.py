"""The engine clock. ``TESSERA_TODAY=YYYY-MM-DD`` fixes it for the whole process (tests, demos);
``now()`` is then that date at 00:00."""

from __future__ import annotations

import datetime as dt
import os

__all__ = ["today", "now"]


def _fixed() -> dt.date | None:
    text = os.environ.get("TESSERA_TODAY")
    return dt.date.fromisoformat(text) if text else None


def today() -> dt.date:
    fixed = _fixed()
    return fixed if fixed is not None else dt.date.today()


def now() -> dt.datetime:
    fixed = _fixed()
    if fixed is not None:
        return dt.datetime(fixed.year, fixed.month, fixed.day)
    return dt.datetime.now().replace(microsecond=0)
