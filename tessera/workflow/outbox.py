"""The outbox: runs are written by the record change that raises them, inside its transaction.

``on_record_change`` is registered in ``RecordService.after_change`` (importing
:mod:`tessera.workflow` installs it). It finds the enabled automations of the changed table and
lets each trigger decide which runs to queue. A write made by a running automation queues its
runs one level deeper; beyond ``MAX_DEPTH`` nothing is queued and the loop is logged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.records import RecordChange, RecordService
from tessera.workflow import timebase
from tessera.workflow.context import MAX_DEPTH, current_scope, import_origin_active
from tessera.workflow.models import RUN_LOG, RUNS
from tessera.workflow.registry import TRIGGERS
from tessera.workflow.statements import ENABLED_AUTOMATIONS

__all__ = ["Origin", "enqueue", "enqueue_select", "on_record_change", "install", "log"]

IMPORT_ACTORS = ("import",)


@dataclass(frozen=True)
class Origin:
    """Where a change came from: a bulk import (no record triggers) and the automation depth."""

    bulk_import: bool
    depth: int


def enqueue(conn: Connection, automation: Any, record_ids: Iterable[int | None], *,
            trigger_type: str, depth: int = 0, payload: dict[str, Any] | None = None,
            dedupe: dict[int | None, str] | None = None) -> int:
    """Queue one run per record; with ``dedupe`` keys, a run already queued is not repeated."""
    now = timebase.now()
    rows = [dict(automation_id=automation.id, table_id=automation.table_id, record_id=rid,
                 trigger_type=trigger_type, payload=(payload or {}).get(rid) if payload and
                 rid in payload else None, dedupe_key=(dedupe or {}).get(rid), status="queued",
                 depth=depth, attempts=0, run_after=now, created_at=now)
            for rid in record_ids]
    if not rows:
        return 0
    if dedupe:
        keys = [r["dedupe_key"] for r in rows]
        existing: set[str] = set()
        for start in range(0, len(keys), 900):
            existing |= set(conn.execute(sa.select(RUNS.c.dedupe_key).where(
                RUNS.c.automation_id == automation.id,
                RUNS.c.dedupe_key.in_(keys[start:start + 900]))).scalars())
        rows = [r for r in rows if r["dedupe_key"] not in existing]
        if not rows:
            return 0
    conn.execute(sa.insert(RUNS), rows)
    return len(rows)


def enqueue_select(conn: Connection, automation: Any, ids: Any, *, trigger_type: str,
                   dedupe_prefix: str, dedupe_suffix: str) -> int:
    """Set-wise :func:`enqueue`: one ``INSERT … SELECT`` queues a run for every record id the
    one-column select ``ids`` yields, with dedupe key ``<prefix><id><suffix>``, skipping keys
    already queued. No row passes through Python (a daily sweep may queue thousands).

    Keys already queued are skipped by ``ON CONFLICT (automation_id, dedupe_key) DO NOTHING``
    on the unique constraint — one index probe per row, whatever the statistics say. (The
    former ``WHERE NOT EXISTS`` probe was planned on PostgreSQL, with fresh unanalysed rows,
    as a scan of ``wf_runs`` by ``automation_id`` alone that walked every row the statement
    itself had inserted: quadratic, 98,000 runs in 842 s.)"""
    from tessera.fields.sqltypes import UtcDateTime

    now = timebase.now()
    sub = ids.subquery()
    rid = sub.c[0]
    key = (sa.literal(dedupe_prefix, sa.String) + sa.cast(rid, sa.String)
           + sa.literal(dedupe_suffix, sa.String))
    # the WHERE keeps SQLite's parser from reading ON CONFLICT as part of the SELECT's join
    rows = sa.select(
        sa.literal(automation.id), sa.literal(automation.table_id), rid,
        sa.literal(trigger_type, sa.String), key, sa.literal("queued", sa.String),
        sa.literal(0), sa.literal(0), sa.literal(now, UtcDateTime()),
        sa.literal(now, UtcDateTime())).where(rid.is_not(None))
    insert = _dialect_insert(conn)(RUNS).from_select(
        ["automation_id", "table_id", "record_id", "trigger_type", "dedupe_key", "status",
         "depth", "attempts", "run_after", "created_at"], rows).on_conflict_do_nothing(
        index_elements=[RUNS.c.automation_id, RUNS.c.dedupe_key])
    if conn.dialect.name != "postgresql":
        return int(conn.execute(insert).rowcount or 0)
    # psycopg reports no row count for INSERT … SELECT … ON CONFLICT: count the RETURNING rows
    # in the server (WITH ins AS (INSERT … RETURNING 1) SELECT count(*) FROM ins)
    inserted = insert.returning(sa.literal(1)).cte("inserted")
    count = int(conn.execute(sa.select(sa.func.count()).select_from(inserted)).scalar_one())
    if count > ANALYZE_AFTER:
        # later statements (the workers' claims) plan with the new rows counted
        conn.exec_driver_sql(f"ANALYZE {RUNS.name}")
    return count


ANALYZE_AFTER = 10_000


def _dialect_insert(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def log(conn: Connection, run_id: int, message: str, level: str = "info") -> None:
    conn.execute(sa.insert(RUN_LOG).values(run_id=run_id, at=timebase.now(), level=level,
                                           message=message))


def _origin(conn: Connection, change: RecordChange) -> Origin:
    scope = current_scope()
    depth = scope.depth + 1 if scope is not None else 0
    bulk = import_origin_active()
    origin = getattr(change, "origin", None)
    if origin is not None:
        bulk = bulk or str(origin) in IMPORT_ACTORS
    elif not bulk and scope is None:
        # the storage layer stores the writer as the change set's actor; an import writes
        # with actor "import" (or "import:<file>") unless automations were asked for
        actor = getattr(change, "actor", None)
        if actor is None:
            from tessera.history import CS

            actor = conn.execute(sa.select(CS.c.actor).where(CS.c.table_id == change.table_id)
                                 .order_by(CS.c.id.desc()).limit(1)).scalar()
        bulk = actor is not None and (actor in IMPORT_ACTORS or str(actor).startswith("import:"))
    return Origin(bulk, depth)


def on_record_change(conn: Connection, change: RecordChange) -> None:
    automations = conn.execute(ENABLED_AUTOMATIONS, {"table_id": change.table_id}).all()
    if not automations:
        return
    origin = _origin(conn, change)
    scope = current_scope()
    if origin.depth > MAX_DEPTH:
        if scope is not None:
            log(conn, scope.run_id, f"loop bounded: automations triggered each other more than "
                f"{MAX_DEPTH} levels deep; no further runs were queued for table "
                f"{change.table_id} records {list(change.record_ids)[:10]}", "warning")
        return
    for automation in automations:
        spec = TRIGGERS.get(automation.trigger_type)
        if spec is not None and spec.on_change is not None:
            spec.on_change(conn, automation, change, origin)


def install() -> None:
    """Register the outbox hook with the records service (idempotent)."""
    if on_record_change not in RecordService.after_change:
        RecordService.after_change.append(on_record_change)
