"""Metadata models (SQLAlchemy 2, typed): bases, tables, fields, views, history, rejects.

User data lives in physical tables ``t_<table_id>`` managed by :mod:`tessera.schema_ops`;
these models describe them. The Alembic migrations in ``tessera/migrations`` build exactly
this schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tessera.fields.sqltypes import JsonValue, UtcDateTime, utcnow

__all__ = ["Model", "Base", "Table", "Field", "View", "ChangeSet", "RecordHistory",
           "ConversionRejectRow"]


class Model(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Base(Model):
    __tablename__ = "bases"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Table(Model):
    __tablename__ = "tables"
    __table_args__ = (sa.UniqueConstraint("base_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("bases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Field(Model):
    __tablename__ = "fields"
    __table_args__ = (sa.UniqueConstraint("table_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("tables.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(40))
    options: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    is_primary: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class View(Model):
    __tablename__ = "views"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("tables.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    filters: Mapped[dict[str, Any] | None] = mapped_column(JsonValue, nullable=True)
    sorts: Mapped[list[Any]] = mapped_column(JsonValue, default=list)
    hidden_fields: Mapped[list[Any]] = mapped_column(JsonValue, default=list)
    position: Mapped[int] = mapped_column(default=0)
    # how the view is shown (tessera.schema.view_layout.VIEW_KINDS) and its layout
    # (group_by, fields, stack_field, date_field, row_height); see docs/storage.md
    kind: Mapped[str] = mapped_column(sa.String(20), default="grid", server_default="grid")
    layout: Mapped[dict[str, Any] | None] = mapped_column(JsonValue, nullable=True)


class ChangeSet(Model):
    """One user action (a create, an edit, a bulk paste, an undo…) grouping history rows."""

    __tablename__ = "change_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    undo_of: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RecordHistory(Model):
    """Old and new API values of one field of one record (or a whole-row snapshot)."""

    __tablename__ = "record_history"
    __table_args__ = (sa.Index("ix_record_history_table_record", "table_id", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    change_set_id: Mapped[int] = mapped_column(
        sa.ForeignKey("change_sets.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column()
    record_id: Mapped[int] = mapped_column()
    field_id: Mapped[int | None] = mapped_column(nullable=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    old_value: Mapped[Any] = mapped_column(JsonValue, nullable=True)
    new_value: Mapped[Any] = mapped_column(JsonValue, nullable=True)
    actor: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ConversionRejectRow(Model):
    """A value a type change could not convert, kept so nothing is lost."""

    __tablename__ = "conversion_rejects"
    __table_args__ = (sa.Index("ix_conversion_rejects_field_record", "field_id", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column()
    field_id: Mapped[int] = mapped_column()
    record_id: Mapped[int] = mapped_column()
    from_type: Mapped[str] = mapped_column(sa.String(40))
    to_type: Mapped[str] = mapped_column(sa.String(40))
    original_value: Mapped[Any] = mapped_column(JsonValue, nullable=True)
    reason: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
