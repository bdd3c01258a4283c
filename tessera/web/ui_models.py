"""Metadata tables for browser UI state (SQLAlchemy Core on ``Model.metadata``; the matching
migrations are tessera/migrations/versions/0006_ui.py and 0012_ui_personal.py).

``record_comments``: the discussion on a record page. A comment belongs to a user table's
record by (table_id, record_id); deleting the table deletes its comments, deleting a record
keeps them (the record page still shows its history after a delete, and undo can bring the
record back).

``ui_personal_settings``: one user's grid settings for one table and view (``view_id`` NULL:
the table's own grid) — column widths, order, hidden columns, frozen columns, row height and
grouping (tessera.web.personal). Saved views stay shared; these follow the user to any
browser.

``ui_form_links``: a form shared by an unguessable, revocable link (tessera.web.public_forms);
submissions act as the user who made the link (``created_by``). ``ui_form_hits`` counts the
link's submissions per client address for its rate limit (every process counts the same)."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.models import Model

__all__ = ["RECORD_COMMENTS", "PERSONAL_SETTINGS", "FORM_LINKS", "FORM_HITS"]

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

PERSONAL_SETTINGS = sa.Table(
    "ui_personal_settings", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("view_id", sa.Integer, sa.ForeignKey("views.id", ondelete="CASCADE"),
              nullable=True),
    sa.Column("settings", JsonValue, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_ui_personal_settings_user_table", "user_id", "table_id"),
)

FORM_LINKS = sa.Table(
    "ui_form_links", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("view_id", sa.Integer, sa.ForeignKey("views.id", ondelete="CASCADE"),
              nullable=True),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Index("ix_ui_form_links_table_id", "table_id"),
)

FORM_HITS = sa.Table(
    "ui_form_hits", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("ui_form_links.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("client_ip", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_ui_form_hits_link_id_created_at", "link_id", "created_at"),
)
