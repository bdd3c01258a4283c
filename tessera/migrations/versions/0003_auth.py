"""users, groups, sessions, API tokens, login throttling, audit log, settings, trash

Revision ID: 0003_auth
Revises: 0002_workflow
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.auth.models  # noqa: F401
from tessera.fields.sqltypes import JsonValue, UtcDateTime

revision = '0003_auth'
down_revision = '0002_workflow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('detail', JsonValue, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_audit_log'))
    )
    op.create_index(op.f('ix_auth_audit_log_action_id'), 'auth_audit_log', ['action', 'id'], unique=False)
    op.create_index(op.f('ix_auth_audit_log_created_at_id'), 'auth_audit_log', ['created_at', 'id'], unique=False)
    op.create_index(op.f('ix_auth_audit_log_username_id'), 'auth_audit_log', ['username', 'id'], unique=False)
    op.create_table('auth_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_auth_groups_name'))
    )
    op.create_table('auth_login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_login_failures'))
    )
    op.create_index(op.f('ix_auth_login_failures_username_client_ip_created_at'), 'auth_login_failures', ['username', 'client_ip', 'created_at'], unique=False)
    op.create_table('auth_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', JsonValue, nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_settings'))
    )
    op.create_table('auth_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('last_login_at', UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_users')),
    sa.UniqueConstraint('username', name=op.f('uq_auth_users_username'))
    )
    op.create_table('trash_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('table_id', sa.Integer(), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('snapshot', JsonValue, nullable=True),
    sa.Column('deleted_by', sa.String(length=150), nullable=False),
    sa.Column('deleted_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trash_items'))
    )
    op.create_index(op.f('ix_trash_items_base_id_id'), 'trash_items', ['base_id', 'id'], unique=False)
    op.create_index(op.f('ix_trash_items_deleted_at'), 'trash_items', ['deleted_at'], unique=False)
    op.create_table('auth_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['auth_groups.id'], name=op.f('fk_auth_group_members_group_id_auth_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_auth_group_members_user_id_auth_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_auth_group_members'))
    )
    op.create_index(op.f('ix_auth_group_members_user_id'), 'auth_group_members', ['user_id'], unique=False)
    op.create_table('auth_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('expires_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_auth_sessions_user_id_auth_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions'))
    )
    op.create_index(op.f('ix_auth_sessions_user_id'), 'auth_sessions', ['user_id'], unique=False)
    op.create_table('auth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('base_ids', JsonValue, nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('last_used_at', UtcDateTime(), nullable=True),
    sa.Column('revoked_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_auth_tokens_user_id_auth_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_tokens_token_hash'))
    )
    op.create_index(op.f('ix_auth_tokens_user_id'), 'auth_tokens', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('auth_tokens')
    op.drop_table('auth_sessions')
    op.drop_table('auth_group_members')
    op.drop_table('trash_items')
    op.drop_table('auth_users')
    op.drop_table('auth_settings')
    op.drop_table('auth_login_failures')
    op.drop_table('auth_groups')
    op.drop_table('auth_audit_log')
