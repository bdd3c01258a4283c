"""Conformance cases: one module per category, each a ``CASES`` list of :class:`Case`.
Every case runs on the interpreter, SQLite and PostgreSQL (tests/formula/test_conformance.py);
a new category module is picked up automatically."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from tessera.formula.values import ExcelError

TODAY = dt.date(2026, 1, 31)


def E(code: str) -> ExcelError:  # noqa: N802  (reads like the Excel error literal)
    return ExcelError(code)


@dataclass(frozen=True)
class Case:
    formula: str
    expected: Any
    values: dict[str, Any] | None = None
    rows: list[dict[str, Any]] | None = None
    today: dt.date | dt.datetime = TODAY
    id: str | None = None
    functions: tuple[str, ...] = field(default=())  # functions this case exercises (auto-detected)


def all_cases() -> list[tuple[str, Case]]:
    """(test id, case) of every case module, in module order."""
    out: list[tuple[str, Case]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for i, case in enumerate(module.CASES):
            out.append((f"{info.name}-{case.id or i}", case))
    return out
