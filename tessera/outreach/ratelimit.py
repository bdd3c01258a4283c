"""Per-channel send rate shared by every worker: a counter per channel and one-second slot in
``out_rate_windows``. ``acquire`` takes a place in the current slot with a conditional
``UPDATE … WHERE count < limit`` (atomic on both backends) and otherwise sleeps to the next
slot, so two workers together never exceed the channel's rate. ``acquire_many`` takes several
places of one slot in one transaction (the batched sender asks for what its batch needs and
gets what is left of the slot), with a compare-and-set on the counter it read."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tessera.outreach.models import RATE_WINDOWS
from tessera.schema.catalog import transaction

__all__ = ["acquire", "acquire_many", "SLOT_SECONDS"]

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


def _take_many(engine: Engine, channel_id: int, slot: int, limit: int, wanted: int) -> int:
    """Up to ``wanted`` places of the slot (0 when it is full)."""
    w = RATE_WINDOWS
    with transaction(engine, write=True) as conn:   # SQLite: the write lock before the read
        for _ in range(20):      # compare-and-set; another worker may move the counter
            seen = conn.execute(sa.select(w.c.count).where(w.c.channel_id == channel_id,
                                                           w.c.slot == slot)).scalar()
            if seen is None:
                got = min(wanted, limit)
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(w).values(channel_id=channel_id, slot=slot,
                                                         count=got))
                except IntegrityError:
                    continue
                conn.execute(sa.delete(w).where(w.c.channel_id == channel_id,
                                                w.c.slot < slot - 60))
                return got
            got = min(wanted, limit - seen)
            if got <= 0:
                return 0
            done = conn.execute(sa.update(w).where(w.c.channel_id == channel_id,
                                                   w.c.slot == slot, w.c.count == seen)
                                .values(count=seen + got))
            if done.rowcount == 1:
                return got
    return 0


def _slots(per_second: float) -> tuple[float, int]:
    # a rate below 1/s is enforced as slots of 1/rate seconds holding one send
    slot_len = max(SLOT_SECONDS, 1.0 / per_second)
    return slot_len, max(1, int(per_second * slot_len))


def acquire(engine: Engine, channel_id: int, per_second: float | None, *,
            clock: Callable[[], float] = time.time,
            sleep: Callable[[float], None] = time.sleep) -> float:
    """Block until a send is allowed; returns the seconds waited."""
    if not per_second or per_second <= 0:
        return 0.0
    slot_len, limit = _slots(per_second)
    waited = 0.0
    while True:
        now = clock()
        slot = int(now // slot_len)
        if _take(engine, channel_id, slot, limit):
            return waited
        pause = (slot + 1) * slot_len - now + 0.001
        sleep(pause)
        waited += pause


def acquire_many(engine: Engine, channel_id: int, per_second: float | None, wanted: int, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """Block until at least one send is allowed; returns how many (1 … ``wanted``) the
    caller may make now. Without a rate every wanted send is allowed at once."""
    if not per_second or per_second <= 0:
        return wanted
    slot_len, limit = _slots(per_second)
    while True:
        now = clock()
        slot = int(now // slot_len)
        got = _take_many(engine, channel_id, slot, limit, max(1, wanted))
        if got:
            return got
        sleep((slot + 1) * slot_len - now + 0.001)
