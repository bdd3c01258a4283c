"""base roles, field permissions, row-level rules

Revision ID: 0004_access
Revises: 0003_auth
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.access.models  # noqa: F401

revision = '0004_access'
down_revision = '0003_auth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
