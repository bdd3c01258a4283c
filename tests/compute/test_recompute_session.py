"""A full recompute runs its statements without PostgreSQL's JIT (compute/session.py) and
leaves the connection's setting as it found it."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.compute import recompute_table
from tessera.compute.session import full_recompute_settings


def test_full_recompute_switches_jit_off_on_postgresql_only_while_it_runs(clinic):
    clinic.add(clinic.customers, "T", "formula", {"formula": "SUM({Visits}.{Amount})"})
    pg = clinic.engine.dialect.name == "postgresql"
    seen: list[str] = []

    def record(conn, _cursor, statement, *_args):
        if statement.lstrip().startswith(("UPDATE", "WITH")) and "UPDATE" in statement and pg:
            seen.append(conn.exec_driver_sql("SHOW jit").scalar_one())
        elif not pg:
            seen.append(statement)

    sa.event.listen(clinic.engine, "after_cursor_execute", record)
    try:
        recompute_table(clinic.engine, clinic.customers)
    finally:
        sa.event.remove(clinic.engine, "after_cursor_execute", record)
    if pg:
        assert seen and set(seen) == {"off"}
    else:
        assert not any("jit" in s for s in seen)
    assert clinic.values(clinic.customers, "T")


def test_settings_are_restored_after_the_block(engine):
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            with full_recompute_settings(conn):
                pass
            return
        conn.exec_driver_sql("SET LOCAL jit = on")
        with full_recompute_settings(conn):
            assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "on"
