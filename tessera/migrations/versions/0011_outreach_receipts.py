"""outreach: delivery receipts and inbound messages (owner: outreach helper)

Channels get ``concurrency`` (messages one worker sends at once) and the hash of their
callback URL token; deliveries get the provider's receipt (outcome, code, time) and indexes on
the idempotency key and provider id the receipts are matched by; ``out_receipts`` and
``out_inbound`` keep every callback once (unique per channel and report hash). Plain ADD
COLUMN / CREATE TABLE on both backends.

Revision ID: 0011_outreach_receipts
Revises: 0010_access_run_as
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tessera.fields.sqltypes import JsonValue, UtcDateTime

revision = '0011_outreach_receipts'
down_revision = '0010_access_run_as'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('out_channels', sa.Column('concurrency', sa.Integer(), nullable=True))
    op.add_column('out_channels', sa.Column('callback_token_hash', sa.String(length=64),
                                            nullable=True))
    op.add_column('out_deliveries', sa.Column('receipt', sa.String(length=20), nullable=True))
    op.add_column('out_deliveries', sa.Column('receipt_code', sa.String(length=100),
                                              nullable=True))
    op.add_column('out_deliveries', sa.Column('receipt_at', UtcDateTime(), nullable=True))
    op.create_index(op.f('ix_out_deliveries_idempotency_key'), 'out_deliveries',
                    ['idempotency_key'], unique=False)
    op.create_index(op.f('ix_out_deliveries_provider_id'), 'out_deliveries', ['provider_id'],
                    unique=False)
    op.create_table('out_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=True),
    sa.Column('detail', JsonValue, nullable=True),
    sa.Column('received_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['out_channels.id'], name=op.f('fk_out_receipts_channel_id_out_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_receipts')),
    sa.UniqueConstraint('channel_id', 'dedupe_key', name=op.f('uq_out_receipts_channel_id_dedupe_key'))
    )
    op.create_table('out_inbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('received_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['out_channels.id'], name=op.f('fk_out_inbound_channel_id_out_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_inbound')),
    sa.UniqueConstraint('channel_id', 'dedupe_key', name=op.f('uq_out_inbound_channel_id_dedupe_key'))
    )


def downgrade() -> None:
    op.drop_table('out_inbound')
    op.drop_table('out_receipts')
    op.drop_index(op.f('ix_out_deliveries_provider_id'), table_name='out_deliveries')
    op.drop_index(op.f('ix_out_deliveries_idempotency_key'), table_name='out_deliveries')
    with op.batch_alter_table('out_deliveries') as batch:
        batch.drop_column('receipt_at')
        batch.drop_column('receipt_code')
        batch.drop_column('receipt')
    with op.batch_alter_table('out_channels') as batch:
        batch.drop_column('callback_token_hash')
        batch.drop_column('concurrency')
