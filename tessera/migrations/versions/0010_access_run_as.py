"""access: automation run-as user, base trash (owner: access helper)

``access_run_as`` holds, per automation, who created it and who it runs as (a user, or SYSTEM
when an owner chose it). Automations that exist before this migration ran as SYSTEM, so they
get a SYSTEM row and keep behaving as before; an owner can switch them to a user. A base in
the trash needs no schema: it is a ``trash_items`` row of kind ``base``.

Revision ID: 0010_access_run_as
Revises: 0009_view_layout
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_access_run_as'
down_revision = '0009_view_layout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_run_as",
        sa.Column("automation_id", sa.Integer,
                  sa.ForeignKey("wf_automations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("is_system", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute("INSERT INTO access_run_as (automation_id, created_by, user_id, is_system) "
               "SELECT id, NULL, NULL, TRUE FROM wf_automations")


def downgrade() -> None:
    op.drop_table("access_run_as")
