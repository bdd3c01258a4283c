"""Statements compiled once to the driver's SQL text and run with only their parameters.

A computed field's UPDATE is a large statement (the whole formula in SQL). Even when the same
``sa.Update`` object is executed again, SQLAlchemy walks it to build its cache key on every
call — about as long as the database needs to update one record. For the single-record path
the statement is therefore compiled once per schema state into its SQL string, constant
parameters already converted by their types' bind processors, and executed through
``exec_driver_sql`` with just the record ids.

On PostgreSQL the statement is also prepared on the server (``PREPARE`` once per connection,
then ``EXECUTE name(ids)``): the formula statements are longer than psycopg's 4 KB limit for
caching its own query conversion and automatic preparation, so without this every call paid
for converting, parsing and planning 10 KB of SQL — 3–4× the execution itself. Constants are
written into the prepared text as typed literals; only the integer ids vary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Dialect

__all__ = ["PreparedSql", "pg_literal"]

_PLACEHOLDER = re.compile(r"%(?:%|\((\w+)\)s)")
_SERVER_KEY = "tessera.server_prepared"
_SERVER_MAX = 256  # prepared statements kept per connection (oldest deallocated first)


def pg_literal(value: Any) -> str | None:
    """``value`` as a typed PostgreSQL literal (None: no safe literal for it)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value}::bigint" if abs(value) > 2**31 - 1 else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'::float8"
        if math.isinf(value):
            return "'Infinity'::float8" if value > 0 else "'-Infinity'::float8"
        return f"{value!r}::float8"
    if isinstance(value, Decimal):
        return f"'{value}'::numeric"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'" if "\0" not in value else None
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::{'timestamptz' if value.tzinfo else 'timestamp'}"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'::date"
    return None


def _server_text(sql: str, constants: Mapping[str, Any], variables: Sequence[str]) -> str | None:
    """The pyformat ``sql`` with variables as ``$1…`` and constants as literals, or None."""
    index = {name: k + 1 for k, name in enumerate(variables)}
    failed = False

    def sub(match: re.Match[str]) -> str:
        nonlocal failed
        name = match.group(1)
        if name is None:
            return "%"
        if name in index:
            return f"${index[name]}"
        literal = pg_literal(constants.get(name))
        if literal is None or name not in constants:
            failed = True
            return ""
        return literal

    text = _PLACEHOLDER.sub(sub, sql)
    return None if failed else text


def _known(fairy: Any) -> OrderedDict[str, None] | None:
    """The names this module prepared on the pooled connection ``fairy`` (None: the driver
    offers no way to learn when they are dropped, so do not prepare).

    psycopg sends ``DEALLOCATE ALL`` after a DROP, ALTER or ROLLBACK once it has prepared
    statements of its own; that drops ours too, so its cache-clearing method is wrapped to
    forget them at the same moment."""
    known: OrderedDict[str, None] | None = fairy.info.get(_SERVER_KEY)
    if known is not None:
        return known
    manager = getattr(fairy.dbapi_connection, "_prepared", None)
    clear = getattr(manager, "clear", None)
    if clear is None:
        return None
    fresh: OrderedDict[str, None] = OrderedDict()

    def clear_with_ours() -> bool:
        dropped = bool(clear())
        if dropped:  # the server is told DEALLOCATE ALL
            fresh.clear()
        return dropped

    manager.clear = clear_with_ours
    fairy.info[_SERVER_KEY] = fresh
    return fresh


@dataclass(frozen=True)
class PreparedSql:
    """``sql`` in the dialect's paramstyle; ``order`` names the positional parameters (None:
    named); ``constants`` are the statement's own values, ready for the driver; ``processors``
    convert the values given at execution (``variables``). ``server``: the text to PREPARE on
    PostgreSQL (integer variables as $n), when every constant has a literal."""

    sql: str
    order: tuple[str, ...] | None
    constants: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]
    variables: tuple[str, ...] = ()
    server: str | None = None
    _template: tuple[Any, ...] = field(init=False, repr=False, compare=False, default=())
    _slots: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False, default=())
    _server_name: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        # per call, only the variables change: the positional arguments are a copy of this
        # template with the variables' slots filled in (42 constants in 客户标签's statement)
        template = tuple(self.constants.get(name) for name in self.order or ())
        slots = tuple((k, name) for k, name in enumerate(self.order or ()) if name not in self.constants)
        object.__setattr__(self, "_template", template)
        object.__setattr__(self, "_slots", slots)
        object.__setattr__(self, "_server_name",
                           "" if self.server is None else "tx_" + hashlib.sha1(self.server.encode()).hexdigest()[:24])

    @classmethod
    def of(cls, statement: Any, dialect: Dialect, variables: Sequence[str]) -> PreparedSql:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        processors: dict[str, Callable[[Any], Any]] = dict(getattr(compiled, "_bind_processors", {}) or {})
        values = compiled.construct_params({name: None for name in variables})
        constants = {name: (processors[name](value) if name in processors else value)
                     for name, value in values.items() if name not in variables}
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        server = None
        if dialect.name == "postgresql" and dialect.paramstyle == "pyformat" and not processors:
            server = _server_text(compiled.string, constants, variables)
        return cls(compiled.string, order, constants,
                   {name: processors[name] for name in variables if name in processors},
                   tuple(variables), server)

    def scalars(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Run with ``values`` for the variables; the first column of every row returned."""
        if self.server is not None and all(type(values[n]) is int for n in self.variables):
            return self._execute_prepared(conn, [values[n] for n in self.variables])
        return self.scalars_plain(conn, values)

    def scalars_plain(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Like :meth:`scalars`, through the driver's own parameter handling."""
        if self.order is None:
            params = dict(self.constants)
            for name, value in values.items():
                convert = self.processors.get(name)
                params[name] = convert(value) if convert is not None else value
            return list(conn.exec_driver_sql(self.sql, params).scalars())
        filled = list(self._template)
        for k, name in self._slots:
            convert = self.processors.get(name)
            filled[k] = convert(values[name]) if convert is not None else values[name]
        args = tuple(filled)
        if conn.dialect.name != "sqlite":
            return list(conn.exec_driver_sql(self.sql, args).scalars())
        # SQLite: straight to the driver's cursor, inside the transaction SQLAlchemy began on
        # this connection (its result wrapping costs as much as the statement itself here)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, args)
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()

    def _execute_prepared(self, conn: Connection, ids: list[int]) -> list[Any]:
        assert self.server is not None
        fairy = conn.connection  # the pooled connection: prepared names live as long as it
        known = _known(fairy)
        if known is None:
            return self.scalars_plain(conn, dict(zip(self.variables, ids, strict=True)))
        name = self._server_name
        # the raw cursor takes the text as is (no parameters, so no placeholder parsing) and
        # runs in the transaction SQLAlchemy began on this connection
        cursor = fairy.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if name not in known:
                kinds = ", ".join("bigint" for _ in ids)
                cursor.execute(f"PREPARE {name} ({kinds}) AS {self.server}" if ids else
                               f"PREPARE {name} AS {self.server}")
                known[name] = None
                while len(known) > _SERVER_MAX:
                    old, _ = known.popitem(last=False)
                    cursor.execute(f"DEALLOCATE {old}")
            else:
                known.move_to_end(name)
            args = ", ".join(str(int(i)) for i in ids)
            cursor.execute(f"EXECUTE {name}({args})" if ids else f"EXECUTE {name}")
            return [row[0] for row in cursor.fetchall()] if cursor.description else []
        finally:
            cursor.close()
