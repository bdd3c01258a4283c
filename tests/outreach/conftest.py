"""Outreach fixtures: a small clinic-shaped base (客户, 回访任务) on SQLite and PostgreSQL,
a Fernet key for channel secrets and helpers to drive the workflow worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.outreach  # noqa: F401  (registers channels and actions)
import tessera.workflow as wf
from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.outreach.secrets import generate_key
from tessera.records import RecordService
from tessera.schema.ops import FieldSpec
from tessera.workflow.models import RUNS

TODAY = "2025-03-03"


@dataclass
class Clinic:
    engine: sa.Engine
    base_id: int
    customers: Any
    tasks: Any
    records: RecordService

    def add_customer(self, name: str, **values: Any) -> int:
        values.setdefault("同意营销", True)
        return self.records.create(self.customers.id, {"姓名": name, **values},
                                   actor="alice")["id"]

    def add_customers(self, rows: list[dict[str, Any]]) -> list[int]:
        rows = [{"同意营销": True, **r} for r in rows]
        return self.records.bulk_create(self.customers.id, rows, actor="alice")

    def add_task(self, customer: int, **values: Any) -> int:
        values.setdefault("状态", "待办")
        values.setdefault("类型", "邀约")
        return self.records.create(self.tasks.id, {"标题": f"task {customer}",
                                                   "客户": [customer], **values},
                                   actor="alice")["id"]

    def customer(self, rid: int) -> dict[str, Any]:
        return self.records.get(self.customers.id, rid)["fields"]

    def task(self, rid: int) -> dict[str, Any]:
        return self.records.get(self.tasks.id, rid)["fields"]

    def work(self, worker_id: str = "test") -> wf.worker.WorkerStats:
        return wf.Worker(self.engine, worker_id=worker_id, batch=20).run_once()

    def drain(self, timeout: float = 30.0) -> None:
        """Run the worker until no run is pending; retry backoffs are cut short."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.work()
            with self.engine.begin() as conn:
                pending = conn.execute(sa.select(sa.func.count()).select_from(RUNS).where(
                    RUNS.c.status.in_(("queued", "retry", "running", "waiting")))).scalar_one()
                conn.execute(sa.update(RUNS).where(RUNS.c.status == "retry").values(
                    run_after=RUNS.c.created_at))
            if not pending:
                return
        raise AssertionError("runs still pending after the timeout")


@pytest.fixture(autouse=True)
def local_fakes_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes listen on 127.0.0.1; the outbound guard (tessera/auth/outbound.py) vets the
    address every channel connects to, so tests that call a channel directly allow it too."""
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = generate_key()
    monkeypatch.setenv("TESSERA_SECRET_KEY", key)
    monkeypatch.delenv("TESSERA_SECRET_KEY_FILE", raising=False)
    return key


@pytest.fixture
def clinic(backend_url: str, monkeypatch: pytest.MonkeyPatch, secret_key: str) -> Iterator[Clinic]:
    monkeypatch.setenv("TESSERA_TODAY", TODAY)
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "127.0.0.1")   # the fakes are local
    engine = create_engine(backend_url)
    upgrade(engine)
    wf.install()
    base = schema.create_base(engine, "Clinic")
    customers = schema.create_table(engine, base.id, "客户", primary_field="姓名", fields=[
        FieldSpec("手机", "text"), FieldSpec("邮箱", "email"),
        FieldSpec("满意度", "single_select", {"choices": [{"label": "满意"}, {"label": "一般"},
                                                         {"label": "纠纷"}]}),
        FieldSpec("同意营销", "checkbox"), FieldSpec("退订", "checkbox"),
        FieldSpec("勿扰", "checkbox"), FieldSpec("邀约方案", "text"), FieldSpec("积分", "number"),
        FieldSpec("会员等级", "text"), FieldSpec("储值余额", "number"),
        FieldSpec("下次召回日期", "date"), FieldSpec("语言", "text"), FieldSpec("备注", "text"),
        FieldSpec("最近联系", "date"),
    ])
    tasks = schema.create_table(engine, base.id, "回访任务", primary_field="标题", fields=[
        FieldSpec("类型", "text"), FieldSpec("负责人", "text"), FieldSpec("到期日", "date"),
        FieldSpec("状态", "text"), FieldSpec("邀约方案", "text"), FieldSpec("结果", "text"),
    ])
    schema.add_field(engine, tasks.id, "客户", "link", {"target_table_id": customers.id,
                                                       "many": False, "inverse_name": "任务"})
    yield Clinic(engine, base.id, schema.get_table(engine, customers.id),
                 schema.get_table(engine, tasks.id), RecordService(engine))
    engine.dispose()
