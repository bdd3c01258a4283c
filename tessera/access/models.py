"""Metadata tables for base roles, field permissions and row-level rules (SQLAlchemy Core on
``Model.metadata``; the matching migration is tessera/migrations/versions/0004_access.py).

access_memberships        a user OR a group holds one role on one base
access_field_permissions  per field and role: ``hidden``, ``read_only`` or ``editable``
access_row_rules          per table and role: a formula that must be TRUE for a row to be seen
                          or written (stored as written and in id form, see compute.references)
access_run_as             per automation: the user it runs as, or SYSTEM (migration 0010)
"""

from __future__ import annotations

import sqlalchemy as sa

import tessera.auth.models  # noqa: F401  (auth_users / auth_groups, referenced below)
from tessera.fields.sqltypes import UtcDateTime
from tessera.models import Model

__all__ = ["MEMBERSHIPS", "FIELD_PERMISSIONS", "ROW_RULES", "RUN_AS"]

meta = Model.metadata

MEMBERSHIPS = sa.Table(
    "access_memberships", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("base_id", sa.Integer, sa.ForeignKey("bases.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("auth_users.id", ondelete="CASCADE"),
              nullable=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("auth_groups.id", ondelete="CASCADE"),
              nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "base_id", "user_id"),
    sa.Index(None, "base_id", "group_id"),
)

FIELD_PERMISSIONS = sa.Table(
    "access_field_permissions", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("field_id", sa.Integer, sa.ForeignKey("fields.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.UniqueConstraint("field_id", "role"),
)

ROW_RULES = sa.Table(
    "access_row_rules", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("formula", sa.Text, nullable=False),
    sa.Column("expression", sa.Text, nullable=False),
    sa.UniqueConstraint("table_id", "role"),
)

# access_run_as: per automation, who it runs as (tessera/access/run_as.py, migration 0010);
# wf_automations is tessera/workflow/models.py's (not imported here: the workflow package
# imports tessera.access)

RUN_AS = sa.Table(
    "access_run_as", meta,
    sa.Column("automation_id", sa.Integer,
              sa.ForeignKey("wf_automations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_by", sa.Integer, nullable=True),   # auth_users.id of its creator
    sa.Column("user_id", sa.Integer, nullable=True),      # the user it acts as
    sa.Column("is_system", sa.Boolean, nullable=False, default=False),
)
