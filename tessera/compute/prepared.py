"""Statements compiled once to the driver's SQL text and run with only their parameters.

A computed field's UPDATE is a large statement (the whole formula in SQL). Even when the same
``sa.Update`` object is executed again, SQLAlchemy walks it to build its cache key on every
call — about as long as the database needs to update one record. For the single-record path
the statement is therefore compiled once per schema state into its SQL string, constant
parameters already converted by their types' bind processors, and executed through
``exec_driver_sql`` with just the record ids. On PostgreSQL the unchanging text also lets
psycopg prepare it server-side after a few calls, so the plan is not rebuilt either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect

__all__ = ["PreparedSql"]


@dataclass(frozen=True)
class PreparedSql:
    """``sql`` in the dialect's paramstyle; ``order`` names the positional parameters (None:
    named); ``constants`` are the statement's own values, ready for the driver; ``processors``
    convert the values given at execution (``variables``)."""

    sql: str
    order: tuple[str, ...] | None
    constants: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, statement: Any, dialect: Dialect, variables: Sequence[str]) -> PreparedSql:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        processors: dict[str, Callable[[Any], Any]] = dict(getattr(compiled, "_bind_processors", {}) or {})
        values = compiled.construct_params({name: None for name in variables})
        constants = {name: (processors[name](value) if name in processors else value)
                     for name, value in values.items() if name not in variables}
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return cls(compiled.string, order, constants,
                   {name: processors[name] for name in variables if name in processors})

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        params = dict(self.constants)
        for name, value in values.items():
            convert = self.processors.get(name)
            params[name] = convert(value) if convert is not None else value
        if self.order is not None:
            return conn.exec_driver_sql(self.sql, tuple(params[name] for name in self.order))
        return conn.exec_driver_sql(self.sql, params)
