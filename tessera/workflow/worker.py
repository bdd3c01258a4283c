"""Workers: claim due runs through the database and execute them.

A claim reserves a batch of due runs for this worker (``locked_by``, ``locked_until``) without
changing their status: a reserved run stays ``queued`` (or ``waiting``/``retry``) until the
worker starts it, and the start — the first statement of the run's transaction — checks that
the reservation is still ours and marks it ``running`` (runner.py). On PostgreSQL a claim
selects due runs ``FOR UPDATE SKIP LOCKED`` and reserves them in the same transaction, so
concurrent workers never pick the same run; on SQLite it is one ``UPDATE … WHERE id IN
(SELECT … LIMIT n) RETURNING id, status`` serialised by the single writer. A claim is a lease
(``locked_until``): runs reserved or started by a worker that died are claimed again once the
lease has expired, and replay from their step log. Claiming ``batch`` runs per poll (default
8) spends one claim transaction on several runs; a reservation that expired before the
worker reached it may be taken by another worker, and the start then finds it ``lost``.

Batched actions: an action may register a ``run_batch`` handler (``ActionSpec.extra``; the
campaign sender does). Fresh runs of an automation with no condition whose only action has
one are handed to it together — it owns their transactions and guarantees, and returns each
run's status; runs it leaves out (or all of them, if it raises) go through the runner one by
one. While claims keep being batched the worker claims ``bulk`` runs (default 200) at a time.

``Worker.run_once()`` is ``tessera worker --once``; ``run_forever`` is the daemon loop;
``start_embedded_worker(engine)`` runs the loop in a thread of the web process."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.access.context import acting
from tessera.access.run_as import RunAsRefused, run_as_principal
from tessera.workflow import timebase
from tessera.workflow.models import AUTOMATIONS, RUNS
from tessera.workflow.registry import ACTIONS
from tessera.workflow.runner import execute_run
from tessera.workflow.scheduler import tick
from tessera.workflow.statements import DUE_STATUSES

__all__ = ["Worker", "WorkerStats", "EmbeddedWorker", "start_embedded_worker"]

log = logging.getLogger("tessera.workflow")


@dataclass
class WorkerStats:
    claimed: int = 0
    queued_by_scheduler: int = 0
    batched: int = 0          # runs handled by an action's batch handler
    statuses: dict[str, int] = field(default_factory=dict)


class Worker:
    def __init__(self, engine: Engine, *, worker_id: str | None = None,
                 lease_seconds: float = 60.0, batch: int = 8, bulk: int = 200) -> None:
        self.engine = engine
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.batch = batch
        self.bulk = max(batch, bulk)
        self._batching = False     # the last claim went to a batch handler: claim in bulk
        self._next_trash_purge = 0.0  # monotonic time of the next purge of expired trash

    def claim(self) -> list[int]:
        """Reserve up to ``batch`` due runs (queued, waiting or retrying past their time and not
        reserved by a live worker, or running under an expired lease); their ids in order."""
        return [run_id for run_id, _status in self._reserve()]

    def _reserve(self, limit: int | None = None) -> list[tuple[int, str]]:
        now = timebase.now()
        free = sa.or_(RUNS.c.locked_until.is_(None), RUNS.c.locked_until < now)
        due = sa.or_(sa.and_(RUNS.c.status.in_(DUE_STATUSES), RUNS.c.run_after <= now, free),
                     sa.and_(RUNS.c.status == "running", RUNS.c.locked_until < now))
        pick = sa.select(RUNS.c.id).where(due).order_by(RUNS.c.run_after, RUNS.c.id).limit(
            limit or self.batch)
        claim = sa.update(RUNS).values(locked_by=self.id, locked_until=now + self.lease)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # lock the picked rows first: an IN (subquery LIMIT n) inside the UPDATE may be
                # re-evaluated by the planner and claim more than n rows
                picked = list(conn.execute(pick.with_for_update(skip_locked=True)).scalars())
                if not picked:
                    return []
                rows = conn.execute(claim.where(RUNS.c.id.in_(picked), due)
                                    .returning(RUNS.c.id, RUNS.c.status)).all()
            else:  # one statement: SQLite's single writer serialises it
                rows = conn.execute(claim.where(RUNS.c.id.in_(pick.scalar_subquery()), due)
                                    .returning(RUNS.c.id, RUNS.c.status)).all()
        return sorted((r.id, r.status) for r in rows)

    def run_once(self, *, max_runs: int | None = None) -> WorkerStats:
        """Everything due now: the scheduler pass, then runs until none is due."""
        stats = WorkerStats(queued_by_scheduler=tick(self.engine))
        self.purge_trash()
        while max_runs is None or stats.claimed < max_runs:
            size = self.bulk if self._batching else self.batch
            reserved = self._reserve(size if max_runs is None
                                     else min(size, max_runs - stats.claimed))
            if not reserved:
                break
            batched = self._run_batches(reserved)
            self._batching = len(batched) * 2 >= len(reserved)
            for status in batched.values():
                stats.claimed += 1
                stats.batched += 1
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
            for run_id, status in reserved:
                if run_id in batched:
                    continue
                stats.claimed += 1
                # a run reserved while queued has never started: no steps to read back
                status = execute_run(self.engine, run_id, self.id, lease=self.lease,
                                     fresh=status == "queued")
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
        return stats

    def _run_batches(self, reserved: list[tuple[int, str]]) -> dict[int, str]:
        """Hand fresh runs to their action's ``run_batch`` handler, per automation; the
        statuses of the runs handled."""
        fresh = [run_id for run_id, status in reserved if status == "queued"]
        if len(fresh) < 2:
            return {}
        with self.engine.connect() as conn:
            owner = dict(conn.execute(sa.select(RUNS.c.id, RUNS.c.automation_id).where(
                RUNS.c.id.in_(fresh))).all())
            automations = {a.id: dict(a._mapping) for a in conn.execute(
                sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id.in_(set(owner.values()))))}
        done: dict[int, str] = {}
        for aid, automation in automations.items():
            actions = automation["actions"] or []
            spec = ACTIONS.get(actions[0]["type"]) if len(actions) == 1 else None
            handler = spec.extra.get("run_batch") if spec is not None else None
            if handler is None or automation["condition"]:
                continue
            runs = [run_id for run_id in fresh if owner.get(run_id) == aid]
            try:
                with self.engine.connect() as conn:   # who the runs act as (access/run_as.py)
                    principal = run_as_principal(conn, aid, automation["base_id"])
            except RunAsRefused:
                continue   # the per-run path fails or skips each run with the reason
            try:
                with acting(principal):
                    done.update(handler(self.engine, automation, runs, self.id, self.lease))
            except Exception:  # noqa: BLE001 - the runs fall back to the per-run path
                log.exception("workflow worker %s: batch of automation %s failed; running "
                              "its runs one by one", self.id, aid)
        return done

    def purge_trash(self, *, every_seconds: float = 3600.0) -> int:
        """The periodic housekeeping job: trash items past their 30 days (tessera/trash.py),
        at most once per ``every_seconds`` per worker; returns how many were purged."""
        now = time.monotonic()
        if now < self._next_trash_purge:
            return 0
        self._next_trash_purge = now + every_seconds
        from tessera.trash import purge_expired

        try:
            return purge_expired(self.engine)
        except sa.exc.OperationalError:
            # housekeeping must not stop the runs (SQLite: the write lock stayed busy past the
            # timeout while other workers sent); it is tried again on the next pass
            log.warning("workflow worker %s: trash purge skipped (database busy)", self.id)
            self._next_trash_purge = now
            return 0

    def run_forever(self, stop: threading.Event, *, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                stats = self.run_once(max_runs=100)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("workflow worker %s: pass failed; retrying in %.1f s", self.id,
                              poll_seconds)
                stats = WorkerStats()
            if stats.claimed == 0:
                stop.wait(poll_seconds)


class EmbeddedWorker:
    """A worker thread inside the web process; ``stop()`` ends it after the current run."""

    def __init__(self, engine: Engine, *, poll_seconds: float = 1.0) -> None:
        self.worker = Worker(engine)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.worker.run_forever, args=(self._stop,),
                                        kwargs={"poll_seconds": poll_seconds},
                                        name="tessera-workflow", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_embedded_worker(engine: Engine, *, poll_seconds: float = 1.0) -> EmbeddedWorker:
    """Start the web process's own worker (``TESSERA_EMBEDDED_WORKER=0`` is the caller's
    switch to skip it when separate ``tessera worker`` processes run)."""
    from tessera.workflow.outbox import install

    install()
    return EmbeddedWorker(engine, poll_seconds=poll_seconds)
