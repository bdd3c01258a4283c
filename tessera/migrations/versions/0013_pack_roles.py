"""packs: pack roles applied to users (owner: clinic pack helper)

Revision ID: 0013_pack_roles
Revises: 0012_ui_personal
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0013_pack_roles'
down_revision = '0012_ui_personal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
