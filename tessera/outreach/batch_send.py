"""The batched path of ``outreach_send``: a worker's claimed sender runs of one campaign are
sent together (registered as the action's ``run_batch``; the worker calls it for fresh runs of
an automation whose only action it is — see tessera/workflow/worker.py).

Per batch, instead of five commits per message:

1. **start** (one transaction): the runs' hold (claim still ours → ``running``, lease renewed),
   the recipients' records, delivery rows and the live audience check in three queries; the
   recipients that need no call (excluded since the launch, already final, template error)
   are completed at once; a ``wf_effects`` row ``sending`` is written for every message about
   to go out, before any call (the workflow's rule for external steps).
2. **send**: each message over the thread's keep-alive HTTP client, the channel's rate taken
   several places at a time (``acquire_many``), the lease renewed while the batch takes time.
   Each outcome is written to the delivery row **in its own short commit right after the
   call** — the delivery row is what stops a second send (a replay finds it ``sent``), so a
   SIGKILL loses at most the one message in flight, exactly as on the per-run path.
3. **finish** (one transaction): effects ``sent``, step rows, run ends (or ``retry`` with the
   runner's backoff for transient failures), log lines — executemany statements. Runs whose
   claim was lost meanwhile are left to their new holder, who completes them from the delivery
   rows without sending.

A crash between any two of these leaves runs ``running`` under a lease; when it expires a
worker replays them one by one on the runner's ordinary path, which reads the delivery row and
sends only what was not sent (the one in flight goes again under the same idempotency key)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera.auth.outbound import OutboundRefused
from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.outreach.audience import excluded_reason
from tessera.outreach.channel_store import check_targets
from tessera.outreach.channels import Message
from tessera.outreach.errors import ChannelError, ConfigError, TemplateRenderError
from tessera.outreach.message_templates import render_message
from tessera.outreach.models import DELIVERIES
from tessera.outreach.ratelimit import acquire_many
from tessera.records import read_links, records_to_dicts
from tessera.schema.catalog import sa_table, transaction
from tessera.workflow import timebase
from tessera.workflow.models import EFFECTS, RUN_LOG, RUNS
from tessera.workflow.runner import backoff
from tessera.workflow.statements import DUE_STATUSES, FINISH, INSERT_STEP
from tessera.workflow.templates import record_env

__all__ = ["run_batch", "STEP_KEY"]

STEP_KEY = "0"           # the sender automation's only step
_FINAL = ("sent", "failed", "excluded", "cancelled")

_d = DELIVERIES
# one delivery outcome, right after its call (never overwrites a final row)
_MARK = sa.update(_d).where(
    _d.c.campaign_id == sa.bindparam("cid"), _d.c.record_id == sa.bindparam("rid"),
    *(_d.c.status != final for final in _FINAL)).values(   # no IN list: executemany
    status=sa.bindparam("st"), error=sa.bindparam("err"), attempts=sa.bindparam("att"),
    provider_id=sa.bindparam("pid"), sent_at=sa.bindparam("at", type_=UtcDateTime()),
    idempotency_key=sa.bindparam("key"))
_EFFECT_SENT = sa.update(EFFECTS).where(EFFECTS.c.idempotency_key == sa.bindparam("k")).values(
    status="sent", detail=sa.bindparam("detail", type_=JsonValue),
    done_at=sa.bindparam("done", type_=UtcDateTime()))


@dataclass
class _Item:
    run_id: int
    record_id: int
    output: dict[str, Any] | None = None      # set when the step is complete
    message: Message | None = None
    attempts: int = 0
    error: str | None = None                  # a transient failure to retry


def _key(run_id: int) -> str:
    return f"{run_id}:{STEP_KEY}"


def _hold(conn: Connection, run_ids: Sequence[int], worker: str, until: dt.datetime,
          *, fresh: bool) -> list[tuple[int, int]]:
    now = timebase.now()
    r = RUNS
    status = (sa.and_(r.c.status.in_(DUE_STATUSES), r.c.run_after <= now) if fresh
              else r.c.status == "running")
    values: dict[str, Any] = {"locked_until": until}
    if fresh:
        values.update(status="running", started_at=sa.func.coalesce(r.c.started_at, now))
    rows = conn.execute(sa.update(r).where(r.c.id.in_(list(run_ids)), r.c.locked_by == worker,
                                           status).values(**values)
                        .returning(r.c.id, r.c.record_id)).all()
    return sorted((row.id, row.record_id) for row in rows)


def _records(conn: Connection, table: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    t = sa_table(table)
    rows = conn.execute(sa.select(t).where(t.c.id.in_(ids))).all()
    links = {f.id: read_links(conn, f, ids) for f in table.fields if f.type == "link"}
    return {rec["id"]: rec for rec in records_to_dicts(table, rows, links)}


def _start(engine: Engine, s: Any, cid: int, run_ids: Sequence[int], worker: str,
           lease: dt.timedelta) -> tuple[list[_Item], list[_Item]]:
    """Transaction 1: hold, read, decide; effects ``sending`` for the messages to send."""
    today = timebase.today()
    with transaction(engine, write=True) as conn:
        started = conn.execute(sa.select(EFFECTS.c.idempotency_key).where(
            EFFECTS.c.idempotency_key.in_([_key(r) for r in run_ids]))).scalars().all()
        skip = {int(k.split(":")[0]) for k in started}   # leave those to the per-run path
        held = _hold(conn, [r for r in run_ids if r not in skip], worker,
                     timebase.now() + lease, fresh=True)
        if not held:
            return [], []
        rids = [rid for _, rid in held if rid is not None]
        records = _records(conn, s.table, rids) if rids else {}
        found = {row.record_id: row for row in conn.execute(
            sa.select(_d.c.record_id, _d.c.status, _d.c.attempts, _d.c.provider_id).where(
                _d.c.campaign_id == cid, _d.c.record_id.in_(rids)))}
        items = [_Item(run_id, rid) for run_id, rid in held]
        done, to_send, marks = [], [], []
        for it in items:
            record = records.get(it.record_id)
            delivery = found.get(it.record_id)
            fields = (record or {}).get("fields") or {}
            reason = excluded_reason(s.audience, fields) if record is not None else "record deleted"
            if delivery is None:
                it.output = {"status": "not_in_campaign"}
            elif reason and delivery.status not in _FINAL:
                marks.append(_mark_params(cid, it.record_id, "excluded", error=reason,
                                          attempts=delivery.attempts))
                it.output = {"status": "excluded", "provider_id": None, "reason": reason}
            elif delivery.status in _FINAL:
                it.output = {"status": delivery.status, "provider_id": delivery.provider_id}
            else:
                key = _delivery_key(cid, it.record_id)
                try:
                    rendered = render_message(s.template, record_env(s.table, record),
                                              language=fields.get(s.audience.language_field or ""),
                                              today=today)
                except TemplateRenderError as exc:
                    marks.append(_mark_params(cid, it.record_id, "failed", error=exc.message("en"),
                                              attempts=delivery.attempts, key=key))
                    it.output = {"status": "failed", "error": exc.message("en")}
                else:
                    address = fields.get(s.audience.address_field) if s.audience.address_field else None
                    it.message = Message(str(address) if address else None, rendered.subject,
                                         rendered.body, key, rendered.params)
                    it.attempts = delivery.attempts + 1
            (done if it.output is not None else to_send).append(it)
        now = timebase.now()
        if marks:
            conn.execute(_MARK, marks)
        conn.execute(sa.insert(EFFECTS), [
            {"idempotency_key": _key(it.run_id), "kind": "outreach_send",
             "status": "sending" if it.output is None else "sent", "attempts": 1,
             "detail": it.output, "created_at": now, "done_at": None if it.output is None else now}
            for it in items])
        _complete(conn, done, now)
    return done, to_send


def _delivery_key(cid: int, rid: int) -> str:
    from tessera.outreach.sending import delivery_key

    return delivery_key(cid, rid)


def _mark_params(cid: int, rid: int, status: str, *, error: str | None = None,
                 attempts: int = 0, provider_id: str | None = None,
                 sent_at: dt.datetime | None = None, key: str | None = None) -> dict[str, Any]:
    return {"cid": cid, "rid": rid, "st": status, "err": error, "att": attempts,
            "pid": provider_id, "at": sent_at, "key": key}


def _complete(conn: Connection, items: Sequence[_Item], now: dt.datetime) -> None:
    """Steps, effects and run ends for finished items; ``retry`` for transient failures."""
    if not items:
        return
    ok = [it for it in items if it.error is None]
    retry = [it for it in items if it.error is not None]
    if ok:
        conn.execute(_EFFECT_SENT, [{"k": _key(it.run_id), "detail": it.output, "done": now}
                                    for it in ok])
        conn.execute(INSERT_STEP, [{
            "step_run_id": it.run_id, "key": STEP_KEY, "action_name": "outreach_send",
            "idem": _key(it.run_id), "step_status": "succeeded", "out": it.output,
            "until": None, "now": now, "done_at": now} for it in ok])
        conn.execute(FINISH, [{"run_id": it.run_id, "end_status": "succeeded", "end_error": None,
                               "now": now} for it in ok])
    for it in retry:
        conn.execute(INSERT_STEP, {
            "step_run_id": it.run_id, "key": STEP_KEY, "action_name": "outreach_send",
            "idem": _key(it.run_id), "step_status": "retry", "out": None, "until": None,
            "now": now, "done_at": None})
    if retry:
        conn.execute(sa.update(RUNS).where(RUNS.c.id.in_([it.run_id for it in retry])).values(
            status="retry", run_after=now + backoff(1), locked_by=None, locked_until=None,
            attempts=RUNS.c.attempts + 1))
    conn.execute(sa.insert(RUN_LOG), [{
        "run_id": it.run_id, "at": now, "level": "error" if it.error else "info",
        "message": (f"step {STEP_KEY} outreach_send failed (attempt 1, batched send): {it.error}"
                    if it.error else f"step {STEP_KEY} outreach_send {it.output.get('status')} "
                    f"(batched send, key {_key(it.run_id)}); run succeeded")} for it in items])


def _call(ch: Any, refused: Exception | None, it: _Item) -> tuple[_Item, Any]:
    """One provider call: (item, SendResult or the channel's exception)."""
    assert it.message is not None
    try:
        if refused is not None:
            raise refused
        return it, ch.spec.send(ch.config, ch.secrets, it.message)
    except (ChannelError, ConfigError, OutboundRefused) as exc:
        return it, exc


def _outcome(cid: int, ch: Any, it: _Item, result: Any) -> dict[str, Any]:
    """The item's output (or retry error) and its delivery row's new values."""
    assert it.message is not None
    key = it.message.idempotency_key
    if isinstance(result, Exception):
        error = result.message("en")  # type: ignore[attr-defined]
        final = not getattr(result, "transient", False) or it.attempts >= ch.max_attempts
        if final:
            it.output = {"status": "failed", "error": error}
        else:
            it.error = error
        return _mark_params(cid, it.record_id, "failed" if final else "retrying", error=error,
                            attempts=it.attempts, key=key)
    it.output = {"status": "sent", "provider_id": result.provider_id, "key": key}
    return _mark_params(cid, it.record_id, "sent", attempts=it.attempts,
                        provider_id=result.provider_id, sent_at=timebase.now(), key=key)


def _send_all(engine: Engine, s: Any, cid: int, items: list[_Item], worker: str,
              lease: dt.timedelta) -> list[_Item]:
    """Send the messages, ``concurrency`` at a time (the channel's setting, default 1); each
    delivery row is committed as soon as its call returns. Returns the items still held by
    this worker (a lease renewal that misses a run drops it)."""
    ch = s.channel
    try:
        check_targets(engine, ch, s.allowed_hosts)
        refused: Exception | None = None
    except (ConfigError, OutboundRefused) as exc:
        refused = exc
    width = max(1, int(ch.concurrency or 1))
    pool = ThreadPoolExecutor(width, thread_name_prefix="outreach-send") if width > 1 else None
    renewed, held, allowance = time.monotonic(), {it.run_id for it in items}, 0
    try:
        with engine.connect() as conn:
            for start in range(0, len(items), width):
                if time.monotonic() - renewed > lease.total_seconds() / 3:
                    with conn.begin():
                        held = {run_id for run_id, _ in _hold(
                            conn, [x.run_id for x in items[start:]], worker,
                            timebase.now() + lease, fresh=False)}
                    renewed = time.monotonic()
                window = [it for it in items[start:start + width] if it.run_id in held]
                while refused is None and allowance < len(window):
                    allowance += acquire_many(engine, ch.id, ch.rate_per_second,
                                              len(items) - start - allowance)
                allowance = max(0, allowance - len(window))
                calls = ([_call(ch, refused, it) for it in window] if pool is None else
                         (f.result() for f in as_completed(
                             pool.submit(_call, ch, refused, it) for it in window)))
                for it, result in calls:
                    mark = _outcome(cid, ch, it, result)
                    with conn.begin():
                        conn.execute(_MARK, mark)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return [it for it in items if it.run_id in held]


def _finish(engine: Engine, items: list[_Item], worker: str, lease: dt.timedelta) -> set[int]:
    """Transaction 3: for the runs still ours, effects, steps and run ends in a few statements."""
    if not items:
        return set()
    with transaction(engine, write=True) as conn:
        ours = {run_id for run_id, _ in _hold(conn, [it.run_id for it in items], worker,
                                              timebase.now() + lease, fresh=False)}
        _complete(conn, [it for it in items if it.run_id in ours], timebase.now())
    return ours


def batch_size(s: Any, claimed: int, lease: dt.timedelta) -> int:
    """How many of the claimed runs one batch takes: at a channel rate, what a quarter of the
    lease can send (the rest go to the per-run path or the next batch)."""
    rate = s.channel.rate_per_second
    if not rate or rate <= 0:
        return claimed
    return max(1, min(claimed, int(rate * lease.total_seconds() / 4)))


def _runs_as_system(engine: Engine, automation: Mapping[str, Any]) -> bool:
    from tessera.access.run_as import RunAsRefused, run_as_principal

    with engine.connect() as conn:
        try:
            return run_as_principal(conn, automation["id"], automation["base_id"]).is_system
        except RunAsRefused:
            return False


def run_batch(engine: Engine, automation: Mapping[str, Any], run_ids: Sequence[int],
              worker: str, lease: dt.timedelta) -> dict[int, str]:
    """Send the campaign messages of fresh ``run_ids`` (reserved by ``worker``); their final
    statuses as the runner would report them. Runs left out are for the per-run path."""
    from tessera.outreach.sending import _setup

    if not _runs_as_system(engine, automation):
        return {}      # a run-as user: the runner applies their scope run by run
    cid = int(((automation["actions"] or [{}])[0].get("options") or {})["campaign_id"])
    s = _setup(engine, cid)
    chosen = list(run_ids)[:batch_size(s, len(run_ids), lease)]
    done, to_send = _start(engine, s, cid, chosen, worker, lease)
    result = {it.run_id: "succeeded" for it in done}
    if to_send:
        finished = _finish(engine, _send_all(engine, s, cid, to_send, worker, lease), worker,
                           lease)
        for it in to_send:
            result[it.run_id] = ("lost" if it.run_id not in finished
                                 else "suspended" if it.error is not None else "succeeded")
    return result
