"""Metadata tables for message templates, channels, campaigns, call queue, member links (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0007_outreach.py)."""

from __future__ import annotations

from tessera.models import Model

meta = Model.metadata
