"""Metadata tables for users, sessions, API tokens, audit log, trash (SQLAlchemy Core on ``Model.metadata``;
the matching migration is tessera/migrations/versions/0003_auth.py)."""

from __future__ import annotations

from tessera.models import Model

meta = Model.metadata
