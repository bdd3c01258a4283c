"""Clinic CRM fixtures: the real pack (apps/clinic_crm) installed through the pack engine on
each backend, with the engine clock fixed, the staff users (the catalog's consultants and
callers: 负责咨询师 / 负责人 are ``user`` fields), and helpers to write hand-made customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.packs.install import InstallResult, install
from tessera.query import query_records
from tessera.records import RecordService
from tessera.samples.catalog import CALLERS, CONSULTANTS
from tessera.samples.staff import ensure_users

PACK = Path(__file__).resolve().parents[2] / "apps" / "clinic_crm"
TODAY = dt.date(2026, 6, 30)


def days_ago(n: int, today: dt.date = TODAY) -> str:
    return (today - dt.timedelta(days=n)).isoformat()


@dataclass
class Clinic:
    engine: sa.Engine
    result: InstallResult
    records: RecordService
    staff: dict[str, int] = field(default_factory=dict)

    def who(self, user_id: int | None) -> str | None:
        """The username of a ``user`` field's value (None stays None)."""
        names = {v: k for k, v in self.staff.items()}
        return None if user_id is None else names.get(user_id, f"#{user_id}")

    def table(self, key: str) -> int:
        return self.result.table_id(key)

    def add(self, key: str, **values: Any) -> int:
        return self.records.create(self.table(key), values, actor="test")["id"]

    def customer(self, **values: Any) -> int:
        values.setdefault("姓名", "客户")
        values.setdefault("手机", "13800000000")
        return self.add("customers", **values)

    def service(self, name: str, interval: int | None = None, **values: Any) -> int:
        return self.add("services", 名称=name, 间隔天数=interval, **values)

    def visit(self, customer: int, date: str, amount: float = 100, **values: Any) -> int:
        return self.add("visits", 单号="V", 客户=[customer], 日期=date, 金额=amount, **values)

    def get(self, customer: int) -> dict[str, Any]:
        return self.records.get(self.table("customers"), customer)["fields"]

    def update(self, key: str, rid: int, **values: Any) -> None:
        self.records.update(self.table(key), rid, values, actor="test")

    def rows(self, key: str) -> list[dict[str, Any]]:
        return query_records(self.engine, self.table(key), limit=1000).rows


def make_clinic(url: str) -> tuple[sa.Engine, Clinic]:
    engine = create_engine(url)
    upgrade(engine)
    wf.install()
    result = install(engine, PACK, "诊所")
    with engine.begin() as conn:
        staff = ensure_users(conn, [*CONSULTANTS, *CALLERS])
    return engine, Clinic(engine, result, RecordService(engine), staff)


@pytest.fixture
def clinic(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clinic]:
    monkeypatch.setenv("TESSERA_TODAY", TODAY.isoformat())
    engine, c = make_clinic(backend_url)
    yield c
    engine.dispose()
