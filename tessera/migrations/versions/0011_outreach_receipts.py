"""outreach: delivery receipts and inbound messages (owner: outreach helper)

Revision ID: 0011_outreach_receipts
Revises: 0010_access_run_as
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0011_outreach_receipts'
down_revision = '0010_access_run_as'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
