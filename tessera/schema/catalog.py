"""Read-side of the metadata: frozen dataclasses for bases, tables, fields and views, and a
SQLAlchemy ``Table`` for a user table built from its fields.

Tables and fields are served from a :class:`Catalog` snapshot cached per schema stamp
(tessera/schema/version.py): one primary-key read per call instead of two metadata queries and
new objects, and the same ``TableInfo`` / ``sa.Table`` objects while the schema is unchanged,
so SQLAlchemy's compiled-statement cache hits. Cached objects are shared: treat ``options``
dicts as read-only (copy before changing them)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera import models as m
from tessera.errors import NotFoundError
from tessera.fields import SYSTEM_COLUMNS, FieldType, get_field_type
from tessera.fields.computed import error_column_name, has_error_column
from tessera.fields.sqltypes import UtcDateTime
from tessera.schema.naming import column_name, junction_name, table_name
from tessera.schema.version import schema_stamp

__all__ = ["Bind", "transaction", "BaseInfo", "FieldInfo", "TableInfo", "ViewInfo",
           "get_base", "get_table", "get_field", "get_view", "list_bases", "list_tables",
           "list_views", "sa_table", "junction_table", "Catalog", "Everything", "catalog"]

Bind = Engine | Connection


@contextmanager
def transaction(bind: Bind, *, write: bool = False) -> Iterator[Connection]:
    """A connection in a transaction: a new one for an Engine, else the caller's.

    ``write``: the transaction will write. On SQLite it then starts with BEGIN IMMEDIATE, taking
    the write lock up front (waiting up to busy_timeout for it): a deferred transaction that
    read first fails at once with "database is locked" when another connection committed in
    between, which busy_timeout cannot help. Readers are not affected (WAL)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            if write:
                conn.execution_options(tessera_write=True)
            with conn.begin():
                yield conn
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


@dataclass(frozen=True)
class BaseInfo:
    id: int
    name: str


@dataclass(frozen=True)
class FieldInfo:
    id: int
    table_id: int
    name: str
    type: str
    options: dict[str, Any]
    position: int
    is_primary: bool

    @property
    def field_type(self) -> FieldType:
        return get_field_type(self.type)

    @property
    def column(self) -> str | None:
        """SQL column holding the value (None for links, which live in a junction)."""
        if self.type in SYSTEM_COLUMNS:
            return SYSTEM_COLUMNS[self.type]
        if self.type == "link":
            return None
        return column_name(self.id)

    @property
    def read_only(self) -> bool:
        return self.field_type.read_only

    @property
    def value_kind(self) -> str:
        return self.field_type.value_kind(self.options)

    @property
    def junction(self) -> str | None:
        if self.type != "link":
            return None
        return junction_name(self.options.get("owner_field_id") or self.id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "table_id": self.table_id, "name": self.name, "type": self.type,
                "options": self.options, "position": self.position,
                "is_primary": self.is_primary, "read_only": self.read_only}


@dataclass(frozen=True)
class TableInfo:
    id: int
    base_id: int
    name: str
    position: int
    fields: tuple[FieldInfo, ...] = field(default_factory=tuple)

    @property
    def physical_name(self) -> str:
        return table_name(self.id)

    @property
    def primary_field(self) -> FieldInfo | None:
        return next((f for f in self.fields if f.is_primary), None)

    def field(self, ref: str | int) -> FieldInfo:
        """A field by id (int, digit string or 'f_<id>') or by name (case-insensitive)."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            for f in self.fields:
                if f.id == ref:
                    return f
        elif isinstance(ref, str):
            for f in self.fields:
                if f.name == ref:
                    return f
            folded = ref.casefold()
            for f in self.fields:
                if f.name.casefold() == folded:
                    return f
            ident = ref[2:] if ref.startswith("f_") else ref
            if ident.isdigit():
                return self.field(int(ident))
        raise NotFoundError("field", ref)

    @cached_property
    def sa_table(self) -> sa.Table:
        """This table's SQLAlchemy ``Table`` (see :func:`sa_table`), computed once per object."""
        return _build_sa_table(self)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "base_id": self.base_id, "name": self.name,
                "position": self.position, "fields": [f.to_dict() for f in self.fields]}


