"""Connection settings Tessera applies per backend."""

from __future__ import annotations

import sqlalchemy as sa


def test_connection_settings(engine):
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
        else:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
