"""metadata schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 19:42:43.253211
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.formula.pg_functions import install_pg_functions

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bases'))
    )
    op.create_table('change_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('undo_of', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_sets'))
    )
    with op.batch_alter_table('change_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_sets_table_id'), ['table_id'], unique=False)

    op.create_table('conversion_rejects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('from_type', sa.String(length=40), nullable=False),
    sa.Column('to_type', sa.String(length=40), nullable=False),
    sa.Column('original_value', JsonValue, nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversion_rejects'))
    )
    with op.batch_alter_table('conversion_rejects', schema=None) as batch_op:
        batch_op.create_index('ix_conversion_rejects_field_record', ['field_id', 'record_id'], unique=False)

    op.create_table('record_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_set_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('old_value', JsonValue, nullable=True),
    sa.Column('new_value', JsonValue, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['change_set_id'], ['change_sets.id'], name=op.f('fk_record_history_change_set_id_change_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_history'))
    )
    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_history_change_set_id'), ['change_set_id'], unique=False)
        batch_op.create_index('ix_record_history_table_record', ['table_id', 'record_id'], unique=False)

    op.create_table('tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_tables_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tables')),
    sa.UniqueConstraint('base_id', 'name', name=op.f('uq_tables_base_id_name'))
    )
    with op.batch_alter_table('tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tables_base_id'), ['base_id'], unique=False)

    op.create_table('fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('options', JsonValue, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['tables.id'], name=op.f('fk_fields_table_id_tables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fields')),
    sa.UniqueConstraint('table_id', 'name', name=op.f('uq_fields_table_id_name'))
    )
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fields_table_id'), ['table_id'], unique=False)

    op.create_table('views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('filters', JsonValue, nullable=True),
    sa.Column('sorts', JsonValue, nullable=False),
    sa.Column('hidden_fields', JsonValue, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['tables.id'], name=op.f('fk_views_table_id_tables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_views'))
    )
    with op.batch_alter_table('views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_views_table_id'), ['table_id'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_pg_functions(bind)



def downgrade() -> None:
    with op.batch_alter_table('views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_views_table_id'))

    op.drop_table('views')
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fields_table_id'))

    op.drop_table('fields')
    with op.batch_alter_table('tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tables_base_id'))

    op.drop_table('tables')
    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.drop_index('ix_record_history_table_record')
        batch_op.drop_index(batch_op.f('ix_record_history_change_set_id'))

    op.drop_table('record_history')
    with op.batch_alter_table('conversion_rejects', schema=None) as batch_op:
        batch_op.drop_index('ix_conversion_rejects_field_record')

    op.drop_table('conversion_rejects')
    with op.batch_alter_table('change_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_sets_table_id'))

    op.drop_table('change_sets')
    op.drop_table('bases')
