"""Connection settings for the statements of a full recompute.

On PostgreSQL, JIT compilation is switched off while a full recompute runs (``SET LOCAL``, the
previous value restored after). Its statements are large expressions (one formula's value and
error, nested functions, rank-table probes), and the planner estimates them above
``jit_above_cost`` even on small tables: compiling them took longer than evaluating them
(20,000 customers, the clinic bench: the M分 statement 0.68 → 0.40 s, 客户标签 0.44 → 0.24 s
without JIT).

On SQLite, the database file is memory-mapped while a full recompute runs (``PRAGMA mmap_size``,
the previous value restored after). The grouped link table (link_groups.py) reads the target
table once per junction row in the junction's order, i.e. at random; through the 256 MB page
cache (db.py) each miss is a ``pread`` copying a page from the OS cache, and a database larger
than the page cache misses on most of them. Mapped, a page is read where the OS cache holds it.
The grouped table of bench/bench_formula.py at 200,000 / 2,000,000 (a 295 MB database, page
cache scaled to 50 MB as 256 MB is to the 1.4 GB of 1,000,000 / 10,000,000): 8.4 → 3.9 s CPU
(system time 3.1 → 0.02 s); with the whole file in a 2 GB page cache instead, 5.2 s. SQLite caps
the size at its compile-time SQLITE_MAX_MMAP_SIZE (2 GB in the usual builds) and maps at most
the file; ``mmap_size`` is not transactional, so it is restored even when the run fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["full_recompute_settings", "SQLITE_RECOMPUTE_MMAP_BYTES"]

SQLITE_RECOMPUTE_MMAP_BYTES = 1 << 34  # asked for; SQLite lowers it to its own maximum


@contextmanager
def full_recompute_settings(conn: Connection) -> Iterator[None]:
    if conn.dialect.name == "sqlite":
        with _sqlite_mapped(conn):
            yield
        return
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.execute(sa.text("SELECT current_setting('jit')")).scalar_one()
    conn.execute(sa.text("SELECT set_config('jit', 'off', true)"))
    yield  # (after an error the transaction is rolled back, and the local setting with it)
    conn.execute(sa.text("SELECT set_config('jit', :value, true)"), {"value": before})


@contextmanager
def _sqlite_mapped(conn: Connection) -> Iterator[None]:
    row = conn.exec_driver_sql("PRAGMA mmap_size").first()
    if row is None or int(row[0]) >= SQLITE_RECOMPUTE_MMAP_BYTES:  # (None: an in-memory database)
        yield
        return
    before = int(row[0])
    conn.exec_driver_sql(f"PRAGMA mmap_size = {SQLITE_RECOMPUTE_MMAP_BYTES}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA mmap_size = {before}")
