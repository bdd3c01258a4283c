"""Executing one claimed run, step by step, durably.

A run's program is its automation's action list. Execution replays it from the start: a step
whose row in ``wf_steps`` succeeded is skipped (its stored output feeds later templates, and a
branch's stored choice is followed again), so a resumed or retried run continues exactly where
it stopped. Each step's idempotency key is ``<run id>:<step key>``.

Database actions commit in the same transaction as their step row; the row is completed with a
compare-and-set, so a second worker holding a stale claim rolls back instead of applying the
effect again. External actions are bracketed by ``wf_effects`` rows (see effects.py)."""

from __future__ import annotations

import datetime as dt
import traceback
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera.errors import NotFoundError, TesseraError
from tessera.records import RecordService
from tessera.schema.catalog import TableInfo, get_table
from tessera.workflow import timebase
from tessera.workflow.actions import wait_delta
from tessera.workflow.context import RunScope, StepContext, run_scope
from tessera.workflow.models import AUTOMATIONS, EFFECTS, RUNS, STEPS
from tessera.workflow.outbox import log
from tessera.workflow.registry import ACTIONS
from tessera.workflow.templates import TemplateError, record_env, render

__all__ = ["execute_run", "backoff", "branch_condition"]


def branch_condition(action: dict[str, Any], env: dict[str, Any], today: dt.date) -> bool:
    """A branch step's condition (a formula, with or without the leading ``=``) is TRUE."""
    source = str((action.get("options") or {})["condition"]).lstrip("=")
    return render("=" + source, env, today=today) is True


class _Suspend(Exception):
    """The run pauses (wait, retry) or its claim was lost; its state is already saved."""


class _Stop(Exception):
    pass


def backoff(attempt: int, base: float = 2.0, cap: float = 3600.0) -> dt.timedelta:
    return dt.timedelta(seconds=min(cap, base * 2 ** (attempt - 1)))


