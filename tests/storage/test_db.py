"""Connection settings Tessera applies per backend."""

from __future__ import annotations

import sqlalchemy as sa


def test_connection_settings(engine):
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
        else:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_a_write_waits_for_another_writer_instead_of_failing(engine, records, make_table):
    """A record write that reads first must not fail with "database is locked" because
    another connection committed meanwhile (SQLite WAL snapshot): it waits and succeeds."""
    import threading
    import time

    table = make_table("T", [("N", "number", None)])
    records.create(table.id, {"Name": "warm-up"})          # metadata and caches read once
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with engine.connect() as conn:
            conn.execution_options(tessera_write=True)
            with conn.begin():
                conn.execute(sa.text(f"UPDATE {table.physical_name} SET f_{table.field('N').id} = 1"))
                holding.set()
                release.wait(5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(5)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    created = records.create(table.id, {"Name": "after", "N": 2})
    thread.join(5)
    assert created["fields"]["N"] == 2.0
    assert time.monotonic() - started >= 0.2               # it waited for the other writer
