"""Workflow fixtures: a clinic-like base (customers, follow-up tasks) on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.records import RecordService
from tessera.schema.ops import FieldSpec
from tessera.workflow.models import NOTIFICATIONS, RUNS


@dataclass
class Clinic:
    engine: sa.Engine
    base_id: int
    customers: Any
    tasks: Any
    records: RecordService

    def create_automation(self, **kw: Any) -> int:
        kw.setdefault("table_id", self.customers.id)
        kw.setdefault("name", "test")
        return wf.create_automation(self.engine, base_id=self.base_id, **kw)

    def add_customer(self, **values: Any) -> int:
        return self.records.create(self.customers.id, values, actor="alice")["id"]

    def work(self) -> wf.worker.WorkerStats:
        return wf.Worker(self.engine, worker_id="test").run_once()

    def runs(self, automation_id: int) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(RUNS).where(RUNS.c.automation_id == automation_id)
                                .order_by(RUNS.c.id)).all()

    def task_rows(self) -> list[dict[str, Any]]:
        from tessera.query import query_records

        return query_records(self.engine, self.tasks.id, limit=1000).rows

    def customer(self, rid: int) -> dict[str, Any]:
        return self.records.get(self.customers.id, rid)["fields"]

    def notifications(self) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(NOTIFICATIONS).order_by(NOTIFICATIONS.c.id)).all()


@pytest.fixture
def clinic(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clinic]:
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-01")
    # the webhook/SMTP test servers listen on loopback, which the outbound guard
    # (tessera/auth/outbound.py) refuses unless an administrator allows it
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "127.0.0.1, localhost")
    engine = create_engine(backend_url)
    upgrade(engine)
    wf.install()
    base = schema.create_base(engine, "Clinic")
    customers = schema.create_table(engine, base.id, "客户", primary_field="姓名", fields=[
        FieldSpec("邮箱", "email"), FieldSpec("最近到院", "date"), FieldSpec("生日", "date"),
        FieldSpec("满意度", "single_select", {"choices": [{"label": "满意"}, {"label": "一般"},
                                                         {"label": "纠纷"}]}),
        FieldSpec("负责人", "text"), FieldSpec("积分", "number"), FieldSpec("备注", "text"),
    ])
    tasks = schema.create_table(engine, base.id, "回访任务", primary_field="标题", fields=[
        FieldSpec("类型", "text"), FieldSpec("到期日", "date"), FieldSpec("负责人", "text"),
        FieldSpec("状态", "text"),
    ])
    schema.add_field(engine, tasks.id, "客户", "link", {"target_table_id": customers.id,
                                                       "many": False, "inverse_name": "任务"})
    customers = schema.get_table(engine, customers.id)
    tasks = schema.get_table(engine, tasks.id)
    yield Clinic(engine, base.id, customers, tasks, RecordService(engine))
    engine.dispose()
