"""users, sessions, API tokens, audit log, trash

Revision ID: 0003_auth
Revises: 0002_workflow
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.auth.models  # noqa: F401

revision = '0003_auth'
down_revision = '0002_workflow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
