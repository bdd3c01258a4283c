"""On SQLite a full recompute memory-maps the database file while it runs (compute/session.py):
the grouped link table reads the target table at random, and mapped pages cost no copy through
the page cache. The connection's setting is restored after, also when the run fails."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.compute import recompute_table
from tessera.compute.session import full_recompute_settings


def _mmap_size(dbapi_connection) -> int:
    return dbapi_connection.execute("PRAGMA mmap_size").fetchone()[0]


@pytest.fixture
def sqlite_only(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("mmap_size is a SQLite setting")


def test_the_grouped_table_is_built_with_the_file_mapped(clinic, sqlite_only):
    clinic.add(clinic.customers, "T", "formula", {"formula": "SUM({Visits}.{Amount})"})
    seen: dict[str, int] = {}

    def record(_conn, cursor, statement, *_args):
        if "CREATE TEMPORARY TABLE" in statement or statement.lstrip().startswith(("UPDATE", "WITH")):
            seen[statement.split()[0]] = _mmap_size(cursor.connection)  # (not through SQLAlchemy)

    with clinic.engine.connect() as conn:
        before = _mmap_size(conn.connection.driver_connection)
    sa.event.listen(clinic.engine, "after_cursor_execute", record)
    try:
        recompute_table(clinic.engine, clinic.customers)
    finally:
        sa.event.remove(clinic.engine, "after_cursor_execute", record)
    assert before == 0
    assert seen.get("CREATE", 0) > 0 and seen.get("WITH", seen.get("UPDATE", 0)) > 0
    assert clinic.values(clinic.customers, "T") == {"ann": 150, "bob": 30, "cat": 0}


def test_the_setting_is_restored_after_the_block_and_after_a_failure(engine, sqlite_only):
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA mmap_size = 65536")
        with conn.begin():
            with full_recompute_settings(conn):
                assert _mmap_size(raw) > 65536
        assert _mmap_size(raw) == 65536
        with pytest.raises(RuntimeError), conn.begin(), full_recompute_settings(conn):
            assert _mmap_size(raw) > 65536
            raise RuntimeError("the run failed")
        assert _mmap_size(raw) == 65536
