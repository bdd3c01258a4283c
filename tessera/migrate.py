"""Upgrade a database's metadata schema with the Alembic migrations shipped in the package.

No alembic.ini: the configuration is built here. ``upgrade(url_or_engine)`` brings a database
to head; on PostgreSQL the migrations also install the formula SQL functions."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from tessera.db import create_engine

__all__ = ["alembic_config", "upgrade", "current_revision"]


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at ``tessera/migrations``, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("tessera") / "migrations"))
    config.attributes["connection"] = connection
    return config


def _engine(url_or_engine: str | Engine) -> tuple[Engine, bool]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, False
    return create_engine(url_or_engine), True


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (default: head) in one transaction."""
    engine, owned = _engine(url_or_engine)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(url_or_engine: str | Engine) -> str | None:
    engine, owned = _engine(url_or_engine)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()
