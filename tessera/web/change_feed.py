"""The cross-process change feed: every committed record change, whichever process wrote it
(this web process, another uvicorn worker, ``tessera worker`` running automations, a CLI
import), reaches this process's open grids within a second.

The source of truth is ``change_sets``: every record write commits one row there (with its
``record_history`` rows) in the writing transaction, so a change that rolled back is never
seen and nothing has to be hooked into the other processes.

- **PostgreSQL**: migration 0012 adds an ``AFTER INSERT`` trigger on ``change_sets`` that runs
  ``pg_notify('tessera_changes', '<change set id>:<table id>')``. PostgreSQL delivers a
  notification only when the writing transaction commits; the feed ``LISTEN``\\ s on its own
  psycopg connection and relays each one as it arrives (ids can commit out of order, so the
  feed follows notifications, not an id range).
- **SQLite**: one process writes at a time (writing transactions begin IMMEDIATE) so change
  set ids commit in increasing order; the feed polls ``max(id)`` every :data:`POLL_S` seconds
  (one primary-key lookup) and reads the change sets past the last one it saw.

A change set becomes a :class:`Change` (table, kind, record ids, field ids) read from its
history rows; one bigger than :data:`MAX_IDS` records (an import) becomes a ``reload`` that
makes grids re-read. Each change drops the grid's stale position indexes (tessera.web.seek)
and is put on the queue of every subscriber of its table.

The feed of an engine runs in one daemon thread while the app runs (the app's lifespan pins
it) or while anyone subscribes; "ready" on an event stream means the feed already listens."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera import models as m
from tessera.history import BATCH_ACTION
from tessera.web import seek

__all__ = ["Change", "ChangeFeed", "feed_for", "read_changes", "CHANNEL", "POLL_S", "MAX_IDS"]

CHANNEL = "tessera_changes"
POLL_S = 0.2
MAX_IDS = 2000
RETRY_S = 1.0
_log = logging.getLogger(__name__)

CS, H = m.ChangeSet.__table__, m.RecordHistory.__table__


@dataclass(frozen=True)
class Change:
    """One committed change as a grid sees it: kind is create, update, delete or reload
    (too many records to list, or the feed reconnected: re-read everything)."""

    table_id: int
    kind: str
    record_ids: tuple[int, ...]
    field_ids: tuple[int, ...]
    change_set_id: int = 0  # 0: not one change set (a reload)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def read_changes(conn: sa.Connection, change_set_ids: Sequence[int]) -> list[Change]:
    """The changes of committed change sets, in id order."""
    if not change_set_ids:
        return []
    tables = dict(conn.execute(sa.select(CS.c.id, CS.c.table_id)
                               .where(CS.c.id.in_(list(change_set_ids)))).all())
    rows = conn.execute(sa.select(H.c.change_set_id, H.c.record_id, H.c.field_id, H.c.action)
                        .where(H.c.change_set_id.in_(list(tables)))
                        .limit(MAX_IDS + 1)).all()
    complete = len(rows) <= MAX_IDS
    found: dict[int, tuple[set[int], set[int], set[str]]] = {cs: (set(), set(), set())
                                                             for cs in tables}
    for cs, record_id, field_id, action in rows:
        records, fields, actions = found[cs]
        actions.add(action)
        if action != BATCH_ACTION:  # a batch entry names only its first record
            records.add(record_id)
        if field_id is not None:
            fields.add(field_id)
    changes = []
    for cs in sorted(tables):
        records, fields, actions = found[cs]
        if not complete:
            changes.append(Change(tables[cs], "reload", (), ()))
        elif actions:
            # a batch of creates (an import) is one history entry: a create all the same
            kind = "create" if actions & {"create", BATCH_ACTION} else \
                "delete" if "delete" in actions else "update"
            changes.append(Change(tables[cs], kind, tuple(sorted(records)),
                                  tuple(sorted(fields)), cs))
    return changes


class _SqlitePoll:
    """Change set ids past the last one seen, checked every :data:`POLL_S` seconds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.last = 0

    def open(self) -> None:
        with self.engine.connect() as conn:
            self.last = conn.execute(sa.select(sa.func.max(CS.c.id))).scalar() or 0

    def next_ids(self, stop: threading.Event) -> list[int]:
        if stop.wait(POLL_S):
            return []
        with self.engine.connect() as conn:
            if (conn.execute(sa.select(sa.func.max(CS.c.id))).scalar() or 0) <= self.last:
                return []
            ids = list(conn.execute(sa.select(CS.c.id).where(CS.c.id > self.last)
                                    .order_by(CS.c.id).limit(500)).scalars())
        if ids:
            self.last = ids[-1]
        return ids

    def close(self) -> None:
        return None


