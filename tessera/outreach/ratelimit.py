"""Per-channel send rate shared by every worker: a counter per channel and one-second slot in
``out_rate_windows``. ``acquire`` takes a place in the current slot with a conditional
``UPDATE … WHERE count < limit`` (atomic on both backends) and otherwise sleeps to the next
slot, so two workers together never exceed the channel's rate."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tessera.outreach.models import RATE_WINDOWS

__all__ = ["acquire", "SLOT_SECONDS"]

SLOT_SECONDS = 1.0


def _take(engine: Engine, channel_id: int, slot: int, limit: int) -> bool:
    w = RATE_WINDOWS
    with engine.begin() as conn:
        got = conn.execute(sa.update(w).where(w.c.channel_id == channel_id, w.c.slot == slot,
                                              w.c.count < limit).values(count=w.c.count + 1))
        if got.rowcount == 1:
            return True
        exists = conn.execute(sa.select(w.c.count).where(w.c.channel_id == channel_id,
                                                         w.c.slot == slot)).first()
        if exists is not None:
            return False
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(w).values(channel_id=channel_id, slot=slot, count=1))
        except IntegrityError:
            return False
        conn.execute(sa.delete(w).where(w.c.channel_id == channel_id, w.c.slot < slot - 60))
        return True


def acquire(engine: Engine, channel_id: int, per_second: float | None, *,
            clock: Callable[[], float] = time.time,
            sleep: Callable[[float], None] = time.sleep) -> float:
    """Block until a send is allowed; returns the seconds waited."""
    if not per_second or per_second <= 0:
        return 0.0
    # a rate below 1/s is enforced as slots of 1/rate seconds holding one send
    slot_len = max(SLOT_SECONDS, 1.0 / per_second)
    limit = max(1, int(per_second * slot_len))
    waited = 0.0
    while True:
        now = clock()
        slot = int(now // slot_len)
        if _take(engine, channel_id, slot, limit):
            return waited
        pause = (slot + 1) * slot_len - now + 0.001
        sleep(pause)
        waited += pause
