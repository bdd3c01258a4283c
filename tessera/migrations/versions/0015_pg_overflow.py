"""formula: PostgreSQL arithmetic that never raises (tessera/formula/pg/50_overflow.sql)

Adds tx_add / tx_mul / tx_div (inlinable SQL) and tx_mul_edge / tx_div_edge (PL/pgSQL): the
formula compiler calls them where + - * / could leave the double range, so that a result beyond
it is #NUM! as on SQLite and in the interpreter instead of a "value out of range" error that
stops the whole statement. Every definition is ``CREATE OR REPLACE``, so this reinstalls all
the formula functions as 0014 does. SQLite needs nothing.

Revision ID: 0015_pg_overflow
Revises: 0014_pg_functions_refresh
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from tessera.formula.pg_functions import install_pg_functions

revision = '0015_pg_overflow'
down_revision = '0014_pg_functions_refresh'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_pg_functions(bind)


def downgrade() -> None:
    pass  # the functions are only called by formulas compiled by this version; they can stay
