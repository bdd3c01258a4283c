"""schema version row bumped by triggers on tables/fields/views (metadata caches); rank snapshots

Revision ID: 0008_schema_version
Revises: 0007_outreach
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers the tables in Model.metadata so `alembic check` compares them.
import tessera.compute.models  # noqa: F401
from tessera.schema.version import VERSION_TABLES

revision = '0008_schema_version'
down_revision = '0007_outreach'
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tx_bump_schema_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE schema_version SET version = version + 1,
        stamp = floor(random() * 9007199254740991)::bigint WHERE id = 1;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table('schema_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schema_version'))
    )
    op.create_table('column_snapshots',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('low', sa.Float(precision=53), nullable=True),
    sa.Column('high', sa.Float(precision=53), nullable=True),
    sa.Column('digits', sa.Integer(), nullable=True),
    sa.Column('drift', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_column_snapshots'))
    )
    with op.batch_alter_table('column_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_column_snapshots_field_id'), ['field_id'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("INSERT INTO schema_version (id, version, stamp) "
                   "VALUES (1, 0, floor(random() * 9007199254740991)::bigint)")
        op.execute(_PG_FUNCTION)
        for table in VERSION_TABLES:
            op.execute(f"CREATE TRIGGER tx_schema_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION tx_bump_schema_version()")
        return
    op.execute("INSERT INTO schema_version (id, version, stamp) VALUES (1, 0, random())")
    for table in VERSION_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER tx_schema_version_{table}_{event.lower()} AFTER {event} ON {table} "
                       "BEGIN UPDATE schema_version SET version = version + 1, stamp = random() "
                       "WHERE id = 1; END")


def downgrade() -> None:
    bind = op.get_bind()
    for table in VERSION_TABLES:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS tx_schema_version_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS tx_schema_version_{table}_{event}")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tx_bump_schema_version()")
    op.drop_table('schema_version')
    with op.batch_alter_table('column_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_column_snapshots_field_id'))
    op.drop_table('column_snapshots')
