"""message templates, channels, campaigns, call queue, member links

Revision ID: 0007_outreach
Revises: 0006_ui
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.outreach.models  # noqa: F401

revision = '0007_outreach'
down_revision = '0006_ui'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
