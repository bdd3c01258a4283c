"""Metadata tables for users, groups, sessions, API tokens, login throttling, audit log, settings
and trash (SQLAlchemy Core on ``Model.metadata``; the matching migration is
tessera/migrations/versions/0003_auth.py).

auth_users          one account: argon2 password hash, admin flag, active flag
auth_groups         a named set of users (access rules and the workflow "assign from group")
auth_group_members  membership (group, user)
auth_sessions       one browser login; the signed cookie carries only its random id, so logout
                    and deactivation end a session server-side
auth_tokens         API tokens, stored as sha256 of the secret, scoped to bases, revocable
auth_login_failures failed logins per username + client address (rate limiting across processes)
auth_audit_log      who did what, when (logins, schema changes, exports, permissions, tokens)
auth_settings       small key/value settings (the generated secret key, outbound allowlist)
trash_items         deleted records, fields, tables and views kept for restore
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.models import Model

__all__ = ["USERS", "GROUPS", "GROUP_MEMBERS", "SESSIONS", "TOKENS", "LOGIN_FAILURES",
           "AUDIT_LOG", "SETTINGS", "TRASH"]

meta = Model.metadata

USERS = sa.Table(
    "auth_users", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
)

GROUPS = sa.Table(
    "auth_groups", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(150), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

GROUP_MEMBERS = sa.Table(
    "auth_group_members", meta,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("auth_groups.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Index(None, "user_id"),
)

SESSIONS = sa.Table(
    "auth_sessions", meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index(None, "user_id"),
)

TOKENS = sa.Table(
    "auth_tokens", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("base_ids", JsonValue, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Index(None, "user_id"),
)

LOGIN_FAILURES = sa.Table(
    "auth_login_failures", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("client_ip", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "username", "client_ip", "created_at"),
)

AUDIT_LOG = sa.Table(
    "auth_audit_log", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
    sa.Column("detail", JsonValue, nullable=True),
    sa.Index(None, "created_at", "id"),
    sa.Index(None, "action", "id"),
    sa.Index(None, "username", "id"),
)

SETTINGS = sa.Table(
    "auth_settings", meta,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JsonValue, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

TRASH = sa.Table(
    "trash_items", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("base_id", sa.Integer, nullable=True),
    sa.Column("table_id", sa.Integer, nullable=True),
    sa.Column("target_id", sa.Integer, nullable=False),
    sa.Column("label", sa.String(300), nullable=False),
    sa.Column("snapshot", JsonValue, nullable=True),
    sa.Column("deleted_by", sa.String(150), nullable=False),
    sa.Column("deleted_at", UtcDateTime(), nullable=False),
    sa.Index(None, "deleted_at"),
    sa.Index(None, "base_id", "id"),
)
