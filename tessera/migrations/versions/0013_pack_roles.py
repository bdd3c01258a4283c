"""packs: pack roles applied to users (owner: clinic pack helper)

No schema change: a pack role is stored as the base's own access rules (access_row_rules,
access_field_permissions, access_memberships; 0004) plus the installed pack's snapshot
(installed_packs, 0005). The revision stays so the chain is unchanged.

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
