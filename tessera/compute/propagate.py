"""Walk the dependency graph after a change: seeds (fields changed on some records) flow along
the edges in topological order, each computed field is recomputed for exactly the records its
dependencies changed, and only records whose value really changed flow further."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.compute.graph import Edge, Graph, load_graph
from tessera.compute.materialize import ALL_ROWS, AllRows, Clock, Rows, materialize, write_broken
from tessera.formula.errors import FormulaError
from tessera.schema.catalog import FieldInfo, TableInfo, get_table, junction_table

__all__ = ["Plan", "run", "link_counterparts", "union"]


def union(a: Rows | None, b: Rows) -> Rows:
    if a is None:
        return b
    if isinstance(a, AllRows) or isinstance(b, AllRows):
        return ALL_ROWS
    return a | b


@dataclass
class Plan:
    """``changed``: field id → records on which it changed (in its own table);
    ``forced``: computed field id → records to recompute whatever changed."""

    changed: dict[int, Rows] = field(default_factory=dict)
    forced: dict[int, Rows] = field(default_factory=dict)

    def mark(self, field_ids: Iterable[int], rows: Rows) -> None:
        if isinstance(rows, frozenset) and not rows:
            return
        for f in field_ids:
            self.changed[f] = union(self.changed.get(f), rows)

    def force(self, field_ids: Iterable[int], rows: Rows) -> None:
        if isinstance(rows, frozenset) and not rows:
            return
        for f in field_ids:
            self.forced[f] = union(self.forced.get(f), rows)


def linked(conn: Connection, link: FieldInfo, rows: Rows) -> Rows:
    """Records of ``link``'s table linked to ``rows`` of its target table."""
    if isinstance(rows, AllRows):
        return ALL_ROWS
    junction, own, other = junction_table(link)
    ids = sorted(rows)
    found: set[int] = set()
    for start in range(0, len(ids), 10000):
        found.update(conn.execute(sa.select(junction.c[own]).distinct()
                                  .where(junction.c[other].in_(ids[start:start + 10000]))).scalars())
    return frozenset(found)


def link_counterparts(conn: Connection, link: FieldInfo, rows: Iterable[int]) -> frozenset[int]:
    """Target records currently linked from ``rows`` through ``link``."""
    junction, own, other = junction_table(link)
    ids = sorted(rows)
    found: set[int] = set()
    for start in range(0, len(ids), 10000):
        found.update(conn.execute(sa.select(junction.c[other]).distinct()
                                  .where(junction.c[own].in_(ids[start:start + 10000]))).scalars())
    return frozenset(found)


def _affected(conn: Connection, graph: Graph, edge: Edge, rows: Rows) -> Rows:
    if edge.relation == "all":
        return ALL_ROWS
    if edge.relation == "link":
        assert edge.link_id is not None
        return linked(conn, graph.fields[edge.link_id], rows)
    return rows


def run(conn: Connection, plan: Plan, *, at: Clock | None = None, graph: Graph | None = None) -> Mapping[int, Rows]:
    """Recompute what ``plan`` affects; returns the rows changed per computed field."""
    if not plan.changed and not plan.forced:
        return {}
    graph = graph or load_graph(conn)
    at = at or Clock.current()
    tables: dict[int, TableInfo] = {}
    changed = dict(plan.changed)
    result: dict[int, Rows] = {}
    for node in graph.order():
        definition = graph.definitions[node]
        rows: Rows | None = plan.forced.get(node)
        for edge in graph.incoming.get(node, []):
            if edge.dependency in changed and edge.dependency != node:
                rows = union(rows, _affected(conn, graph, edge, changed[edge.dependency]))
        if rows is None or (isinstance(rows, frozenset) and not rows) or not definition.expression:
            continue
        table = tables.get(definition.table_id) or get_table(conn, definition.table_id)
        tables[definition.table_id] = table
        try:
            if definition.broken:
                done = write_broken(conn, table, node, rows)
            else:
                done = materialize(conn, table, definition, rows, at)
        except FormulaError as exc:
            from tessera.compute.maintenance import mark_broken

            mark_broken(conn, graph.fields[node], exc)
            done = ALL_ROWS
        if isinstance(done, AllRows) or done:
            changed[node] = union(changed.get(node), done)
            result[node] = done
    return result
