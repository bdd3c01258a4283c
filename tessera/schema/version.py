"""The schema stamp: one row that changes in the same transaction as every metadata change.

Metadata (tables, fields, views) is read far more often than it changes: every record write,
page and recompute needs its table, and the recompute needs the whole dependency graph. Caches
of it are only correct if every process sees every change, so the signal lives in the database:
row 1 of ``schema_version`` holds a counter and a random ``stamp``, and database triggers on
``tables``, ``fields`` and ``views`` (migration 0008) bump both in the writing transaction
itself — no code path can forget it, whichever module or process writes the metadata.

Why a random stamp and not just the counter: a transaction that changes the schema and reads it
back caches what it read under its own, uncommitted version. If it rolls back, the next
committed change would reuse that counter value and meet the stale entry; a random 63-bit stamp
is never reused, so a cache keyed by the stamp can never serve a rolled-back state.

Reading the stamp is one primary-key lookup; :func:`schema_stamp` returns None when the row is
missing (then nothing is cached).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models import Model

__all__ = ["SchemaVersion", "schema_stamp", "schema_counter", "VERSION_TABLES"]

VERSION_TABLES = ("tables", "fields", "views")  # metadata tables whose writes bump the stamp


class SchemaVersion(Model):
    """The single row (id 1) bumped by triggers on every metadata write."""

    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger())
    stamp: Mapped[int] = mapped_column(sa.BigInteger())


_STAMP_SQL = "SELECT stamp FROM schema_version WHERE id = 1"


def schema_stamp(conn: Connection) -> int | None:
    """The stamp of the schema as ``conn``'s transaction sees it (None: no version row)."""
    if conn.dialect.name == "sqlite" and conn.in_transaction():
        # read on every metadata lookup: the driver's cursor, in the transaction already begun,
        # costs a fifth of a SQLAlchemy execution
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            row = cursor.execute(_STAMP_SQL).fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]
    return conn.exec_driver_sql(_STAMP_SQL).scalar()


def schema_counter(conn: Connection) -> int | None:
    """How many metadata writes the database has seen (for tests and diagnostics)."""
    return conn.exec_driver_sql("SELECT version FROM schema_version WHERE id = 1").scalar()
