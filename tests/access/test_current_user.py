"""CURRENT_USER() and ISMEMBER() — the acting user in formulas — on the interpreter, SQLite and
PostgreSQL: the SQL carries the user as a bound parameter, the interpreter reads it when the
formula runs, and outside ``acting_as`` nobody is acting."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tessera.formula.evaluation import evaluate, evaluate_sql
from tessera.formula.functions.identity import acting_as

# (formula, values, user id, groups, expected)
CASES = [
    ("CURRENT_USER()", {}, 7, (), 7.0),
    ("CURRENT_USER()", {}, None, (), None),
    ("{负责人} = CURRENT_USER()", {"负责人": 7}, 7, (), True),
    ("{负责人} = CURRENT_USER()", {"负责人": 8}, 7, (), False),
    ("{负责人} = CURRENT_USER()", {"负责人": None}, 7, (), False),
    ("IF({负责人} = CURRENT_USER(), \"我的\", \"别人的\")", {"负责人": 3}, 3, (), "我的"),
    ('ISMEMBER("电话组")', {}, 7, ("电话组", "前台"), True),
    ('ISMEMBER("电话组")', {}, 7, ("前台",), False),
    ('ISMEMBER("电话组")', {}, None, (), False),
    ('OR({等级} = "C", ISMEMBER("主管"))', {"等级": "A"}, 7, ("主管",), True),
    ('AND({等级} = "C", ISMEMBER("电话组"))', {"等级": "C"}, 7, ("电话组",), True),
    ("CURRENT_USER() & \"\"", {}, 12, (), "12"),
]


def _ids() -> list[str]:
    return [f"{f}-{u}-{'+'.join(g) or 'nogroup'}" for f, _, u, g, _e in CASES]


@pytest.mark.parametrize(("formula", "values", "user", "groups", "expected"), CASES, ids=_ids())
def test_interpreter(formula: str, values: dict[str, Any], user: int | None,
                     groups: tuple[str, ...], expected: Any) -> None:
    with acting_as(user, frozenset(groups)):
        assert evaluate(formula, values) == expected


@pytest.mark.parametrize(("formula", "values", "user", "groups", "expected"), CASES, ids=_ids())
def test_sql(engine: Engine, formula: str, values: dict[str, Any], user: int | None,
             groups: tuple[str, ...], expected: Any) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with acting_as(user, frozenset(groups)):
        assert evaluate_sql(formula, values, url=url) == expected


def test_the_user_is_read_when_the_formula_runs_not_when_it_is_compiled() -> None:
    with acting_as(1):
        assert evaluate("CURRENT_USER()", {}) == 1.0
    with acting_as(2):
        assert evaluate("CURRENT_USER()", {}) == 2.0  # the same cached closure
    assert evaluate("CURRENT_USER()", {}) is None


def test_user_text_never_reaches_the_sql_text() -> None:
    import sqlalchemy as sa

    from tessera.formula.functions.identity import _sql_is_member
    from tessera.formula.sqlcore import SqlContext

    ctx = SqlContext("sqlite", None, None, None, None)  # type: ignore[arg-type]
    evil = "x'); DROP TABLE bases; --"
    with acting_as(1, frozenset({evil})):
        expression = _sql_is_member(ctx, sa.literal("电话组"))
    compiled = expression.compile(compile_kwargs={})
    assert evil not in str(compiled) and evil in compiled.params.values()