@dataclass(frozen=True)
class ViewInfo:
    id: int
    table_id: int
    name: str
    filters: dict[str, Any] | None
    sorts: list[dict[str, Any]]
    hidden_fields: list[int]
    position: int
    kind: str = "grid"  # grid | kanban | calendar | form (tessera.schema.view_layout)
    layout: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "table_id": self.table_id, "name": self.name,
                "filters": self.filters, "sorts": self.sorts,
                "hidden_fields": self.hidden_fields, "position": self.position,
                "kind": self.kind, "layout": self.layout}


B, T, F, V = m.Base.__table__, m.Table.__table__, m.Field.__table__, m.View.__table__


def _field(row: Any) -> FieldInfo:
    return FieldInfo(row.id, row.table_id, row.name, row.type, dict(row.options or {}),
                     row.position, bool(row.is_primary))


def list_bases(bind: Bind) -> list[BaseInfo]:
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(B.c.id, B.c.name).order_by(B.c.id)).all()
    return [BaseInfo(r.id, r.name) for r in rows]


def get_base(bind: Bind, base_id: int) -> BaseInfo:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(B.c.id, B.c.name).where(B.c.id == base_id)).first()
    if row is None:
        raise NotFoundError("base", base_id)
    return BaseInfo(row.id, row.name)


_T = TypeVar("_T")


@dataclass(frozen=True)
class Everything:
    """Every field of the database and every table's name (what the dependency graph needs)."""

    fields: dict[int, FieldInfo]
    table_names: dict[int, str]


