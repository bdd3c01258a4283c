"""Compute fixtures: a migrated engine per backend and a small clinic (customers ↔ visits)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
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
def svc(engine: Engine) -> RecordService:
    return RecordService(engine)


@dataclass
class Clinic:
    engine: Engine
    svc: RecordService
    customers: int
    visits: int
    link: int  # Customers.Visits
    inverse: int  # Visits.Customer
    ids: dict[str, int]  # record names → ids

    def field(self, table_id: int, name: str) -> schema.FieldInfo:
        return schema.get_table(self.engine, table_id).field(name)

    def add(self, table_id: int, name: str, type_: str, options: dict[str, Any] | None = None) -> schema.FieldInfo:
        return schema.add_field(self.engine, table_id, name, type_, options)

    def values(self, table_id: int, field: str) -> dict[str, Any]:
        """API values of ``field`` by record name."""
        table = schema.get_table(self.engine, table_id)
        t = schema.sa_table(table)
        with self.engine.connect() as conn:
            ids = conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars().all()
        out = {}
        for rid in ids:
            rec = self.svc.get(table_id, rid)
            out[rec["fields"]["Name"]] = rec["fields"][field]
        return out

    def raw(self, table_id: int, column: str, record: str) -> Any:
        table = schema.get_table(self.engine, table_id)
        t = schema.sa_table(table)
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c[column]).where(t.c.id == self.ids[record])).scalar_one()

    def poke(self, table_id: int, column: str, record: str, value: Any) -> None:
        """Write a sentinel straight into a column (bypassing the services)."""
        table = schema.get_table(self.engine, table_id)
        t = schema.sa_table(table)
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == self.ids[record]).values({column: value}))


@pytest.fixture
def clinic(engine: Engine, svc: RecordService) -> Clinic:
    """Customers (Name, Age) ↔ Visits (Name, Amount, Day); ann has v1+v2, bob v3, cat none."""
    base = schema.create_base(engine, "Clinic").id
    customers = schema.create_table(engine, base, "Customers", fields=[schema.FieldSpec("Age", "number")])
    visits = schema.create_table(engine, base, "Visits", fields=[
        schema.FieldSpec("Amount", "number"), schema.FieldSpec("Day", "date")])
    link = schema.add_field(engine, customers.id, "Visits", "link", {
        "target_table_id": visits.id, "inverse_name": "Customer", "inverse_many": False})
    ids: dict[str, int] = {}
    for name, amount, day in [("v1", 100, "2024-01-05"), ("v2", 50, "2024-02-01"), ("v3", 30, "2024-03-01")]:
        ids[name] = svc.create(visits.id, {"Name": name, "Amount": amount, "Day": day})["id"]
    for name, age, linked in [("ann", 40, ["v1", "v2"]), ("bob", 0, ["v3"]), ("cat", 25, [])]:
        ids[name] = svc.create(customers.id, {"Name": name, "Age": age,
                                              "Visits": [ids[v] for v in linked]})["id"]
    return Clinic(engine, svc, customers.id, visits.id, link.id, link.options["inverse_field_id"], ids)
