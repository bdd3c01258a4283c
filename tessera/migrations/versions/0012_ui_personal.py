"""ui: personal view settings on the server, public form links, the change feed's NOTIFY

Revision ID: 0012_ui_personal
Revises: 0011_outreach_receipts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers this area's tables in Model.metadata so `alembic check` compares them.
import tessera.web.ui_models  # noqa: F401

revision = '0012_ui_personal'
down_revision = '0011_outreach_receipts'
branch_labels = None
depends_on = None

# The cross-process change feed (tessera.web.change_feed): PostgreSQL tells every listening
# web process about each committed change set ("<id>:<table id>"; sent only at commit).
_PG_NOTIFY = """
CREATE OR REPLACE FUNCTION tx_notify_change_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tessera_changes', NEW.id::text || ':' || NEW.table_id::text);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    from tessera.fields.sqltypes import JsonValue, UtcDateTime

    op.create_table('ui_personal_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=True),
    sa.Column('settings', JsonValue, nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['tables.id'], name=op.f('fk_ui_personal_settings_table_id_tables'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_ui_personal_settings_user_id_auth_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['view_id'], ['views.id'], name=op.f('fk_ui_personal_settings_view_id_views'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ui_personal_settings'))
    )
    op.create_index('ix_ui_personal_settings_user_table', 'ui_personal_settings',
                    ['user_id', 'table_id'], unique=False)
    op.create_table('ui_form_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('revoked_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['auth_users.id'], name=op.f('fk_ui_form_links_created_by_auth_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['table_id'], ['tables.id'], name=op.f('fk_ui_form_links_table_id_tables'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['view_id'], ['views.id'], name=op.f('fk_ui_form_links_view_id_views'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ui_form_links')),
    sa.UniqueConstraint('token', name=op.f('uq_ui_form_links_token'))
    )
    op.create_index('ix_ui_form_links_table_id', 'ui_form_links', ['table_id'], unique=False)
    op.create_table('ui_form_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['ui_form_links.id'], name=op.f('fk_ui_form_hits_link_id_ui_form_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ui_form_hits'))
    )
    op.create_index('ix_ui_form_hits_link_id_created_at', 'ui_form_hits',
                    ['link_id', 'created_at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_NOTIFY)
        op.execute("CREATE TRIGGER tx_notify_change_set AFTER INSERT ON change_sets "
                   "FOR EACH ROW EXECUTE FUNCTION tx_notify_change_set()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tx_notify_change_set ON change_sets")
        op.execute("DROP FUNCTION IF EXISTS tx_notify_change_set()")
    op.drop_index('ix_ui_form_hits_link_id_created_at', table_name='ui_form_hits')
    op.drop_table('ui_form_hits')
    op.drop_index('ix_ui_form_links_table_id', table_name='ui_form_links')
    op.drop_table('ui_form_links')
    op.drop_index('ix_ui_personal_settings_user_table', table_name='ui_personal_settings')
    op.drop_table('ui_personal_settings')