@dataclass(frozen=True)
class Catalog:
    """The metadata at one schema ``stamp``, loaded lazily: a table, a field or everything is
    read the first time it is asked for in this schema state (the same queries as without a
    cache, so a schema-changing transaction, whose stamp moves on every write, pays no more
    than before), then served from memory. ``memo`` keeps things derived from it (the
    dependency graph, compiled statements...): when the stamp moves, a new Catalog replaces
    this one and everything derived goes with it. ``stamp`` None: nothing is kept."""

    stamp: int | None
    _tables: dict[int, TableInfo] = field(default_factory=dict, repr=False, compare=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def table(self, conn: Connection, table_id: int) -> TableInfo:
        found = self._tables.get(table_id)
        if found is None:
            found = _load_table(conn, table_id)
            if self.stamp is not None:
                found = self._tables.setdefault(table_id, found)
        return found

    def field(self, conn: Connection, field_id: int) -> FieldInfo:
        if self.stamp is None:
            return _load_field(conn, field_id)
        found = self.memo(("field", field_id), lambda: _load_field(conn, field_id))
        return found

    def everything(self, conn: Connection) -> Everything:
        if self.stamp is None:
            return _load_everything(conn)
        return self.memo("everything", lambda: _load_everything(conn))

    def memo(self, key: Any, build: Callable[[], _T]) -> _T:
        """``build()`` once per key for this schema state (a racing thread may build twice;
        both results are equal, the first one stored wins)."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = build()
            if self.stamp is None:
                return value
            with self._lock:
                return self._memo.setdefault(key, value)  # type: ignore[no-any-return]


def _load_table(conn: Connection, table_id: int) -> TableInfo:
    row = conn.execute(sa.select(T).where(T.c.id == table_id)).first()
    if row is None:
        raise NotFoundError("table", table_id)
    fields = conn.execute(
        sa.select(F).where(F.c.table_id == table_id).order_by(F.c.position, F.c.id)).all()
    return TableInfo(row.id, row.base_id, row.name, row.position, tuple(_field(f) for f in fields))


def _load_field(conn: Connection, field_id: int) -> FieldInfo:
    row = conn.execute(sa.select(F).where(F.c.id == field_id)).first()
    if row is None:
        raise NotFoundError("field", field_id)
    return _field(row)


def _load_everything(conn: Connection) -> Everything:
    fields = {r.id: _field(r) for r in conn.execute(sa.select(F).order_by(F.c.id)).all()}
    return Everything(fields, dict(conn.execute(sa.select(T.c.id, T.c.name)).all()))


_CATALOGS: OrderedDict[int, Catalog] = OrderedDict()
_CATALOGS_LOCK = threading.Lock()
_KEEP = 16  # schema states kept (a schema-changing transaction passes through several)


def catalog(bind: Bind) -> Catalog:
    """The metadata as ``bind``'s transaction sees it, cached per schema stamp.

    The stamp is read before any metadata: if another transaction commits a change in
    between (PostgreSQL, read committed), newer metadata lands under the older stamp, which no
    transaction reads any more once the new stamp is committed — never the reverse."""
    with transaction(bind) as conn:
        stamp = schema_stamp(conn)
    if stamp is None:
        return Catalog(None)
    cached = _CATALOGS.get(stamp)
    if cached is not None:
        return cached
    with _CATALOGS_LOCK:
        cached = _CATALOGS.setdefault(stamp, Catalog(stamp))
        while len(_CATALOGS) > _KEEP:
            _CATALOGS.popitem(last=False)
    return cached


def get_table(bind: Bind, table_id: int) -> TableInfo:
    with transaction(bind) as conn:
        return catalog(conn).table(conn, table_id)


def list_tables(bind: Bind, base_id: int) -> list[TableInfo]:
    with transaction(bind) as conn:
        ids = conn.execute(sa.select(T.c.id).where(T.c.base_id == base_id)
                           .order_by(T.c.position, T.c.id)).scalars().all()
        cat = catalog(conn)
        return [cat.table(conn, i) for i in ids]


def get_field(bind: Bind, field_id: int) -> FieldInfo:
    with transaction(bind) as conn:
        return catalog(conn).field(conn, field_id)


def _view(row: Any) -> ViewInfo:
    return ViewInfo(row.id, row.table_id, row.name, row.filters, list(row.sorts or []),
                    list(row.hidden_fields or []), row.position, row.kind or "grid",
                    dict(row.layout or {}))


def get_view(bind: Bind, view_id: int) -> ViewInfo:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(V).where(V.c.id == view_id)).first()
    if row is None:
        raise NotFoundError("view", view_id)
    return _view(row)


def list_views(bind: Bind, table_id: int) -> list[ViewInfo]:
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(V).where(V.c.table_id == table_id)
                            .order_by(V.c.position, V.c.id)).all()
    return [_view(r) for r in rows]


_SA_TABLES: dict[tuple[Any, ...], sa.Table] = {}


def sa_table(table: TableInfo) -> sa.Table:
    """The user table as SQLAlchemy Core ``Table`` (id, created_at, updated_at, f_<id>…).

    Tables are reused while their columns stay the same, so SQLAlchemy's compiled-statement
    cache hits on repeated queries (a new ``Table`` object is a new cache key)."""
    return table.sa_table


def _build_sa_table(table: TableInfo) -> sa.Table:
    spec: list[tuple[str, sa.types.TypeEngine[Any]]] = []
    for f in table.fields:
        sql_type = f.field_type.sql_type(f.options)
        if sql_type is not None:
            spec.append((column_name(f.id), sql_type))
            if has_error_column(f.field_type):
                spec.append((error_column_name(column_name(f.id)), sa.Text()))
    key = (table.id, *((name, type(sql_type), getattr(sql_type, "length", None))
                       for name, sql_type in spec))
    cached = _SA_TABLES.get(key)
    if cached is not None:
        return cached
    columns = [sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
               sa.Column("created_at", UtcDateTime(), nullable=False),
               sa.Column("updated_at", UtcDateTime(), nullable=False),
               *(sa.Column(name, sql_type) for name, sql_type in spec)]
    if len(_SA_TABLES) >= 512:
        _SA_TABLES.clear()
    _SA_TABLES[key] = built = sa.Table(table_name(table.id), sa.MetaData(), *columns,
                                       sqlite_autoincrement=True)
    return built


_JUNCTIONS: dict[str, sa.Table] = {}


def junction_table(field: FieldInfo) -> tuple[sa.Table, str, str]:
    """(junction table, column holding this field's record id, column holding the target's)."""
    name = field.junction
    assert name is not None, "junction_table() needs a link field"
    table = _JUNCTIONS.get(name)
    if table is None:  # one object per junction: statements over it hit the compiled cache
        table = _JUNCTIONS.setdefault(name, sa.Table(name, sa.MetaData(), sa.Column("src_id", sa.Integer),
                                                     sa.Column("dst_id", sa.Integer)))
    if field.options.get("side", "src") == "src":
        return table, "src_id", "dst_id"
    return table, "dst_id", "src_id"
