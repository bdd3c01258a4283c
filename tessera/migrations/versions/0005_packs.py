"""installed app packs and dashboards

Revision ID: 0005_packs
Revises: 0004_access
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.packs.models  # noqa: F401
from tessera.fields.sqltypes import JsonValue, UtcDateTime

revision = '0005_packs'
down_revision = '0004_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('installed_packs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('snapshot', JsonValue, nullable=False),
    sa.Column('id_map', JsonValue, nullable=False),
    sa.Column('installed_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_installed_packs_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installed_packs')),
    sa.UniqueConstraint('base_id', name=op.f('uq_installed_packs_base_id'))
    )
    op.create_table('dashboards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('widgets', JsonValue, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_dashboards_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboards'))
    )
    with op.batch_alter_table('dashboards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboards_base_id'), ['base_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboards_base_id'))
    op.drop_table('dashboards')
    op.drop_table('installed_packs')
