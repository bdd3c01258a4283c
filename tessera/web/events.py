"""Live updates: record changes reach open grids as server-sent events within a second.

Changes come from the cross-process change feed (tessera.web.change_feed): whichever process
committed a record write — this one, another uvicorn worker, ``tessera worker``, a CLI import —
the feed reads it from ``change_sets`` (PostgreSQL LISTEN/NOTIFY, a cheap poll on SQLite) and
puts it on the queue of every subscriber of the table. A rolled-back write has no committed
change set, so a grid never shows a change that did not happen.

Writes made through this process's engine also drop the grid's position indexes
(tessera.web.seek) synchronously at commit (``install``), so this process's next read after
its own write never uses a stale index; the feed does it for other processes' writes."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from tessera.records import RecordChange, RecordService
from tessera.web import seek
from tessera.web.change_feed import Change, feed_for

__all__ = ["Change", "install", "table_events", "KEEPALIVE_S"]

KEEPALIVE_S = 15.0
_PENDING = "tessera_ui_changes"

_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


def _note(conn: Connection, change: RecordChange) -> None:
    if change.kind in ("create", "update", "delete") and conn.engine in _installed:
        conn.info.setdefault(_PENDING, []).append(change)


def _on_commit(conn: Connection) -> None:
    for change in conn.info.pop(_PENDING, []):
        seek.invalidate(change.table_id, change.kind, change.field_ids)


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


def install(engine: Engine) -> None:
    """Drop ``engine``'s stale position indexes at each commit (idempotent)."""
    if _note not in RecordService.after_change:
        RecordService.after_change.append(_note)
    if engine not in _installed:
        sa.event.listen(engine, "commit", _on_commit)
        sa.event.listen(engine, "rollback", _on_rollback)
        _installed.add(engine)


async def _stream(request: Request, engine: Engine, table_id: int) -> AsyncIterator[str]:
    feed = feed_for(engine)
    await run_in_threadpool(partial(feed.start, pin=True))  # "ready": the feed listens…
    try:
        await run_in_threadpool(feed.catch_up)  # …and sent what committed before this request
        entry = feed.subscribe(table_id)
    except BaseException:
        feed.unpin()
        raise
    try:
        yield "retry: 1000\nevent: ready\ndata: {}\n\n"
        while True:
            try:
                change = await asyncio.wait_for(entry[1].get(), timeout=KEEPALIVE_S)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": keepalive\n\n"
                continue
            yield f"event: change\ndata: {change.to_json()}\n\n"
    finally:
        feed.unsubscribe(table_id, entry)
        feed.unpin()


def _may_read(engine: Engine, table_id: int) -> None:
    """Only users who may read the table follow its changes (tessera.access; 403 otherwise)."""
    from tessera.access.context import acting_principal
    from tessera.access.scope import table_scope

    with engine.connect() as conn:
        table_scope(conn, acting_principal(), table_id, "records.read")


async def table_events(request: Request) -> StreamingResponse:
    """``GET /ui/tables/{table_id}/events``: the table's committed changes as SSE."""
    install(request.app.state.engine)
    table_id = request.path_params["table_id"]
    await run_in_threadpool(_may_read, request.app.state.engine, table_id)
    return StreamingResponse(_stream(request, request.app.state.engine, table_id),
                             media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
