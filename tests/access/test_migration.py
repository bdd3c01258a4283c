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


def test_run_as_migration_keeps_existing_automations_running_as_the_system(
        backend_url: str) -> None:
    """Automations made before 0010 ran as SYSTEM; they get a SYSTEM row (and a downgrade
    drops the table)."""
    from tessera.access.models import RUN_AS
    from tessera.workflow.models import AUTOMATIONS

    engine = create_engine(backend_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0009_view_layout")
        base_id = conn.execute(sa.text("INSERT INTO bases (name, created_at) VALUES "
                                       "('b', CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
        now = sa.func.now()
        conn.execute(sa.insert(AUTOMATIONS).values(
            base_id=base_id, name="old", enabled=False, trigger_type="manual",
            created_at=now, updated_at=now))
    upgrade(engine)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(RUN_AS.c.user_id, RUN_AS.c.is_system)).all()
        assert [tuple(r) for r in rows] == [(None, True)]
        command.check(alembic_config(conn))
        command.downgrade(alembic_config(conn), "0009_view_layout")
    engine.dispose()
    engine = create_engine(backend_url)
    assert "access_run_as" not in set(sa.inspect(engine).get_table_names())
    engine.dispose()
