"""The per-channel rate limit, shared through the database by every worker."""

from __future__ import annotations

import time

import sqlalchemy as sa

import tessera.outreach as out
from tessera.outreach.models import RATE_WINDOWS
from tessera.outreach.ratelimit import acquire
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import webhook_campaign


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# rate per second, sends → whole seconds the clock must advance
CASES = [(5, 12, 2), (1, 3, 2), (0.5, 3, 4), (None, 50, 0)]


def test_rate_cases(clinic) -> None:
    for channel_id, (rate, sends, seconds) in enumerate(CASES, start=1):
        clock = FakeClock()
        for _ in range(sends):
            acquire(clinic.engine, channel_id, rate, clock=clock, sleep=clock.sleep)
        assert int(clock.now - 1000.0) == seconds, (rate, sends)


def test_campaign_respects_channel_rate(clinic) -> None:
    for i in range(9):
        clinic.add_customer(f"c{i}", 手机=str(i))
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url, rate=4)
        out.schedule_campaign(clinic.engine, campaign["id"])
        start = time.monotonic()
        clinic.drain()
    assert len(fake.received) == 9
    # The limiter's own one-second slots (the send's timestamp header is taken a moment after
    # the slot was won, so it may fall into the next second): at most 4 sends in each.
    with clinic.engine.connect() as conn:
        counts = conn.execute(sa.select(RATE_WINDOWS.c.count)).scalars().all()
    assert sum(counts) == 9 and max(counts) <= 4 and len(counts) >= 3
    assert time.monotonic() - start >= 1.0
