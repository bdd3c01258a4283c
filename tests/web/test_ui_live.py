"""The cross-process change feed (tessera.web.change_feed): a write committed by another
process reaches this process's subscribers within a second, on SQLite (poll) and PostgreSQL
(LISTEN/NOTIFY); rolled-back writes never do; big change sets become a reload."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tessera.records import RecordService
from tessera.web import change_feed
from tessera.web.change_feed import Change, feed_for, read_changes

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]

# What another process runs: an update through the storage API on the same database.
WRITER = """
import sys
from tessera.db import create_engine
from tessera.records import RecordService
import time
engine = create_engine(sys.argv[1])
RecordService(engine).update(int(sys.argv[2]), int(sys.argv[3]), {"Note": sys.argv[4]})
print(time.time())  # committed
engine.dispose()
"""


@pytest.fixture
def notes(client, app) -> dict[str, Any]:
    base = client.post(f"{API}/bases", json={"name": "Live"}).json()
    table = client.post(f"{API}/bases/{base['id']}/tables", json={
        "name": "Notes", "fields": [{"name": "Note", "type": "text"}]}).json()
    assert client.post(f"{API}/tables/{table['id']}/records/bulk-create", json={
        "records": [{"fields": {"Name": n}} for n in ("a", "b", "c")]}).status_code == 201
    return table


def _listen(engine: Any, table_id: int, act: Any, wanted: int = 1,
            timeout: float = 5.0) -> list[tuple[float, Change]]:
    """Subscribe to the table's feed in a loop of its own, run ``act``, and return what
    arrived (with its wall-clock arrival time) until ``wanted`` changes or ``timeout``."""
    feed = feed_for(engine)

    async def main() -> list[tuple[float, Change]]:
        feed.start(pin=True)
        feed.catch_up()
        loop_queue = feed.subscribe(table_id)
        got: list[tuple[float, Change]] = []
        started = time.monotonic()
        worker = threading.Thread(target=act)
        worker.start()
        try:
            while len(got) < wanted:
                change = await asyncio.wait_for(loop_queue[1].get(),
                                                timeout - (time.monotonic() - started))
                got.append((time.time(), change))
        except TimeoutError:
            pass
        finally:
            worker.join()
            feed.unsubscribe(table_id, loop_queue)
            feed.unpin()
        return got

    out: list[list[tuple[float, Change]]] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    runner.start()
    runner.join(timeout + 30)
    return out[0]


def other_process(url: str, table_id: int, record_id: int, text: str) -> float:
    """Update a record from a separate Python process; the wall-clock time it committed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    done = subprocess.run([sys.executable, "-c", WRITER, url, str(table_id), str(record_id),
                           text], check=True, env=env, cwd=ROOT, timeout=60,
                          capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def test_a_write_by_another_process_arrives_within_a_second(app, notes, backend_url) -> None:
    engine = app.state.engine
    committed: list[float] = []
    got = _listen(engine, notes["id"], lambda: committed.append(
        other_process(backend_url, notes["id"], 2, "x")), timeout=30)
    assert len(got) == 1
    arrived, change = got[0]
    assert (change.kind, change.record_ids) == ("update", (2,))
    assert change.field_ids == (notes["fields"][1]["id"],)
    assert arrived - committed[0] < 1.0  # relayed within a second of the other's commit
    assert RecordService(engine).get(notes["id"], 2)["fields"]["Note"] == "x"


def test_creates_deletes_and_rollbacks(app, notes) -> None:
    engine = app.state.engine
    service = RecordService(engine)

    def act() -> None:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            RecordService(conn).update(notes["id"], 3, {"Note": "never"})
            raise RuntimeError("abort")
        new_id = service.create(notes["id"], {"Name": "d"})["id"]
        service.delete(notes["id"], new_id)

    got = [c for _, c in _listen(engine, notes["id"], act, wanted=2)]
    assert [(c.kind, c.record_ids) for c in got] == [("create", (4,)), ("delete", (4,))]


def test_changes_of_other_tables_do_not_reach_a_subscriber(app, client, notes) -> None:
    engine = app.state.engine
    other = client.post(f"{API}/bases/{notes['base_id']}/tables",
                        json={"name": "Other", "fields": []}).json()

    def act() -> None:
        RecordService(engine).create(other["id"], {"Name": "elsewhere"})
        RecordService(engine).update(notes["id"], 1, {"Note": "here"})

    got = [c for _, c in _listen(engine, notes["id"], act)]
    assert [(c.table_id, c.record_ids) for c in got] == [(notes["id"], (1,))]


def test_a_big_change_set_becomes_a_reload(app, notes, monkeypatch) -> None:
    engine = app.state.engine
    monkeypatch.setattr(change_feed, "MAX_IDS", 2)
    RecordService(engine).bulk_update(notes["id"], [(i, {"Note": "all"}) for i in (1, 2, 3)])
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM change_sets").scalar()
        assert read_changes(conn, [last]) == [Change(notes["id"], "reload", (), ())]  # no ids
        monkeypatch.setattr(change_feed, "MAX_IDS", 2000)
        [full] = read_changes(conn, [last])
    assert (full.kind, full.record_ids, full.change_set_id) == ("update", (1, 2, 3), last)


def test_an_import_batch_is_a_create(app, notes) -> None:
    engine = app.state.engine
    RecordService(engine).bulk_create_columns(notes["id"], {"Name": ["x", "y", "z"]})
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM change_sets").scalar()
        [change] = read_changes(conn, [last])
    assert (change.table_id, change.kind) == (notes["id"], "create")


def test_the_feed_stops_when_nothing_needs_it(app, notes) -> None:
    feed = feed_for(app.state.engine)
    assert feed.running  # the app's lifespan pinned it (TestClient runs the lifespan)
    got = _listen(app.state.engine, notes["id"], lambda: None, timeout=0.5)
    assert got == [] and feed.running and feed.subscriber_count(notes["id"]) == 0


def test_event_stream_sends_the_change_as_json(app, notes) -> None:
    from tessera.web.events import _stream

    engine = app.state.engine

    class Connected:
        async def is_disconnected(self) -> bool:
            return False

    async def main() -> list[str]:
        stream = _stream(Connected(), engine, notes["id"])  # type: ignore[arg-type]
        chunks = [await stream.__anext__()]
        writer = threading.Thread(
            target=lambda: RecordService(engine).update(notes["id"], 2, {"Note": "sse"}))
        writer.start()
        chunks.append(await asyncio.wait_for(stream.__anext__(), 3))
        writer.join()
        await stream.aclose()
        return chunks

    out: list[list[str]] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    runner.start()
    runner.join(30)
    ready, change = out[0]
    assert ready.startswith("retry: 1000\nevent: ready")
    body = json.loads(change.split("data: ", 1)[1])
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM change_sets").scalar()
    assert body == {"table_id": notes["id"], "kind": "update", "record_ids": [2],
                    "field_ids": [notes["fields"][1]["id"]], "change_set_id": last}
