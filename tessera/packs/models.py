"""Metadata tables for installed app packs and dashboards (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0005_packs.py)."""

from __future__ import annotations

from tessera.models import Model

meta = Model.metadata
