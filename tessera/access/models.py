"""Metadata tables for base roles, field permissions, row-level rules (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0004_access.py)."""

from __future__ import annotations

from tessera.models import Model

meta = Model.metadata
