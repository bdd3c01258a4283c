"""Executing one claimed run, step by step, durably.

A run's program is its automation's action list. Execution replays it from the start: a step
whose row in ``wf_steps`` succeeded is skipped (its stored output feeds later templates, and a
branch's stored choice is followed again), so a resumed or retried run continues exactly where
it stopped. Each step's idempotency key is ``<run id>:<step key>``.

Database actions commit in the same transaction as their step row; the row is completed with a
compare-and-set, so a second worker holding a stale claim rolls back instead of applying the
effect again. External actions are bracketed by ``wf_effects`` rows (see effects.py).

Transactions: a run works in *segments*. A segment opens with the hold — one ``UPDATE`` that
checks the claim (``locked_by`` is this worker), marks the run running and renews the lease —
and stays open across the gate and consecutive database steps (each in a savepoint, so a
failing step rolls back alone and its failure is recorded next to the steps before it) up to
the run's end, which commits in the same transaction. Only an external call or a pause
closes a segment early: the ``sending`` row must be committed before the call, and the
``sent`` row right after it. A run of database actions is therefore one transaction,
atomic as a whole: a crash anywhere rolls all of it back and the run is replayed. The hold is
the segment's first statement, so on SQLite the transaction takes the write lock at once
(it never upgrades a read lock, which could fail with SQLITE_BUSY) and on PostgreSQL the run
row stays locked until the commit. Log lines are written in one batch at commit."""

from __future__ import annotations

import datetime as dt
import traceback
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera.access.context import acting
from tessera.access.run_as import RunAsRefused, run_as_principal, scoped_table
from tessera.access.scope import scope_memo
from tessera.errors import NotFoundError, TesseraError
from tessera.records import RecordService
from tessera.schema.catalog import TableInfo, get_table
from tessera.workflow import timebase
from tessera.workflow.actions import wait_delta
from tessera.workflow.context import RunScope, StepContext, run_scope
from tessera.workflow.models import EFFECTS, RUN_LOG, RUNS, STEPS
from tessera.workflow.registry import ACTIONS
from tessera.workflow.statements import (
    AUTOMATION,
    FINISH,
    HOLD,
    HOLD_RETURNING,
    INSERT_STEP,
    RUN_STEPS,
)
from tessera.workflow.templates import TemplateError, record_env, render

__all__ = ["execute_run", "backoff", "branch_condition"]


def branch_condition(action: dict[str, Any], env: dict[str, Any], today: dt.date) -> bool:
    """A branch step's condition (a formula, with or without the leading ``=``) is TRUE."""
    source = str((action.get("options") or {})["condition"]).lstrip("=")
    return render("=" + source, env, today=today) is True


class _Suspend(Exception):
    """The run pauses (wait, retry) or its claim was lost; its state is already saved."""


class _Lost(_Suspend):
    """Another worker holds the run (our reservation expired and was taken over)."""


class _Stop(Exception):
    pass


def backoff(attempt: int, base: float = 2.0, cap: float = 3600.0) -> dt.timedelta:
    return dt.timedelta(seconds=min(cap, base * 2 ** (attempt - 1)))


