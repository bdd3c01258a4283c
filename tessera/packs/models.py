"""Metadata tables for installed app packs and dashboards (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0005_packs.py).

installed_packs  one row per base a pack was installed into: the normalized pack as installed
                 (the "base" of the three-way merge an upgrade does) and the map from pack keys
                 to the ids of the objects the install created
dashboards       a base's dashboards: a name and a list of widgets (table/view/field ids)
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.models import Model

__all__ = ["INSTALLED_PACKS", "DASHBOARDS"]

meta = Model.metadata

INSTALLED_PACKS = sa.Table(
    "installed_packs", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("base_id", sa.Integer, sa.ForeignKey("bases.id", ondelete="CASCADE"),
              nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("snapshot", JsonValue, nullable=False),
    sa.Column("id_map", JsonValue, nullable=False),
    sa.Column("installed_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

DASHBOARDS = sa.Table(
    "dashboards", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("base_id", sa.Integer, sa.ForeignKey("bases.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("widgets", JsonValue, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
