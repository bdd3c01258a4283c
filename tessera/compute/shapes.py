"""Compiled single-record statements kept across schema changes that do not concern them.

Statements are cached with the schema stamp (schema/catalog.py): any schema change — a view's
sort, a field added to another table — starts a new stamp, and the next write recompiled the
UPDATE of every computed field it touched (20–50 ms each; the clinic pack's first visit
insert after a change compiled 32 of them). What such a statement is compiled from is smaller
than the whole schema: the formula (id form), its result type, the metadata of its own table
and of the tables its links point to (table_schema reads nothing else), the dialect, the
clock value it depends on and the number of ids. :func:`shape_of` fingerprints the metadata
part; :data:`SHAPES` keeps the compiled statement per complete key, process-wide, so an
unrelated schema change costs a dictionary lookup instead of a compilation.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from tessera.schema.catalog import Catalog, TableInfo

__all__ = ["SHAPES", "ShapeCache", "shape_of"]

_T = TypeVar("_T")


def shape_of(conn: Connection, cat: Catalog, table: TableInfo) -> str:
    """A fingerprint of the metadata a formula of ``table`` compiles against: the table and
    its link targets, one level deep (as schema_adapter.table_schema reads them)."""

    def build() -> str:
        targets = sorted({int(f.options["target_table_id"]) for f in table.fields
                          if f.type == "link" and f.options.get("target_table_id")})
        text = repr((conn.dialect.name, table, [cat.table(conn, tid) for tid in targets]))
        return hashlib.sha256(text.encode()).hexdigest()

    return cat.memo(("shape", table.id), build)


class ShapeCache:
    """A bounded process-wide map (least recently used first out), safe across threads."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], _T]) -> _T:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


SHAPES = ShapeCache()
