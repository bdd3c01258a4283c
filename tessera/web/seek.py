"""Position → keyset cursor, so the grid can jump to row 500,000 without OFFSET.

Keyset pages cannot start at a row number; deep OFFSET costs seconds on a million rows. The
grid instead reads fixed blocks of ``BLOCK`` rows and asks for block *b*. A sparse key index
per (table, filter, sort, schema) holds the cursor that starts every block: one SQL pass with
``row_number()`` keeps every ``BLOCK``-th row's sort keys (10,000 small rows for 1,000,000
records), and each block is then one keyset page from its anchor — an index range, not a scan.

The index is built lazily on the first jump and cached in process. Writes invalidate it
through :func:`invalidate` (the live-update broadcaster calls it after each commit): creates
and deletes always, updates only when they touch a field the filter or sort reads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from tessera.access.context import acting_principal
from tessera.access.scope import table_scope
from tessera.query import _fingerprint, _make_cursor, build_filter, resolve_sort
from tessera.schema.catalog import Bind, TableInfo, sa_table, transaction

__all__ = ["BLOCK", "PositionIndex", "position_index", "invalidate", "spec_field_ids"]

BLOCK = 100
_MAX_ENTRIES = 64


@dataclass(frozen=True)
class PositionIndex:
    """``anchors[b]`` is the cursor that starts block ``b`` (``None`` for the first block)."""

    total: int
    anchors: tuple[str | None, ...]
    field_ids: frozenset[int]  # fields the filter and sort read: updates to others keep it
    built_ms: float

    def cursor_for(self, block: int) -> str | None:
        return self.anchors[block] if 0 <= block < len(self.anchors) else None

    @property
    def blocks(self) -> int:
        return len(self.anchors)


_cache: OrderedDict[tuple[Any, ...], PositionIndex] = OrderedDict()
_lock = threading.Lock()


def _key(table: TableInfo, filter: Any, sort: Any) -> tuple[Any, ...]:
    """Table, filter+sort, field types, and the day: relative-date filters (``today``,
    ``within_last_days``) select other rows tomorrow."""
    schema = tuple((f.id, f.type) for f in table.fields)
    return (table.id, _fingerprint(table.id, filter, sort), schema, date.today().isoformat())


def spec_field_ids(table: TableInfo, spec: Any) -> set[int]:
    """Ids of the fields a filter or sort JSON names (by name, id or f_<id>)."""
    found: set[int] = set()
    if isinstance(spec, Mapping):
        if "field" in spec:
            found.add(table.field(spec["field"]).id)
        for value in spec.values():
            found |= spec_field_ids(table, value)
    elif isinstance(spec, list | tuple):
        for value in spec:
            found |= spec_field_ids(table, value)
    return found


def _build(conn: Any, table: TableInfo, filter: Any, sort: Any, scope: Any) -> PositionIndex:
    started = time.perf_counter()
    t = sa_table(table)
    where = scope.restrict(conn, t, build_filter(table, filter, dialect=conn.dialect.name, t=t))
    keys = [(t.c[f.column], desc) for f, desc in resolve_sort(table, sort)]
    order = [(k.desc() if d else k.asc()).nulls_last() for k, d in keys] + [t.c.id.asc()]
    numbered = sa.select(*[k.label(f"_k{i}") for i, (k, _) in enumerate(keys)], t.c.id,
                         sa.func.row_number().over(order_by=order).label("rn")
                         ).where(where).subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
    rows = conn.execute(sa.select(numbered).where(numbered.c.rn % BLOCK == 0)
                        .order_by(numbered.c.rn)).all()
    fingerprint = _fingerprint(table.id, filter, sort)
    anchors: list[str | None] = [None]
    for row in rows:
        m = row._mapping
        if m["rn"] < total:
            anchors.append(_make_cursor(fingerprint, [m[f"_k{i}"] for i in range(len(keys))],
                                        m["id"]))
    ids = frozenset(spec_field_ids(table, filter) | spec_field_ids(table, sort))
    return PositionIndex(total, tuple(anchors), ids, (time.perf_counter() - started) * 1000)


def position_index(bind: Bind, table_id: int, *, filter: Mapping[str, Any] | None = None,
                   sort: Sequence[Mapping[str, Any]] | None = None) -> PositionIndex:
    """The cached index for this table, filter and sort, built on first use."""
    with transaction(bind) as conn:
        # the acting user's fields and rows (tessera.access); cached per what they can see
        scope = table_scope(conn, acting_principal(), table_id, "records.read")
        table = scope.table
        key = (*_key(table, filter, sort), *scope.cache_key)
        with _lock:
            found = _cache.get(key)
            if found is not None:
                _cache.move_to_end(key)
                return found
        index = _build(conn, table, filter, sort, scope)
    with _lock:
        _cache[key] = index
        while len(_cache) > _MAX_ENTRIES:
            _cache.popitem(last=False)
    return index


def invalidate(table_id: int, kind: str, field_ids: Sequence[int] = ()) -> int:
    """Drop the indexes a committed change may have shifted; returns how many were dropped."""
    touched = set(field_ids)
    with _lock:
        stale = [k for k, v in _cache.items() if k[0] == table_id and
                 (kind in ("create", "delete", "schema") or touched & v.field_ids)]
        for k in stale:
            del _cache[k]
    return len(stale)
