"""Every conformance case (tests/formula/cases/*.py) on the interpreter, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import Any

import pytest

from tessera.formula import evaluate, evaluate_sql
from tessera.formula.values import ExcelError

from .cases import Case, all_cases

SQL_BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
ENGINES = ["python", *SQL_BACKENDS]
CASES = all_cases()


def same(actual: Any, expected: Any) -> bool:
    """Equal values of the same kind; floats within a 1e-9 relative tolerance."""
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, dt.datetime) or isinstance(actual, dt.datetime):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, ExcelError):
        return isinstance(actual, ExcelError) and str(actual) == str(expected)
    return type(actual) is type(expected) and actual == expected


def run_case(case: Case, engine: str, pg_url: str | None) -> Any:
    kwargs: dict[str, Any] = {"rows": case.rows, "today": case.today}
    if engine == "python":
        return evaluate(case.formula, case.values, **kwargs)
    url = "sqlite://" if engine == "sqlite" else pg_url
    return evaluate_sql(case.formula, case.values, url=url, **kwargs)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "postgresql":
        return request.param, request.getfixturevalue("pg_session_url")
    return request.param, None


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case: Case, engine: tuple[str, str | None]) -> None:
    name, url = engine
    actual = run_case(case, name, url)
    assert same(actual, case.expected), f"{case.formula!r} on {name}: got {actual!r}, expected {case.expected!r}"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 200
