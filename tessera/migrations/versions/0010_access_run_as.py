"""access: automation run-as user, base trash (owner: access helper)

Revision ID: 0010_access_run_as
Revises: 0009_view_layout
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0010_access_run_as'
down_revision = '0009_view_layout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
