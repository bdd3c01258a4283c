"""What an action sees while it runs, and the run a record write happens inside of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from tessera.schema.catalog import TableInfo

__all__ = ["StepContext", "RunScope", "current_scope", "run_scope", "bulk_import",
           "import_origin_active", "MAX_DEPTH"]

# Automations that trigger automations (a run's write raising another run) are bounded here.
MAX_DEPTH = 5


@dataclass
class StepContext:
    engine: Engine
    conn: Connection | None          # the step's transaction (None for external actions)
    automation: dict[str, Any]
    run: dict[str, Any]
    table: TableInfo | None
    record: dict[str, Any] | None
    env: dict[str, Any]
    step_key: str
    idempotency_key: str
    today: dt.date
    now: dt.datetime
    logs: list[str] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return f"automation:{self.automation['id']}:run:{self.run['id']}"

    def log(self, message: str) -> None:
        self.logs.append(message)


@dataclass(frozen=True)
class RunScope:
    run_id: int
    automation_id: int
    depth: int


_SCOPE: ContextVar[RunScope | None] = ContextVar("tessera_workflow_run", default=None)
_IMPORT: ContextVar[bool] = ContextVar("tessera_workflow_bulk_import", default=False)


def current_scope() -> RunScope | None:
    return _SCOPE.get()


@contextmanager
def run_scope(scope: RunScope) -> Iterator[None]:
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


@contextmanager
def bulk_import(run_automations: bool = False) -> Iterator[None]:
    """Record writes inside this block are a bulk import: record triggers do not fire and
    "becomes true" conditions only take their baseline, unless ``run_automations``."""
    token = _IMPORT.set(not run_automations)
    try:
        yield
    finally:
        _IMPORT.reset(token)


def import_origin_active() -> bool:
    return _IMPORT.get()
