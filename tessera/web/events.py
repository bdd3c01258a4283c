"""Live updates: record changes reach open grids as server-sent events within a second.

A ``RecordService.after_change`` listener notes each change on the connection (inside the
write's transaction); an engine ``commit`` listener publishes the notes only once the
transaction committed (a rollback drops them), so a grid never shows a change that did not
happen. Publishing invalidates the grid's position indexes (tessera.web.seek) and wakes every
subscriber of the table through its event loop.

This broadcaster is in-process: it sees every write made through this process's engine (the
API, the grid, the embedded workflow worker). With several app processes, writes made by
another process are not seen; such deployments need a database poller (change_sets since the
last id) or PostgreSQL LISTEN/NOTIFY feeding :meth:`Broadcaster.publish`."""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from tessera.records import RecordChange, RecordService
from tessera.web import seek

__all__ = ["Change", "Broadcaster", "BROADCASTER", "install", "table_events", "KEEPALIVE_S"]

KEEPALIVE_S = 15.0
_PENDING = "tessera_ui_changes"


@dataclass(frozen=True)
class Change:
    """One committed change as a grid sees it."""

    table_id: int
    kind: str  # create | update | delete
    record_ids: tuple[int, ...]
    field_ids: tuple[int, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class Broadcaster:
    """Subscribers per table: (event loop, queue) pairs; publish is thread-safe."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]]] = {}
        self._lock = threading.Lock()

    def subscribe(self, table_id: int) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[Change]())
        with self._lock:
            self._subscribers.setdefault(table_id, set()).add(entry)
        return entry

    def unsubscribe(self, table_id: int,
                    entry: tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]) -> None:
        with self._lock:
            self._subscribers.get(table_id, set()).discard(entry)

    def subscriber_count(self, table_id: int) -> int:
        with self._lock:
            return len(self._subscribers.get(table_id, ()))

    def publish(self, change: Change) -> None:
        seek.invalidate(change.table_id, change.kind, change.field_ids)
        with self._lock:
            targets = list(self._subscribers.get(change.table_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, change)
            except RuntimeError:  # the loop closed: the subscriber is gone
                self.unsubscribe(change.table_id, (loop, queue))


BROADCASTER = Broadcaster()
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


def _note(conn: Connection, change: RecordChange) -> None:
    if change.kind in ("create", "update", "delete") and conn.engine in _installed:
        conn.info.setdefault(_PENDING, []).append(
            Change(change.table_id, change.kind, change.record_ids, change.field_ids))


def _on_commit(conn: Connection) -> None:
    for change in conn.info.pop(_PENDING, []):
        BROADCASTER.publish(change)


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


def install(engine: Engine) -> None:
    """Hook the broadcaster to ``engine`` (idempotent)."""
    if _note not in RecordService.after_change:
        RecordService.after_change.append(_note)
    if engine not in _installed:
        sa.event.listen(engine, "commit", _on_commit)
        sa.event.listen(engine, "rollback", _on_rollback)
        _installed.add(engine)


async def _stream(request: Request, table_id: int) -> AsyncIterator[str]:
    entry = BROADCASTER.subscribe(table_id)
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
        BROADCASTER.unsubscribe(table_id, entry)


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
    return StreamingResponse(_stream(request, table_id), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
