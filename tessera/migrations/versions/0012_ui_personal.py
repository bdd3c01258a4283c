"""ui: personal view settings on the server, public form links (owner: UI helpers)

Revision ID: 0012_ui_personal
Revises: 0011_outreach_receipts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0012_ui_personal'
down_revision = '0011_outreach_receipts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
