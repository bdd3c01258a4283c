"""Many-row INSERTs at the driver's speed.

SQLAlchemy's executemany builds a parameter dict per row and runs every type's bind processor
through its generic machinery: for a 100k-row import that is most of the time (profile:
``construct_params`` and ``_init_compiled`` cost more than SQLite's own insert). Here the bind
processors are looked up once per column and applied in one tight loop, and the rows go to the
DBAPI cursor as tuples — the same values SQLAlchemy would send, only without the per-row
overhead. PostgreSQL callers with a lot of rows use COPY instead (tessera/records.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["insert_many"]


def _processors(conn: Connection, table: sa.Table, columns: Sequence[str]
                ) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def insert_many(conn: Connection, table: sa.Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order, Python values as the column types take
    them) into ``table`` in one executemany on the connection's own transaction."""
    processors = _processors(conn, table, columns)
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if active:
        # Bulk rows repeat values (one timestamp for the whole batch, the same actor): convert
        # a value again only when it is not the very object converted last in that column.
        last_in: list[Any] = [object()] * len(processors)
        last_out: list[Any] = [None] * len(processors)

        def convert(row: Sequence[Any]) -> tuple[Any, ...]:
            values = list(row)
            for i, process in active:
                value = values[i]
                if value is not last_in[i]:
                    last_in[i], last_out[i] = value, process(value)
                values[i] = last_out[i]
            return tuple(values)
        params: Iterable[Sequence[Any]] = (convert(r) for r in rows)
    else:
        params = rows
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join(marker for _ in columns)})")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, list(params))
    finally:
        cursor.close()
