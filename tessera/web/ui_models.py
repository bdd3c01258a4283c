"""Metadata tables for browser UI state (SQLAlchemy Core on ``Model.metadata``; the matching
migration is tessera/migrations/versions/0006_ui.py).

``record_comments``: the discussion on a record page. A comment belongs to a user table's
record by (table_id, record_id); deleting the table deletes its comments, deleting a record
keeps them (the record page still shows its history after a delete, and undo can bring the
record back)."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import UtcDateTime
from tessera.models import Model

__all__ = ["RECORD_COMMENTS"]

meta = Model.metadata

RECORD_COMMENTS = sa.Table(
    "record_comments", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_record_comments_table_id_record_id", "table_id", "record_id"),
)
