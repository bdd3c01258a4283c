"""Once per customer per campaign across a SIGKILL of the worker in the middle of a send, and
with two worker processes sending the same campaign at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

import tessera.outreach as out
from tessera.workflow.models import EFFECTS
from tests.outreach.fakes import Fake, fake_server, webhook_verifier
from tests.outreach.helpers import statuses, webhook_campaign

N = 10


def _worker(url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tessera", "--db", url, "worker", *extra]


class _Watched(Fake):
    """Sets ``arrived`` when the n-th request has come in (its answer is still delayed)."""

    def __init__(self, n: int, **kw) -> None:  # noqa: ANN003
        super().__init__("webhook", webhook_verifier("hook-secret"), **kw)
        self.arrived = threading.Event()
        self.n = n
        self.received = _Counting(self)


class _Counting(list):
    def __init__(self, fake: _Watched) -> None:
        super().__init__()
        self.fake = fake

    def append(self, item) -> None:  # noqa: ANN001
        super().append(item)
        if len(self) == self.fake.n:
            self.fake.arrived.set()


def test_sigkill_mid_campaign_sends_once_per_customer(clinic, backend_url) -> None:
    customers = [clinic.add_customer(f"c{i}", 手机=f"1380000{i:04d}") for i in range(N)]
    fake = _Watched(4, delay=0.3)
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        proc = subprocess.Popen(_worker(backend_url, "--lease", "1", "--poll", "0.05"),
                                env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            assert fake.arrived.wait(60), proc.stderr.read().decode() if proc.poll() is not None else ""
            os.kill(proc.pid, signal.SIGKILL)           # the 4th message is in flight
        finally:
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert collections.Counter(statuses(clinic, campaign["id"]).values())["sent"] == 3
        # the batched path: effects of the whole batch were `sending` before its first call,
        # and the three sent messages are recorded only in their delivery rows so far
        with clinic.engine.connect() as conn:
            effects = collections.Counter(conn.execute(sa.select(EFFECTS.c.status)).scalars())
        assert effects["sending"] >= 4 and effects["sent"] == 0, effects
        time.sleep(1.2)                                  # the dead worker's lease expires
        done = subprocess.run(_worker(backend_url, "--once"), env=os.environ.copy(),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert statuses(clinic, campaign["id"]) == {c: "sent" for c in customers}
    keys = collections.Counter(r.json["idempotency_key"] for r in fake.received)
    assert set(keys) == {f"campaign-{campaign['id']}-record-{c}" for c in customers}
    # only the message in flight at the kill went out twice, under the same key
    assert sorted(keys.values()) == [1] * (N - 1) + [2]
    assert all(r.verified for r in fake.received)


def test_two_workers_send_each_message_once(clinic, backend_url) -> None:
    customers = [clinic.add_customer(f"c{i}", 手机=str(i)) for i in range(30)]
    fake = Fake("webhook", webhook_verifier("hook-secret"), delay=0.01)
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        out.schedule_campaign(clinic.engine, campaign["id"])
        procs = [subprocess.Popen(_worker(backend_url, "--poll", "0.05", "--id", f"w{i}"),
                                  env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for i in range(2)]
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if list(statuses(clinic, campaign["id"]).values()).count("sent") == 30:
                    break
                time.sleep(0.2)
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            errors = [p.communicate(timeout=30)[1].decode() for p in procs]
    assert statuses(clinic, campaign["id"]) == {c: "sent" for c in customers}, errors
    keys = collections.Counter(r.json["idempotency_key"] for r in fake.received)
    assert len(keys) == 30 and set(keys.values()) == {1}
