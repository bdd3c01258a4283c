"""Pack fixtures: a migrated database per backend with the engine clock fixed, the packs
under test (tests/packs/data: a small shop pack in two versions; apps/gym_membership), and
helpers to read a live base back as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.workflow  # noqa: F401  (registers triggers/actions and the outbox hook)
from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SHOP_V1, SHOP_V2 = DATA / "shop_v1", DATA / "shop_v2"
GYM = ROOT / "apps" / "gym_membership"
TODAY = "2025-03-01"


@pytest.fixture
def engine(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("TESSERA_TODAY", TODAY)
    eng = create_engine(backend_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def fields_of(engine: sa.Engine, table_id: int) -> dict[str, tuple[str, Any]]:
    """{field name: (type, formula text or None)} of a live table."""
    return {f.name: (f.type, f.options.get("formula"))
            for f in schema.get_table(engine, table_id).fields}


def user_tables(engine: sa.Engine) -> set[str]:
    return {n for n in sa.inspect(engine).get_table_names() if n.startswith(("t_", "l_"))}
