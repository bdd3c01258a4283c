"""Migration 0014 reinstalls the PostgreSQL formula functions, so a database made before the
PL/pgSQL tx_round gets the fast definition (SQLite registers its functions per connection)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tessera.db import create_engine
from tessera.migrate import alembic_config, upgrade

# tx_round as an older release defined it: plain SQL (not inlined when it calls SQL helpers)
_OLD_ROUND = """
CREATE OR REPLACE FUNCTION tx_round(x double precision, n double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT round(x::numeric, n::int)::float8 $$
"""


def _language(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.proname = 'tx_round' AND p.pronargs = 2")).scalar_one()


def test_upgrade_reinstalls_the_formula_functions(backend, backend_url):
    engine = create_engine(backend_url)
    try:
        upgrade(engine, "0013_pack_roles")
        if backend == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql(_OLD_ROUND)
            assert _language(engine) == "sql"
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT tx_round(2.5, 0)")).scalar() == 3.0
        if backend == "postgresql":
            assert _language(engine) == "plpgsql"
            with engine.begin() as conn:   # down and up again stays installed
                command.downgrade(alembic_config(conn), "0013_pack_roles")
            upgrade(engine)
            assert _language(engine) == "plpgsql"
    finally:
        engine.dispose()
