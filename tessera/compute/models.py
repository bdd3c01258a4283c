"""Bookkeeping of rank snapshots (column_functions.py): one row per persisted rank table.

Kept in a metadata table rather than found by inspecting the database so that a single-record
recompute learns whether a snapshot exists, and how far the column drifted from it, with one
primary-key read — on PostgreSQL a query against a missing table would abort the transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models import Model

__all__ = ["ColumnSnapshot"]


class ColumnSnapshot(Model):
    """A rank table ``name`` of one computed field over one column: the column's count of
    non-blank numbers, minimum and maximum when it was built, and how many records have been
    recomputed against it since (``drift``)."""

    __tablename__ = "column_snapshots"
    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    field_id: Mapped[int] = mapped_column(index=True)
    n: Mapped[int] = mapped_column(sa.BigInteger())
    low: Mapped[float | None] = mapped_column(sa.Float(53), nullable=True)
    high: Mapped[float | None] = mapped_column(sa.Float(53), nullable=True)
    digits: Mapped[int | None] = mapped_column(nullable=True)
    drift: Mapped[int] = mapped_column(sa.BigInteger(), default=0)
