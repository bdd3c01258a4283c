"""Who is acting: CURRENT_USER() and ISMEMBER(group).

A formula does not know who reads it; the caller says so with ``acting_as(user_id, groups)``
around compiling or evaluating it (the access layer does, for row rules, for the principal of
the request). The interpreter reads the acting user when a closure runs; the SQL compiler reads
it while compiling and emits it as a bound parameter, so a rule's SQL is never built from text.
Outside ``acting_as`` nobody is acting: CURRENT_USER() is blank and ISMEMBER() is FALSE — the
case of materialized formula fields, which are computed once for everybody (docs/access.md).

CURRENT_USER() is the user id, a number, so it compares with a ``user`` field directly:
``{负责咨询师} = CURRENT_USER()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import sqlalchemy as sa

from tessera.formula.registry import PARAM_NAMES_ZH, FunctionSpec, Param, define
from tessera.formula.sqlcore import SqlContext, SqlValue
from tessera.formula.types import BOOLEAN, NUMBER

__all__ = ["Actor", "acting_as", "current_actor"]

PARAM_NAMES_ZH.update({"group": "组"})


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    groups: frozenset[str] = frozenset()


NOBODY = Actor(None)
_ACTOR: ContextVar[Actor] = ContextVar("tessera_formula_actor", default=NOBODY)


@contextmanager
def acting_as(user_id: int | None, groups: frozenset[str] = frozenset()) -> Iterator[Actor]:
    """Compile or evaluate formulas on behalf of ``user_id`` (member of ``groups``)."""
    token = _ACTOR.set(Actor(user_id, frozenset(groups)))
    try:
        yield _ACTOR.get()
    finally:
        _ACTOR.reset(token)


def current_actor() -> Actor:
    return _ACTOR.get()


def _user_number() -> float | None:
    uid = _ACTOR.get().user_id
    return None if uid is None else float(uid)


def _sql_current_user(ctx: SqlContext, _args: list[object], _t: object) -> SqlValue:
    value = _user_number()
    return SqlValue(ctx.null(NUMBER) if value is None else ctx.number(value))


def _sql_is_member(ctx: SqlContext, name: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    groups = sorted(_ACTOR.get().groups)
    if not groups:
        return ctx.boolean(False)
    return sa.func.coalesce(name.in_([sa.literal(g) for g in groups]), ctx.boolean(False))


define(FunctionSpec(
    "CURRENT_USER", "logic", (), NUMBER,
    "The id of the user reading the formula (blank when nobody is: stored formula fields).",
    "正在读取公式的用户的编号（无用户时为空，例如已存储的公式字段）。",
    build_python=lambda ctx, args, t: (lambda env: _user_number()),
    build_sql=_sql_current_user,
))
define(FunctionSpec(
    "ISMEMBER", "logic", (Param("group", "text"),), BOOLEAN,
    "TRUE when the user reading the formula belongs to the named group.",
    "正在读取公式的用户属于该组时为 TRUE。",
    python=lambda name: name in _ACTOR.get().groups,
    sql=_sql_is_member,
))