class _Run:
    def __init__(self, engine: Engine, run_id: int, worker: str) -> None:
        self.engine = engine
        self.worker = worker
        with engine.begin() as conn:
            self.run = dict(conn.execute(sa.select(RUNS).where(RUNS.c.id == run_id)).one()._mapping)
            self.automation = dict(conn.execute(sa.select(AUTOMATIONS).where(
                AUTOMATIONS.c.id == self.run["automation_id"])).one()._mapping)
            self.steps = {r.step_key: dict(r._mapping) for r in conn.execute(
                sa.select(STEPS).where(STEPS.c.run_id == run_id))}
            self.table: TableInfo | None = (get_table(conn, self.run["table_id"])
                                            if self.run["table_id"] else None)
            self.record = self._record(conn)
        self.env: dict[str, Any] = record_env(self.table, self.record)
        for k, v in (self.run["payload"] or {}).items():
            if k != "record" and not isinstance(v, dict | list):
                self.env[f"payload.{k}"] = v
        self.today = timebase.today()

    def _record(self, conn: Connection) -> dict[str, Any] | None:
        payload = self.run["payload"] or {}
        if self.table is None or self.run["record_id"] is None:
            return None
        try:
            self.record_live = True
            return RecordService(conn).get(self.table.id, self.run["record_id"])
        except NotFoundError:
            self.record_live = False
            return payload.get("record")

    # --- bookkeeping ------------------------------------------------------------------------
    def key(self, step_key: str) -> str:
        return f"{self.run['id']}:{step_key}"

    def _claimed(self, conn: Connection) -> bool:
        """Re-check our claim and extend the lease (another worker may have taken a stale run)."""
        now = timebase.now()
        result = conn.execute(sa.update(RUNS).where(
            RUNS.c.id == self.run["id"], RUNS.c.locked_by == self.worker,
            RUNS.c.status == "running").values(locked_until=now + self.lease))
        return result.rowcount == 1

    lease = dt.timedelta(seconds=60)
    record_live = False

    def _complete_step(self, conn: Connection, step_key: str, action: str, output: dict[str, Any],
                       status: str = "succeeded", wait_until: dt.datetime | None = None) -> None:
        now = timebase.now()
        existing = self.steps.get(step_key)
        if existing is None:
            conn.execute(sa.insert(STEPS).values(
                run_id=self.run["id"], step_key=step_key, action=action,
                idempotency_key=self.key(step_key), status=status, attempts=1, output=output,
                wait_until=wait_until, started_at=now,
                finished_at=now if status == "succeeded" else None))
        else:
            done = conn.execute(sa.update(STEPS).where(
                STEPS.c.id == existing["id"], STEPS.c.status != "succeeded").values(
                status=status, output=output, attempts=existing["attempts"] + 1,
                wait_until=wait_until, finished_at=now if status == "succeeded" else None))
            if done.rowcount != 1:
                raise _Suspend()   # completed by someone else: roll our effect back
        self.steps[step_key] = {"status": status, "output": output, "wait_until": wait_until,
                                "attempts": (existing or {}).get("attempts", 0) + 1,
                                "id": (existing or {}).get("id")}
        if existing is None:
            self.steps[step_key]["id"] = conn.execute(sa.select(STEPS.c.id).where(
                STEPS.c.idempotency_key == self.key(step_key))).scalar_one()

    def _finish(self, status: str, error: str | None = None, message: str | None = None) -> None:
        with self.engine.begin() as conn:
            if not self._claimed(conn):
                return
            conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
                status=status, error=error, finished_at=timebase.now(), locked_by=None,
                locked_until=None))
            log(conn, self.run["id"], message or f"run {status}", "error" if error else "info")

    def _pause(self, conn: Connection, status: str, until: dt.datetime) -> None:
        conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
            status=status, run_after=until, locked_by=None, locked_until=None))

    # --- steps ------------------------------------------------------------------------------
    def _remember(self, action: dict[str, Any], output: dict[str, Any] | None) -> None:
        name = action.get("name")
        if name and output:
            for k, v in output.items():
                if not isinstance(v, dict | list):
                    self.env[f"{name}.{k}"] = v

    def _ctx(self, conn: Connection | None, step_key: str) -> StepContext:
        return StepContext(self.engine, conn, self.automation, self.run, self.table, self.record,
                           self.env, step_key, self.key(step_key), self.today, timebase.now())

    def step(self, step_key: str, action: dict[str, Any]) -> dict[str, Any]:
        spec = ACTIONS[action["type"]]
        done = self.steps.get(step_key)
        if done is not None and done["status"] == "succeeded":
            self._remember(action, done["output"])
            return done["output"] or {}
        if spec.control == "wait":
            return self._wait(step_key, action, done)
        try:
            if spec.control == "branch":
                took = "then" if branch_condition(action, self.env, self.today) else "else"
                output = {"took": took}
                with self.engine.begin() as conn:
                    if not self._claimed(conn):
                        raise _Suspend()
                    self._complete_step(conn, step_key, spec.name, output)
                    log(conn, self.run["id"], f"step {step_key} branch: {took}")
                return output
            options = render(action.get("options") or {}, self.env, today=self.today)
            if spec.external:
                output = self._external(step_key, spec, options)
            else:
                with self.engine.begin() as conn:
                    if not self._claimed(conn):
                        raise _Suspend()
                    ctx = self._ctx(conn, step_key)
                    with run_scope(RunScope(self.run["id"], self.automation["id"],
                                            self.run["depth"])):
                        output = spec.run(ctx, options)
                    self._complete_step(conn, step_key, spec.name, output)
                    for line in ctx.logs:
                        log(conn, self.run["id"], f"step {step_key}: {line}")
                    log(conn, self.run["id"], f"step {step_key} {spec.name} succeeded: {output}")
        except (_Suspend, _Stop):
            raise
        except Exception as exc:  # noqa: BLE001 - every action failure is recorded and retried
            self._failed(step_key, spec, action, exc, done)
        self._remember(action, output)
        if spec.control == "stop":
            raise _Stop()
        return output

    def _external(self, step_key: str, spec: Any, options: dict[str, Any]) -> dict[str, Any]:
        key = self.key(step_key)
        with self.engine.begin() as conn:
            if not self._claimed(conn):
                raise _Suspend()
            effect = conn.execute(sa.select(EFFECTS).where(EFFECTS.c.idempotency_key == key)).first()
            if effect is not None and effect.status == "sent":
                output = effect.detail or {}
                self._complete_step(conn, step_key, spec.name, output)
                return output
            if effect is None:
                conn.execute(sa.insert(EFFECTS).values(
                    idempotency_key=key, kind=spec.name, status="sending", attempts=1,
                    created_at=timebase.now()))
            else:
                conn.execute(sa.update(EFFECTS).where(EFFECTS.c.idempotency_key == key).values(
                    attempts=EFFECTS.c.attempts + 1))
                log(conn, self.run["id"], f"step {step_key}: sending again under the same "
                    f"idempotency key {key} (an earlier attempt did not confirm)", "warning")
        output = spec.run(self._ctx(None, step_key), options)
        with self.engine.begin() as conn:
            conn.execute(sa.update(EFFECTS).where(EFFECTS.c.idempotency_key == key).values(
                status="sent", detail=output, done_at=timebase.now()))
            self._complete_step(conn, step_key, spec.name, output)
            log(conn, self.run["id"], f"step {step_key} {spec.name} sent (key {key})")
        return output

    def _wait(self, step_key: str, action: dict[str, Any], done: dict[str, Any] | None) -> dict[str, Any]:
        now = timebase.now()
        with self.engine.begin() as conn:
            if not self._claimed(conn):
                raise _Suspend()
            if done is None:
                until = now + wait_delta(action.get("options") or {})
                self._complete_step(conn, step_key, "wait", {"until": until.isoformat()},
                                    status="waiting", wait_until=until)
            else:
                until = done["wait_until"]
                if until.tzinfo is None:
                    until = until.replace(tzinfo=dt.UTC)
            if until <= now:
                self._complete_step(conn, step_key, "wait", {"until": until.isoformat()})
                log(conn, self.run["id"], f"step {step_key} wait over")
                return {"until": until.isoformat()}
            self._pause(conn, "waiting", until)
            log(conn, self.run["id"], f"step {step_key} waiting until {until.isoformat()}")
        raise _Suspend()

    def _failed(self, step_key: str, spec: Any, action: dict[str, Any], exc: Exception,
                done: dict[str, Any] | None) -> None:
        attempts = (done or {}).get("attempts", 0) + 1
        limit = int(action.get("retries", spec.max_attempts))
        message = exc.message("en") if isinstance(exc, TesseraError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, TemplateError):
            limit = 1
        final = attempts >= limit
        with self.engine.begin() as conn:
            if not self._claimed(conn):
                raise _Suspend()
            if done is None:
                conn.execute(sa.insert(STEPS).values(
                    run_id=self.run["id"], step_key=step_key, action=spec.name,
                    idempotency_key=self.key(step_key), status="failed" if final else "retry",
                    attempts=1, error=message, started_at=timebase.now()))
            else:
                conn.execute(sa.update(STEPS).where(STEPS.c.id == done["id"]).values(
                    status="failed" if final else "retry", attempts=attempts, error=message))
            log(conn, self.run["id"], f"step {step_key} {spec.name} failed (attempt {attempts}"
                f" of {limit}): {message}", "error")
            if final:
                conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
                    status="failed", error=message, finished_at=timebase.now(), locked_by=None,
                    locked_until=None, attempts=RUNS.c.attempts + 1))
            else:
                conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
                    status="retry", run_after=timebase.now() + backoff(attempts),
                    locked_by=None, locked_until=None, attempts=RUNS.c.attempts + 1))
        if not final:
            self.debug = traceback.format_exc()
        raise _Suspend()

    # --- program ----------------------------------------------------------------------------
    def gate(self) -> bool:
        condition = self.automation["condition"]
        if not condition:
            return True
        done = self.steps.get("gate")
        if done is not None and done["status"] == "succeeded":
            return bool((done["output"] or {}).get("passed"))
        from tessera.workflow.conditions import true_ids

        with self.engine.begin() as conn:
            if not self._claimed(conn):
                raise _Suspend()
            if self.table is not None and self.record_live:
                passed = self.run["record_id"] in true_ids(
                    conn, self.table, condition, today=self.today, ids=[self.run["record_id"]])
            else:
                passed = render("=" + condition, self.env, today=self.today) is True
            self._complete_step(conn, "gate", "condition", {"passed": passed})
        return passed

    def walk(self, actions: list[dict[str, Any]], prefix: str = "") -> None:
        for i, action in enumerate(actions):
            key = f"{prefix}{i}"
            output = self.step(key, action)
            if action["type"] == "branch":
                took = output.get("took", "else")
                self.walk((action.get("options") or {}).get(took) or [], f"{key}.{took}.")


def execute_run(engine: Engine, run_id: int, worker: str, *,
                lease: dt.timedelta | None = None) -> str:
    """Run (or continue) one claimed run. Returns its status afterwards."""
    r = _Run(engine, run_id, worker)
    if lease is not None:
        r.lease = lease
    try:
        if not r.gate():
            r._finish("skipped", message="condition not met: run skipped")
            return "skipped"
        r.walk(list(r.automation["actions"] or []))
    except _Suspend:
        return "suspended"
    except _Stop:
        r._finish("stopped", message="a stop step ended the run")
        return "stopped"
    except Exception as exc:  # noqa: BLE001 - a broken run must not stop the worker
        r._finish("failed", error=f"{type(exc).__name__}: {exc}")
        return "failed"
    r._finish("succeeded")
    return "succeeded"
