"""Alembic environment for Tessera's metadata schema (configured by tessera.migrate)."""

from __future__ import annotations

from alembic import context

# Every area's tables register themselves on Model.metadata when their module is imported.
import tessera.access.models  # noqa: F401
import tessera.auth.models  # noqa: F401
import tessera.outreach.models  # noqa: F401
import tessera.packs.models  # noqa: F401
import tessera.web.ui_models  # noqa: F401
import tessera.workflow.models  # noqa: F401
from tessera.models import Model

config = context.config
target_metadata = Model.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # user tables t_*, l_* are managed at runtime, not by migrations
        include_name=lambda name, type_, parent: not (
            type_ == "table" and name is not None and name[:2] in ("t_", "l_")),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Tessera migrations run online only: use tessera.migrate.upgrade(url).")
run_migrations_online()
