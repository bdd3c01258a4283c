"""installed app packs and dashboards

Revision ID: 0005_packs
Revises: 0004_access
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.packs.models  # noqa: F401

revision = '0005_packs'
down_revision = '0004_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
