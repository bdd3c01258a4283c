"""browser UI state (personal views, preferences)

Revision ID: 0006_ui
Revises: 0005_packs
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.web.ui_models  # noqa: F401

revision = '0006_ui'
down_revision = '0005_packs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
