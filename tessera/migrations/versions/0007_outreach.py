"""message templates, channels, campaigns, call queue, member links

Revision ID: 0007_outreach
Revises: 0006_ui
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.outreach.models  # noqa: F401
from tessera.fields.sqltypes import JsonValue, UtcDateTime

revision = '0007_outreach'
down_revision = '0006_ui'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('out_rate_windows',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel_id', 'slot', name=op.f('pk_out_rate_windows'))
    )
    op.create_table('out_call_queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('config', JsonValue, nullable=False),
    sa.Column('automation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_out_call_queues_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_call_queues')),
    sa.UniqueConstraint('base_id', 'name', name=op.f('uq_out_call_queues_base_id_name'))
    )
    op.create_table('out_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('config', JsonValue, nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('rate_per_second', sa.Float(), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_out_channels_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_channels')),
    sa.UniqueConstraint('base_id', 'name', name=op.f('uq_out_channels_base_id_name'))
    )
    op.create_table('out_member_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('config', JsonValue, nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_out_member_pages_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_member_pages')),
    sa.UniqueConstraint('table_id', name=op.f('uq_out_member_pages_table_id'))
    )
    op.create_table('out_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=10), nullable=False),
    sa.Column('bodies', JsonValue, nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_out_templates_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_templates')),
    sa.UniqueConstraint('base_id', 'name', name=op.f('uq_out_templates_base_id_name'))
    )
    op.create_table('out_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=True),
    sa.Column('segment', JsonValue, nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('audience', JsonValue, nullable=False),
    sa.Column('max_recipients', sa.Integer(), nullable=True),
    sa.Column('scheduled_at', UtcDateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('automation_id', sa.Integer(), nullable=True),
    sa.Column('launcher_id', sa.Integer(), nullable=True),
    sa.Column('launched_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_out_campaigns_base_id_bases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['out_channels.id'], name=op.f('fk_out_campaigns_channel_id_out_channels')),
    sa.ForeignKeyConstraint(['template_id'], ['out_templates.id'], name=op.f('fk_out_campaigns_template_id_out_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_campaigns'))
    )
    op.create_table('out_member_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('revoked_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['out_member_pages.id'], name=op.f('fk_out_member_links_page_id_out_member_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_member_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_out_member_links_token_hash'))
    )
    op.create_index(op.f('ix_out_member_links_page_id_record_id'), 'out_member_links', ['page_id', 'record_id'], unique=False)
    op.create_table('out_queue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('caller', sa.String(length=200), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('plan', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('outcome_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['queue_id'], ['out_call_queues.id'], name=op.f('fk_out_queue_items_queue_id_out_call_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_queue_items')),
    sa.UniqueConstraint('queue_id', 'day', 'task_id', name=op.f('uq_out_queue_items_queue_id_day_task_id'))
    )
    op.create_index(op.f('ix_out_queue_items_queue_id_day_caller'), 'out_queue_items', ['queue_id', 'day', 'caller'], unique=False)
    op.create_table('out_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=140), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('queued_at', UtcDateTime(), nullable=False),
    sa.Column('sent_at', UtcDateTime(), nullable=True),
    sa.Column('replied_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['out_campaigns.id'], name=op.f('fk_out_deliveries_campaign_id_out_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_deliveries')),
    sa.UniqueConstraint('campaign_id', 'record_id', name=op.f('uq_out_deliveries_campaign_id_record_id'))
    )
    op.create_index(op.f('ix_out_deliveries_campaign_id_status'), 'out_deliveries', ['campaign_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_out_deliveries_campaign_id_status'), table_name='out_deliveries')
    op.drop_table('out_deliveries')
    op.drop_index(op.f('ix_out_queue_items_queue_id_day_caller'), table_name='out_queue_items')
    op.drop_table('out_queue_items')
    op.drop_index(op.f('ix_out_member_links_page_id_record_id'), table_name='out_member_links')
    op.drop_table('out_member_links')
    op.drop_table('out_campaigns')
    op.drop_table('out_templates')
    op.drop_table('out_member_pages')
    op.drop_table('out_channels')
    op.drop_table('out_call_queues')
    op.drop_table('out_rate_windows')
