"""workflow engine

Revision ID: 0002_workflow
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# tessera.workflow.models registers the workflow tables in Model.metadata, so `alembic check`
# compares them even when only tessera.models was imported (Alembic loads every revision module).
import tessera.workflow.models  # noqa: F401
from tessera.fields.sqltypes import JsonValue, UtcDateTime

revision = '0002_workflow'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_effects',
    sa.Column('idempotency_key', sa.String(length=140), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('detail', JsonValue, nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('done_at', UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('idempotency_key', name=op.f('pk_wf_effects'))
    )
    op.create_table('wf_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('automation_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('table_id', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=160), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('read_at', UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_notifications')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_wf_notifications_idempotency_key'))
    )
    with op.batch_alter_table('wf_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_notifications_user_name_read_at'), ['user_name', 'read_at'], unique=False)

    op.create_table('wf_automations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('trigger_type', sa.String(length=40), nullable=False),
    sa.Column('trigger_options', JsonValue, nullable=True),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('actions', JsonValue, nullable=True),
    sa.Column('webhook_secret', sa.String(length=200), nullable=True),
    sa.Column('enabled_at', UtcDateTime(), nullable=True),
    sa.Column('last_sweep_on', sa.String(length=10), nullable=True),
    sa.Column('next_fire_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_wf_automations_base_id_bases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_automations'))
    )
    with op.batch_alter_table('wf_automations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_automations_table_id_enabled'), ['table_id', 'enabled'], unique=False)

    op.create_table('wf_assignments',
    sa.Column('automation_id', sa.Integer(), nullable=False),
    sa.Column('step_key', sa.String(length=100), nullable=False),
    sa.Column('assignee', sa.String(length=200), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['automation_id'], ['wf_automations.id'], name=op.f('fk_wf_assignments_automation_id_wf_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('automation_id', 'step_key', 'assignee', 'day', name=op.f('pk_wf_assignments'))
    )
    op.create_table('wf_condition_state',
    sa.Column('automation_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('evaluated_on', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['automation_id'], ['wf_automations.id'], name=op.f('fk_wf_condition_state_automation_id_wf_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('automation_id', 'record_id', name=op.f('pk_wf_condition_state'))
    )
    op.create_table('wf_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('automation_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('trigger_type', sa.String(length=40), nullable=False),
    sa.Column('payload', JsonValue, nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', UtcDateTime(), nullable=False),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('locked_until', UtcDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('started_at', UtcDateTime(), nullable=True),
    sa.Column('finished_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['automation_id'], ['wf_automations.id'], name=op.f('fk_wf_runs_automation_id_wf_automations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_runs')),
    sa.UniqueConstraint('automation_id', 'dedupe_key', name=op.f('uq_wf_runs_automation_id_dedupe_key'))
    )
    with op.batch_alter_table('wf_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_runs_automation_id_id'), ['automation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wf_runs_status_run_after'), ['status', 'run_after'], unique=False)

    op.create_table('wf_run_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['wf_runs.id'], name=op.f('fk_wf_run_log_run_id_wf_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_run_log'))
    )
    with op.batch_alter_table('wf_run_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_run_log_run_id'), ['run_id'], unique=False)

    op.create_table('wf_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('step_key', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=140), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('output', JsonValue, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('wait_until', UtcDateTime(), nullable=True),
    sa.Column('started_at', UtcDateTime(), nullable=True),
    sa.Column('finished_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['wf_runs.id'], name=op.f('fk_wf_steps_run_id_wf_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_steps')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_wf_steps_idempotency_key'))
    )
    with op.batch_alter_table('wf_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_steps_run_id'), ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wf_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_steps_run_id'))

    op.drop_table('wf_steps')
    with op.batch_alter_table('wf_run_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_run_log_run_id'))

    op.drop_table('wf_run_log')
    with op.batch_alter_table('wf_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_runs_status_run_after'))
        batch_op.drop_index(batch_op.f('ix_wf_runs_automation_id_id'))

    op.drop_table('wf_runs')
    op.drop_table('wf_condition_state')
    op.drop_table('wf_assignments')
    with op.batch_alter_table('wf_automations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_automations_table_id_enabled'))

    op.drop_table('wf_automations')
    with op.batch_alter_table('wf_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_notifications_user_name_read_at'))

    op.drop_table('wf_notifications')
    op.drop_table('wf_effects')
