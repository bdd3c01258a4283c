"""Durability: a worker SIGKILLed in the middle of runs loses nothing and doubles nothing after a
restart; concurrent workers never take the same run; ``tessera worker --once`` and the
embedded worker process what is due."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

import tessera.workflow as wf
from tessera.workflow.models import EFFECTS, RUN_LOG, STEPS

from .servers import Hook, webhook_server

N = 12


def _worker_cmd(url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tessera", "--db", url, "worker", *extra]


def _automation(clinic, url: str) -> int:
    return clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "create_record", "name": "task", "options": {
                     "table": "回访任务", "values": {"标题": '="回访 " & {姓名}', "客户": "={id}"}}},
                 {"type": "webhook", "options": {"url": url, "body": {"task": "={task.id}"}}},
                 {"type": "update_record", "options": {"values": {"备注": "done"}}}])


def _check_exactly_once(clinic, aid: int, hook: Hook, customers: list[int]) -> collections.Counter:
    runs = clinic.runs(aid)
    assert len(runs) == N and {r.status for r in runs} == {"succeeded"}
    tasks = clinic.task_rows()
    assert sorted(t["fields"]["客户"][0] for t in tasks) == sorted(customers)   # one task each
    assert all(clinic.customer(c)["备注"] == "done" for c in customers)
    keys = collections.Counter(r["headers"]["Idempotency-Key"] for r in hook.requests)
    assert set(keys) == {f"{r.id}:1" for r in runs}                # every run called once...
    assert sorted({r["json"]["task"] for r in hook.requests}) == sorted(t["id"] for t in tasks)
    with clinic.engine.connect() as conn:
        assert set(conn.execute(sa.select(EFFECTS.c.status)).scalars()) == {"sent"}
        assert conn.execute(sa.select(sa.func.count()).select_from(STEPS).where(
            STEPS.c.status != "succeeded")).scalar() == 0
    return keys


def test_sigkill_mid_run_then_restart_completes_everything_once(clinic, backend_url) -> None:
    hook = Hook(delay=0.3)
    arrived = threading.Event()
    original = hook.requests

    class Watch(list):
        def append(self, item):  # noqa: ANN001 - the server appends each request here
            super().append(item)
            if len(self) == 4:
                arrived.set()

    hook.requests = Watch(original)
    with webhook_server(hook) as url:
        aid = _automation(clinic, url)
        customers = [clinic.add_customer(姓名=f"客户{i}") for i in range(N)]
        proc = subprocess.Popen(_worker_cmd(backend_url, "--lease", "1", "--poll", "0.05"),
                                env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            assert arrived.wait(60), proc.stderr.read().decode() if proc.poll() is not None else ""
            os.kill(proc.pid, signal.SIGKILL)      # killed while the 4th webhook is in flight
        finally:
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        statuses = collections.Counter(r.status for r in clinic.runs(aid))
        assert statuses["running"] == 1 and statuses["succeeded"] == 3, statuses
        time.sleep(1.2)                            # the dead worker's lease expires
        done = subprocess.run(_worker_cmd(backend_url, "--once"), env=os.environ.copy(),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    keys = _check_exactly_once(clinic, aid, hook, customers)
    # the call in flight at the kill is the only one repeated, under the same key
    assert sorted(keys.values()) == [1] * (N - 1) + [2]
    with clinic.engine.connect() as conn:
        logs = list(conn.execute(sa.select(RUN_LOG.c.message)).scalars())
    assert sum("sending again under the same idempotency key" in m for m in logs) == 1


def test_concurrent_workers_never_take_the_same_run(clinic, backend_url) -> None:
    hook = Hook(delay=0.02)
    with webhook_server(hook) as url:
        aid = _automation(clinic, url)
        customers = [clinic.add_customer(姓名=f"客户{i}") for i in range(N)]
        procs = [subprocess.Popen(_worker_cmd(backend_url, "--poll", "0.05", "--id", f"w{i}"),
                                  env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for i in range(2)]
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                if all(r.status == "succeeded" for r in clinic.runs(aid)):
                    break
                time.sleep(0.2)
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(30)
    keys = _check_exactly_once(clinic, aid, hook, customers)
    assert set(keys.values()) == {1}
    with clinic.engine.connect() as conn:
        assert set(conn.execute(sa.select(STEPS.c.attempts)).scalars()) == {1}
        assert set(conn.execute(sa.select(EFFECTS.c.attempts)).scalars()) == {1}


def test_parallel_claims_are_disjoint(clinic) -> None:
    aid = clinic.create_automation(trigger={"type": "record_created"}, enabled=True,
                                   actions=[{"type": "stop"}])
    for i in range(40):
        clinic.add_customer(姓名=f"c{i}")
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim_all(name: str) -> None:
        worker = wf.Worker(clinic.engine, worker_id=name, batch=3)
        while ids := worker.claim():
            claimed[name].extend(ids)

    threads = [threading.Thread(target=claim_all, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_runs = {r.id for r in clinic.runs(aid)}
    assert not set(claimed["a"]) & set(claimed["b"])
    assert set(claimed["a"]) | set(claimed["b"]) == all_runs
    assert len(claimed["a"]) + len(claimed["b"]) == 40


def test_worker_once_cli_and_embedded_worker(clinic, backend_url) -> None:
    aid = clinic.create_automation(
        trigger={"type": "record_created"}, enabled=True,
        actions=[{"type": "update_record", "options": {"values": {"备注": "cli"}}}])
    first = clinic.add_customer(姓名="a")
    out = subprocess.run(_worker_cmd(backend_url, "--once"), env=os.environ.copy(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"claimed": 1' in out.stdout and clinic.customer(first)["备注"] == "cli"
    embedded = wf.start_embedded_worker(clinic.engine, poll_seconds=0.05)
    try:
        second = clinic.add_customer(姓名="b")
        deadline = time.time() + 30
        while clinic.customer(second)["备注"] != "cli" and time.time() < deadline:
            time.sleep(0.05)
    finally:
        embedded.stop()
    assert clinic.customer(second)["备注"] == "cli" and not embedded.alive
    assert [r.status for r in clinic.runs(aid)] == ["succeeded", "succeeded"]
