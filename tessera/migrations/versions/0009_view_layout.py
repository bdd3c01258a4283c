"""views remember how they are shown: kind (grid/kanban/calendar/form) and layout

Revision ID: 0009_view_layout
Revises: 0008_schema_version
Create Date: 2026-11-24

Plain ``ADD COLUMN`` (no batch table rebuild), so the SQLite triggers on ``views`` that bump
the schema stamp (migration 0008) stay in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tessera.fields.sqltypes import JsonValue

revision = '0009_view_layout'
down_revision = '0008_schema_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('views', sa.Column('kind', sa.String(length=20), server_default='grid',
                                     nullable=False))
    op.add_column('views', sa.Column('layout', JsonValue, nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_column('views', 'layout')
        op.drop_column('views', 'kind')
        return
    # SQLite drops columns natively (3.35+); batch mode would rebuild the table and lose
    # the schema-version triggers of 0008.
    op.execute("ALTER TABLE views DROP COLUMN layout")
    op.execute("ALTER TABLE views DROP COLUMN kind")
