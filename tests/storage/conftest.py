"""Storage fixtures: a migrated engine per backend and a small table factory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.records import RecordService


@pytest.fixture
def engine(backend_url: str) -> Iterator[Engine]:
    eng = create_engine(backend_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def base_id(engine: Engine) -> int:
    return schema.create_base(engine, "Clinic").id


@pytest.fixture
def records(engine: Engine) -> RecordService:
    return RecordService(engine)


@pytest.fixture
def make_table(engine: Engine, base_id: int) -> Callable[..., schema.TableInfo]:
    """``make_table(name, [(field, type, options)…])``: a table with a primary 'Name' field."""

    def make(name: str, fields: list[tuple[str, str, dict[str, Any] | None]]) -> schema.TableInfo:
        return schema.create_table(engine, base_id, name, fields=[
            schema.FieldSpec(n, t, o) for n, t, o in fields])

    return make


_BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql")
             .split(",") if b.strip()]


@pytest.fixture(scope="module", params=_BACKENDS)
def shared_engine(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database per module and backend, for many small independent cases."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_session_url")
    eng = create_engine(url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def shared_base(shared_engine: Engine) -> int:
    return schema.create_base(shared_engine, "Shared").id
