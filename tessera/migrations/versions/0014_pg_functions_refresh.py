"""formula: reinstall the PostgreSQL formula functions (tessera/formula/pg/*.sql)

tx_round / tx_rounddown became PL/pgSQL with their helpers written out (PostgreSQL does not
inline SQL functions that call SQL functions: 99–114 µs → 5 µs per row) and tx_general got
fast paths for whole numbers and short decimals; results are unchanged. Every definition is
``CREATE OR REPLACE``, so running them again upgrades a database made by 0001. SQLite registers
its functions per connection and needs nothing.

Revision ID: 0014_pg_functions_refresh
Revises: 0013_pack_roles
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from tessera.formula.pg_functions import install_pg_functions

revision = '0014_pg_functions_refresh'
down_revision = '0013_pack_roles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_pg_functions(bind)


def downgrade() -> None:
    pass  # the older definitions compute the same results
