"""Migration 0007_outreach creates the outreach tables and removes them on downgrade."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tessera.db import create_engine
from tessera.migrate import alembic_config, upgrade
from tessera.outreach.models import OUTREACH_TABLES


def test_outreach_migration_round_trip(backend_url) -> None:
    names = {t.name for t in OUTREACH_TABLES}
    engine = create_engine(backend_url)
    upgrade(engine)
    assert names <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006_ui")
    assert not names & set(sa.inspect(create_engine(backend_url)).get_table_names())
    upgrade(engine)
    assert names <= set(sa.inspect(create_engine(backend_url)).get_table_names())
    engine.dispose()
