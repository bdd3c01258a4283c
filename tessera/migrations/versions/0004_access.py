"""base roles, field permissions, row-level rules

Revision ID: 0004_access
Revises: 0003_auth
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.access.models  # noqa: F401
from tessera.fields.sqltypes import UtcDateTime

revision = '0004_access'
down_revision = '0003_auth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['base_id'], ['bases.id'],
                                name=op.f('fk_access_memberships_base_id_bases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['auth_groups.id'],
                                name=op.f('fk_access_memberships_group_id_auth_groups'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'],
                                name=op.f('fk_access_memberships_user_id_auth_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_memberships')),
    )
    with op.batch_alter_table('access_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_memberships_base_id_user_id'),
                              ['base_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_memberships_base_id_group_id'),
                              ['base_id', 'group_id'], unique=False)
    op.create_table(
        'access_field_permissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['field_id'], ['fields.id'],
                                name=op.f('fk_access_field_permissions_field_id_fields'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_field_permissions')),
        sa.UniqueConstraint('field_id', 'role',
                            name=op.f('uq_access_field_permissions_field_id_role')),
    )
    op.create_table(
        'access_row_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('table_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('formula', sa.Text(), nullable=False),
        sa.Column('expression', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['table_id'], ['tables.id'],
                                name=op.f('fk_access_row_rules_table_id_tables'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_row_rules')),
        sa.UniqueConstraint('table_id', 'role', name=op.f('uq_access_row_rules_table_id_role')),
    )


def downgrade() -> None:
    op.drop_table('access_row_rules')
    op.drop_table('access_field_permissions')
    with op.batch_alter_table('access_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_memberships_base_id_group_id'))
        batch_op.drop_index(batch_op.f('ix_access_memberships_base_id_user_id'))
    op.drop_table('access_memberships')
