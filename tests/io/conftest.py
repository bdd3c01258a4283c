"""Import/export fixtures: one migrated database per module and backend (tests make their own
base, so they stay independent), and writers for the spreadsheet files the tests import."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tessera import schema_ops as schema
from tessera.testing.databases import migrated_engine

BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql")
            .split(",") if b.strip()]
_names = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    server = request.getfixturevalue("pg_server_url") if request.param == "postgresql" else None
    with migrated_engine(request.param, sqlite_dir=tmp_path_factory.mktemp("io"),
                         pg_server_url=server, prefix="io_") as eng:
        yield eng


@pytest.fixture
def base_id(engine: Engine) -> int:
    return schema.create_base(engine, f"Clinic {next(_names)}").id


FieldList = Sequence[tuple[str, str, dict[str, Any] | None]]


@pytest.fixture
def make_table(engine: Engine, base_id: int) -> Callable[..., schema.TableInfo]:
    """``make_table(name, [(field, type, options)…], primary="姓名")``."""

    def make(name: str, fields: FieldList, primary: str = "姓名") -> schema.TableInfo:
        return schema.create_table(engine, base_id, name, primary_field=primary, fields=[
            schema.FieldSpec(n, t, o) for n, t, o in fields])

    return make
