"""Workflow time: the real UTC time shifted by the engine clock's day offset.

With ``TESSERA_TODAY`` set, waits measured in days and daily sweeps follow the fixed date,
while backoffs measured in seconds still elapse in real time."""

from __future__ import annotations

import datetime as dt

from tessera import clock

__all__ = ["now", "today"]


def today() -> dt.date:
    return clock.today()


def now() -> dt.datetime:
    real = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return real + (clock.today() - dt.date.today())