class _Run:
    lease = dt.timedelta(seconds=60)
    record_live = False

    def __init__(self, engine: Engine, run_id: int, worker: str, *,
                 lease: dt.timedelta | None = None) -> None:
        self.engine = engine
        self.worker = worker
        self.run_id = run_id
        if lease is not None:
            self.lease = lease
        self.today = timebase.today()
        self.run: dict[str, Any] = {"id": run_id}
        self._conn: Connection | None = None
        self._trans: Any = None
        self._logs: list[dict[str, Any]] = []

    # --- segments ---------------------------------------------------------------------------
    def _hold(self, conn: Connection, *, first: bool) -> bool:
        """Check our claim, mark the run running and renew the lease, in one statement."""
        now = timebase.now()
        params = {"run_id": self.run_id, "worker": self.worker, "now": now,
                  "until": now + self.lease}
        if not first:
            return conn.execute(HOLD, params).rowcount == 1
        row = conn.execute(HOLD_RETURNING, params).first()
        if row is not None:
            self.run = dict(row._mapping)
        return row is not None

    def _open(self, *, first: bool = False) -> Connection:
        """The open segment, or a new one begun with the hold (raises _Lost without it)."""
        if self._conn is not None:
            return self._conn
        conn = self.engine.connect()
        trans = conn.begin()
        try:
            held = self._hold(conn, first=first)
        except BaseException:
            trans.rollback()
            conn.close()
            raise
        if not held:
            trans.rollback()
            conn.close()
            raise _Lost()
        self._conn, self._trans = conn, trans
        return conn

    def _commit(self) -> None:
        conn, trans = self._conn, self._trans
        if conn is None:
            return
        self._conn = self._trans = None
        try:
            if self._logs:
                conn.execute(sa.insert(RUN_LOG), self._logs)
            trans.commit()
        except BaseException:
            trans.rollback()
            raise
        finally:
            self._logs = []
            conn.close()

    def _rollback(self) -> None:
        conn, trans = self._conn, self._trans
        if conn is None:
            return
        self._conn = self._trans = None
        self._logs = []
        try:
            trans.rollback()
        finally:
            conn.close()

    def _log(self, message: str, level: str = "info") -> None:
        self._logs.append({"run_id": self.run_id, "at": timebase.now(), "level": level,
                           "message": message})

    # --- loading ----------------------------------------------------------------------------
    def load(self, *, fresh: bool) -> None:
        """Open the first segment and read what the run needs, once: its row (returned by the
        hold), its automation, its completed steps (none for a run that never started) and
        the trigger record."""
        conn = self._open(first=True)
        self.automation = automation_row(conn, self.run["automation_id"])
        self.steps = {} if fresh else {r.step_key: dict(r._mapping) for r in conn.execute(
            RUN_STEPS, {"run_id": self.run_id})}
        # who the run acts as (raises RunAsRefused), and the table as that user sees it
        self.principal = run_as_principal(conn, self.automation["id"],
                                          self.automation["base_id"])
        self.table: TableInfo | None = (scoped_table(conn, self.principal, get_table(
            conn, self.run["table_id"])) if self.run["table_id"] else None)
        with acting(self.principal):
            self.record = self._record(conn)
            self.env: dict[str, Any] = record_env(
                self.table, self.record, conn=conn,
                templates=[self.automation["actions"], self.automation["condition"]])
        for k, v in (self.run["payload"] or {}).items():
            if k != "record" and not isinstance(v, dict | list):
                self.env[f"payload.{k}"] = v

    def _record(self, conn: Connection) -> dict[str, Any] | None:
        payload = self.run["payload"] or {}
        if self.table is None or self.run["record_id"] is None:
            return None
        try:
            record = RecordService(conn).get(self.table.id, self.run["record_id"])
            self.record_live = True
            return record
        except NotFoundError:
            self.record_live = False
            if self._exists(conn):   # it exists, but not for the run-as user
                raise RunAsRefused(
                    f"Record {self.run['record_id']} is outside what {self.principal.username} "
                    "(the user this automation runs as) may see: run skipped.",
                    f"记录 {self.run['record_id']} 不在运行身份用户 {self.principal.username} "
                    "的可见范围内：已跳过本次运行。", skip=True) from None
            return payload.get("record")

    def _exists(self, conn: Connection) -> bool:
        t = sa.table(self.table.physical_name, sa.column("id"))  # type: ignore[union-attr]
        return conn.execute(sa.select(t.c.id).where(
            t.c.id == self.run["record_id"])).first() is not None

    # --- bookkeeping ------------------------------------------------------------------------
    def key(self, step_key: str) -> str:
        return f"{self.run['id']}:{step_key}"

    def _complete_step(self, conn: Connection, step_key: str, action: str, output: dict[str, Any],
                       status: str = "succeeded", wait_until: dt.datetime | None = None) -> None:
        now = timebase.now()
        existing = self.steps.get(step_key)
        if existing is None:
            conn.execute(INSERT_STEP, {
                "step_run_id": self.run_id, "key": step_key, "action_name": action,
                "idem": self.key(step_key), "step_status": status, "out": output,
                "until": wait_until, "now": now,
                "done_at": now if status == "succeeded" else None})
        else:
            done = conn.execute(sa.update(STEPS).where(
                STEPS.c.idempotency_key == self.key(step_key),
                STEPS.c.status != "succeeded").values(
                status=status, output=output, attempts=existing["attempts"] + 1,
                wait_until=wait_until, finished_at=now if status == "succeeded" else None))
            if done.rowcount != 1:
                raise _Suspend()   # completed by someone else: roll our effect back
        self.steps[step_key] = {"status": status, "output": output, "wait_until": wait_until,
                                "attempts": (existing or {}).get("attempts", 0) + 1}

    def _finish(self, status: str, error: str | None = None, message: str | None = None) -> None:
        conn = self._open()
        conn.execute(FINISH, {"run_id": self.run_id, "end_status": status, "end_error": error,
                              "now": timebase.now()})
        self._log(message or f"run {status}", "error" if error else "info")
        self._commit()

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
                self._complete_step(self._open(), step_key, spec.name, output)
                self._log(f"step {step_key} branch: {took}")
                return output
            options = render(action.get("options") or {}, self.env, today=self.today)
            if spec.external:
                output = self._external(step_key, spec, options)
            else:
                conn = self._open()
                with conn.begin_nested():   # a failure rolls back this step only
                    ctx = self._ctx(conn, step_key)
                    with run_scope(RunScope(self.run["id"], self.automation["id"],
                                            self.run["depth"])):
                        output = spec.run(ctx, options)
                    self._complete_step(conn, step_key, spec.name, output)
                for line in ctx.logs:
                    self._log(f"step {step_key}: {line}")
                self._log(f"step {step_key} {spec.name} succeeded: {output}")
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
        conn = self._open()   # also commits the database steps before this one
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
            self._log(f"step {step_key}: sending again under the same idempotency key {key} "
                      f"(an earlier attempt did not confirm)", "warning")
        self._commit()        # "sending" is durable before the call
        output = spec.run(self._ctx(None, step_key), options)
        # "sent" is durable right after the call, even if our lease ran out during it (then
        # the step's compare-and-set decides who completes it): no hold in this transaction
        with self.engine.begin() as conn:
            conn.execute(sa.update(EFFECTS).where(EFFECTS.c.idempotency_key == key).values(
                status="sent", detail=output, done_at=timebase.now()))
            self._complete_step(conn, step_key, spec.name, output)
            self._log(f"step {step_key} {spec.name} sent (key {key})")
            conn.execute(sa.insert(RUN_LOG), self._logs)
            self._logs = []
        return output

    def _wait(self, step_key: str, action: dict[str, Any], done: dict[str, Any] | None) -> dict[str, Any]:
        now = timebase.now()
        conn = self._open()
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
            self._log(f"step {step_key} wait over")
            return {"until": until.isoformat()}
        self._pause(conn, "waiting", until)
        self._log(f"step {step_key} waiting until {until.isoformat()}")
        self._commit()
        raise _Suspend()

    def _failed(self, step_key: str, spec: Any, action: dict[str, Any], exc: Exception,
                done: dict[str, Any] | None) -> None:
        attempts = (done or {}).get("attempts", 0) + 1
        limit = int(action.get("retries", spec.max_attempts))
        message = exc.message("en") if isinstance(exc, TesseraError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, TemplateError):
            limit = 1
        final = attempts >= limit
        conn = self._open()   # the failed step's savepoint is rolled back; earlier steps stay
        if done is None:
            conn.execute(sa.insert(STEPS).values(
                run_id=self.run["id"], step_key=step_key, action=spec.name,
                idempotency_key=self.key(step_key), status="failed" if final else "retry",
                attempts=1, error=message, started_at=timebase.now()))
        else:
            conn.execute(sa.update(STEPS).where(STEPS.c.idempotency_key == self.key(step_key))
                         .values(status="failed" if final else "retry", attempts=attempts,
                                 error=message))
        self._log(f"step {step_key} {spec.name} failed (attempt {attempts} of {limit}): "
                  f"{message}", "error")
        if final:
            conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
                status="failed", error=message, finished_at=timebase.now(), locked_by=None,
                locked_until=None, attempts=RUNS.c.attempts + 1))
        else:
            conn.execute(sa.update(RUNS).where(RUNS.c.id == self.run["id"]).values(
                status="retry", run_after=timebase.now() + backoff(attempts),
                locked_by=None, locked_until=None, attempts=RUNS.c.attempts + 1))
        self._commit()
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

        conn = self._open()
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


    def program(self, *, fresh: bool) -> tuple[str, str | None, str | None]:
        """Load, gate and walk the actions (as the automation's run-as principal): the run's
        end as (status, error, log message)."""
        try:
            self.load(fresh=fresh)
        except RunAsRefused as exc:
            if exc.skip:
                return "skipped", None, exc.message("en")
            return "failed", exc.message("en"), exc.message("en")
        with acting(self.principal):
            if not self.gate():
                return "skipped", None, "condition not met: run skipped"
            try:
                self.walk(list(self.automation["actions"] or []))
            except _Stop:
                return "stopped", None, "a stop step ended the run"
        return "succeeded", None, None


