"""Metadata tables for browser UI state (personal views, preferences) (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0006_ui.py)."""

from __future__ import annotations

from tessera.models import Model

meta = Model.metadata
