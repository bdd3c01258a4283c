"""Migration 0004_access builds exactly the access models (``alembic check`` finds nothing to
generate) and downgrades cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tessera.access.models import FIELD_PERMISSIONS, MEMBERSHIPS, ROW_RULES
from tessera.db import create_engine
from tessera.migrate import alembic_config, upgrade

NAMES = {t.name for t in (MEMBERSHIPS, FIELD_PERMISSIONS, ROW_RULES)}


def test_access_migration_matches_models_and_round_trips(backend_url: str) -> None:
    engine = create_engine(backend_url)
    upgrade(engine)
    assert NAMES <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        command.check(alembic_config(conn))  # raises if the models drifted from migrations
        command.downgrade(alembic_config(conn), "0003_auth")
    engine.dispose()
    engine = create_engine(backend_url)
    assert not NAMES & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert NAMES <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