def automation_row(conn: Connection, automation_id: int) -> dict[str, Any]:
    """The automation as a run reads it (read in the run's transaction: an edit made while
    runs are queued applies to the runs that start after it)."""
    return dict(conn.execute(AUTOMATION, {"automation_id": automation_id}).one()._mapping)


def execute_run(engine: Engine, run_id: int, worker: str, *,
                lease: dt.timedelta | None = None, fresh: bool = False) -> str:
    """Run (or continue) one run claimed by ``worker``. Returns its status afterwards:
    ``succeeded``, ``failed``, ``skipped``, ``stopped``, ``suspended`` (waiting, retrying, or
    its claim went stale mid-run) or ``lost`` (another worker holds it now). ``fresh`` says
    the run was ``queued`` when claimed, so it has no steps to read."""
    r = _Run(engine, run_id, worker, lease=lease)
    try:
        try:
            with scope_memo():   # the run-as user's access scopes, built once per run
                status, error, message = r.program(fresh=fresh)
        except _Lost:
            r._rollback()
            return "lost" if "automation_id" not in r.run else "suspended"
        except _Suspend:
            r._rollback()
            return "suspended"
        except Exception as exc:  # noqa: BLE001 - a broken run must not stop the worker
            r._rollback()
            status, error, message = "failed", f"{type(exc).__name__}: {exc}", None
        try:
            r._finish(status, error=error, message=message)
        except _Suspend:
            r._rollback()
            return "suspended"
        return status
    finally:
        r._rollback()
