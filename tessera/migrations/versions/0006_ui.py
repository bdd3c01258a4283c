"""browser UI state: comments on records

Revision ID: 0006_ui
Revises: 0005_packs
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.web.ui_models  # noqa: F401

revision = '0006_ui'
down_revision = '0005_packs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from tessera.fields.sqltypes import UtcDateTime

    op.create_table('record_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['tables.id'], name=op.f('fk_record_comments_table_id_tables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_comments'))
    )
    with op.batch_alter_table('record_comments', schema=None) as batch_op:
        batch_op.create_index('ix_record_comments_table_id_record_id', ['table_id', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_record_comments_table_id_record_id')
    op.drop_table('record_comments')