class _PgListen:
    """``LISTEN tessera_changes`` on a dedicated autocommit connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Any = None

    def open(self) -> None:
        import psycopg

        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def next_ids(self, stop: threading.Event) -> list[int]:
        ids = []
        for note in self.conn.notifies(timeout=POLL_S, stop_after=1):
            ids.append(int(note.payload.split(":", 1)[0]))
        # whatever else already arrived comes along without waiting
        for note in self.conn.notifies(timeout=0):
            ids.append(int(note.payload.split(":", 1)[0]))
        return ids

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


Entry = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[Change]"]


class ChangeFeed:
    """Subscribers per table (event loop, queue) of one engine, and the thread feeding them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._subscribers: dict[int, set[Entry]] = {}
        self._lock = threading.Lock()
        self._pins = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._primed = threading.Event()
        self._idle_rounds = 0
        self._round_done = threading.Condition()

    # --- subscribers ---------------------------------------------------------------------
    def subscribe(self, table_id: int) -> Entry:
        """A queue of the table's changes on the running loop (call :meth:`start` first)."""
        entry: Entry = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._subscribers.setdefault(table_id, set()).add(entry)
        return entry

    def unsubscribe(self, table_id: int, entry: Entry) -> None:
        with self._lock:
            subscribers = self._subscribers.get(table_id)
            if subscribers is not None:
                subscribers.discard(entry)
                if not subscribers:
                    del self._subscribers[table_id]

    def subscriber_count(self, table_id: int) -> int:
        with self._lock:
            return len(self._subscribers.get(table_id, ()))

    def publish(self, change: Change) -> None:
        seek.invalidate(change.table_id, "create" if change.kind == "reload" else change.kind,
                        change.field_ids)
        with self._lock:
            targets = list(self._subscribers.get(change.table_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, change)
            except RuntimeError:  # the loop closed: the subscriber is gone
                self.unsubscribe(change.table_id, (loop, queue))

    # --- the thread ----------------------------------------------------------------------
    def start(self, *, pin: bool = False, timeout: float = 10.0) -> None:
        """Run the feed (blocking until it listens). A pinned feed runs until :meth:`unpin`;
        otherwise it stops once nobody subscribes."""
        with self._lock:
            if pin:
                self._pins += 1
            if self._thread is None:
                self._stop.clear()
                self._primed.clear()
                self._thread = threading.Thread(target=self._run, name="tessera-change-feed",
                                                daemon=True)
                self._thread.start()
        if not self._primed.wait(timeout):
            _log.warning("change feed not listening after %.0f s", timeout)

    def catch_up(self, timeout: float = 5.0) -> None:
        """Wait until the feed relayed everything committed before this call — two rounds
        that found nothing new (the first may have started earlier) — so a subscriber added
        afterwards gets only newer changes."""
        with self._round_done:
            target = self._idle_rounds + 2
            self._round_done.wait_for(lambda: self._idle_rounds >= target or not self.running,
                                      timeout)

    def unpin(self, *, join: bool = False) -> None:
        """Release a :meth:`start` pin; the thread stops once nothing needs it (``join``:
        wait for that, e.g. when the app shuts down)."""
        with self._lock:
            self._pins = max(0, self._pins - 1)
            thread = self._thread if not self._pins and not self._subscribers else None
            if thread is not None:
                self._stop.set()
        if thread is not None and join:
            thread.join(5)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def _keep_going(self) -> bool:
        with self._lock:
            if self._stop.is_set() or (not self._pins and not self._subscribers):
                self._thread = None
                return False
            return True

    def _source(self) -> _SqlitePoll | _PgListen:
        return _PgListen(self.engine) if self.engine.dialect.name == "postgresql" \
            else _SqlitePoll(self.engine)

    def _run(self) -> None:
        source = self._source()
        reconnect = False
        try:
            while True:
                try:
                    source.open()
                    self._primed.set()
                    if reconnect:  # notifications may have been missed meanwhile
                        self._reload_all()
                    while self._keep_going():
                        ids = source.next_ids(self._stop)
                        if ids:
                            with self.engine.connect() as conn:
                                changes = read_changes(conn, ids)
                            for change in changes:
                                self.publish(change)
                        elif not self._stop.is_set():
                            with self._round_done:  # a round that found nothing new
                                self._idle_rounds += 1
                                self._round_done.notify_all()
                    return
                except Exception:  # the database went away: retry, the grids re-read later
                    _log.warning("change feed lost its database connection; retrying",
                                 exc_info=True)
                    source.close()
                    reconnect = True
                    self._stop.wait(RETRY_S)
                    if not self._keep_going():
                        return
        finally:
            source.close()
            self._primed.set()

    def _reload_all(self) -> None:
        with self._lock:
            tables = list(self._subscribers)
        for table_id in tables:
            self.publish(Change(table_id, "reload", (), ()))


_feeds: weakref.WeakKeyDictionary[Engine, ChangeFeed] = weakref.WeakKeyDictionary()
_feeds_lock = threading.Lock()


def feed_for(engine: Engine) -> ChangeFeed:
    """The one feed of ``engine`` in this process."""
    with _feeds_lock:
        feed = _feeds.get(engine)
        if feed is None:
            feed = _feeds[engine] = ChangeFeed(engine)
        return feed
