"""Walk the dependency graph after a change: seeds (fields changed on some records) flow along
the edges in topological order, each computed field is recomputed for exactly the records its
dependencies changed, and only records whose value really changed flow further."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.compute.column_functions import snapshot_capable, uses_column_functions
from tessera.compute.graph import Edge, Graph, graph_of
from tessera.compute.link_groups import LinkGroups
from tessera.compute.materialize import (
    ALL_ROWS,
    SMALL,
    AllRows,
    Clock,
    Rows,
    combinable,
    grouped_statement,
    materialize,
    materialize_together,
    typed_expression,
    write_broken,
)
from tessera.compute.prepared import PreparedSql
from tessera.compute.session import full_recompute_settings
from tessera.compute.together import materialize_few
from tessera.formula.errors import FormulaError
from tessera.schema.catalog import Catalog, FieldInfo, catalog, junction_table

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


def _junction_ids(conn: Connection, link: FieldInfo, rows: Iterable[int], *, towards_link: bool,
                  cat: Catalog | None = None) -> frozenset[int]:
    """Ids at one end of ``link``'s junction for ``rows`` at the other end: the records of
    ``link``'s own table (``towards_link``) or of its target. A few ids run a prepared
    statement cached with the schema state; more run in chunks of 10,000."""
    junction, own, other = junction_table(link)
    read, match = (own, other) if towards_link else (other, own)
    ids = sorted(rows)
    if len(ids) <= SMALL:
        names = tuple(f"rid{k}" for k in range(len(ids)))

        def prepare() -> PreparedSql:
            statement = sa.select(junction.c[read]).distinct().where(
                junction.c[match].in_([sa.bindparam(n, type_=sa.Integer) for n in names]))
            return PreparedSql.of(statement, conn.dialect, names)

        prepared = (cat or catalog(conn)).memo(("junction", junction.name, read, len(ids)), prepare)
        return frozenset(prepared.scalars(conn, dict(zip(names, ids, strict=True))))
    found: set[int] = set()
    for start in range(0, len(ids), 10000):
        found.update(conn.execute(sa.select(junction.c[read]).distinct()
                                  .where(junction.c[match].in_(ids[start:start + 10000]))).scalars())
    return frozenset(found)


def linked(conn: Connection, link: FieldInfo, rows: Rows, cat: Catalog | None = None) -> Rows:
    """Records of ``link``'s table linked to ``rows`` of its target table."""
    if isinstance(rows, AllRows):
        return ALL_ROWS
    return _junction_ids(conn, link, rows, towards_link=True, cat=cat)


def link_counterparts(conn: Connection, link: FieldInfo, rows: Iterable[int],
                      cat: Catalog | None = None) -> frozenset[int]:
    """Target records currently linked from ``rows`` through ``link``."""
    return _junction_ids(conn, link, rows, towards_link=False, cat=cat)


def _affected(conn: Connection, cat: Catalog, graph: Graph, edge: Edge, rows: Rows, memo: dict[Any, Rows]) -> Rows:
    if edge.relation == "all":
        # rank snapshots: only the changed records are recomputed (against the snapshot)
        return rows if _snapshot_served(conn, cat, graph, edge.dependent) else ALL_ROWS
    if edge.relation == "link":
        assert edge.link_id is not None
        key = (edge.link_id, rows)  # several rollups over one link share the lookup
        if key not in memo:
            memo[key] = linked(conn, graph.fields[edge.link_id], rows, cat)
        return memo[key]
    return rows


def _snapshot_served(conn: Connection, cat: Catalog, graph: Graph, field_id: int) -> bool:
    """Whether ``field_id`` reads other records only through rank snapshots."""
    definition = graph.definitions[field_id]
    if not definition.active or definition.expression is None:
        return False
    expression = definition.expression
    table = cat.table(conn, definition.table_id)
    try:
        typed = cat.memo(("typed", field_id), lambda: typed_expression(conn, table, expression))
    except FormulaError:
        return False
    ranked, capable = cat.memo(("ranked", field_id), lambda: (uses_column_functions(typed), snapshot_capable(typed)))
    return ranked and capable


def run(conn: Connection, plan: Plan, *, at: Clock | None = None, graph: Graph | None = None,
        cat: Catalog | None = None, lookups: Mapping[Any, Rows] | None = None) -> Mapping[int, Rows]:
    """Recompute what ``plan`` affects; returns the rows changed per computed field (for
    fields written together for a few records, the records where any of them changed).
    ``cat``/``graph``: the schema state the caller already read (else read here);
    ``lookups``: junction lookups already made, ``(link field id, rows) → linked(…)``."""
    if not plan.changed and not plan.forced:
        return {}
    cat = cat or catalog(conn)
    graph = graph or graph_of(conn, cat)
    at = at or Clock.current()
    groups = _full_recompute_groups(conn, cat, graph, plan, at)
    if groups is None:
        return _run(conn, cat, graph, plan, at, groups, lookups)
    with full_recompute_settings(conn):
        result = _run(conn, cat, graph, plan, at, groups, lookups)
    groups.close()  # (after a failure the rollback drops the temporary tables)
    return result


def _full_recompute_groups(conn: Connection, cat: Catalog, graph: Graph, plan: Plan, at: Clock) -> LinkGroups | None:
    """For the fields recomputed for every record, their aggregates over links compiled into
    grouped statements (link_groups.py); None when no field is."""
    if not any(isinstance(rows, AllRows) for rows in plan.forced.values()):
        return None  # (a record change: no field is recomputed for every record)
    full = [node for node in graph.order() if isinstance(plan.forced.get(node), AllRows)]
    if not full:
        return None
    groups = LinkGroups(conn)
    for node in full:
        definition = graph.definitions[node]
        if not definition.active:
            continue
        try:
            grouped_statement(conn, cat.table(conn, definition.table_id), definition, at, groups, cat=cat)
        except FormulaError:
            continue  # the main pass marks the field broken
    return groups


def _run(conn: Connection, cat: Catalog, graph: Graph, plan: Plan, at: Clock,
         groups: LinkGroups | None, known: Mapping[Any, Rows] | None) -> Mapping[int, Rows]:
    lookups: dict[Any, Rows] = dict(known or {})
    changed = dict(plan.changed)
    result: dict[int, Rows] = {}
    batch: list[int] = []  # full recompute: fields of one table written by one UPDATE
    few: list[int] = []  # a few records: fields of one table, same records, one UPDATE (together.py)
    few_rows: list[frozenset[int]] = []

    def record(node: int, table: Any, done: Rows) -> None:
        if isinstance(done, AllRows) or done:
            changed[node] = union(changed.get(node), done)
            result[node] = done
            if groups is not None:  # aggregates over this table are stale now
                groups.invalidate(table.physical_name)

    def flush() -> None:
        if not batch:
            return
        table = cat.table(conn, graph.definitions[batch[0]].table_id)
        nodes = list(batch)
        batch.clear()
        try:  # (a compile error is raised before the statement runs)
            done = materialize_together(conn, table, [graph.definitions[n] for n in nodes], at, cat=cat,
                                        groups=groups)
        except FormulaError:  # one of them does not compile: each alone, the failing one marked broken
            for n in nodes:
                compute(n, table, ALL_ROWS)
            return
        for n in nodes:
            record(n, table, done)

    def flush_few() -> None:
        if not few:
            return
        nodes, rows = list(few), few_rows[0]
        few.clear()
        few_rows.clear()
        table = cat.table(conn, graph.definitions[nodes[0]].table_id)
        if len(nodes) == 1:
            compute(nodes[0], table, rows)
            return
        try:  # (a compile error is raised before the statement runs)
            done = materialize_few(conn, cat, table, [graph.definitions[n] for n in nodes], rows, at)
        except FormulaError:  # each alone, the failing one marked broken
            for n in nodes:
                compute(n, table, rows)
            return
        for n in nodes:
            record(n, table, done)

    def compute(node: int, table: Any, rows: Rows) -> None:
        definition = graph.definitions[node]
        try:
            if definition.broken:
                done = write_broken(conn, table, node, rows)
            else:
                done = materialize(conn, table, definition, rows, at, cat=cat, groups=groups)
        except FormulaError as exc:
            from tessera.compute.maintenance import mark_broken

            mark_broken(conn, graph.fields[node], exc)
            done = ALL_ROWS
        record(node, table, done)

    for node in graph.order():
        definition = graph.definitions[node]
        rows: Rows | None = plan.forced.get(node)
        for edge in graph.incoming.get(node, []):
            if edge.dependency in batch and edge.dependency != node:
                flush()  # it reads a field of the pending UPDATE
            if edge.dependency in few and edge.dependency != node:
                flush_few()
            if edge.dependency in changed and edge.dependency != node:
                rows = union(rows, _affected(conn, cat, graph, edge, changed[edge.dependency], lookups))
        if rows is None or (isinstance(rows, frozenset) and not rows) or not definition.expression:
            continue
        table = cat.table(conn, definition.table_id)
        if groups is not None and isinstance(rows, AllRows) and combinable(conn, table, definition, cat):
            if batch and graph.definitions[batch[0]].table_id != definition.table_id:
                flush()
            batch.append(node)
            continue
        flush()
        if (isinstance(rows, frozenset) and len(rows) <= SMALL and not definition.broken
                and combinable(conn, table, definition, cat)):
            if few and (few_rows[0] != rows or graph.definitions[few[0]].table_id != definition.table_id):
                flush_few()
            few.append(node)
            few_rows[:] = [rows]
            continue
        flush_few()
        compute(node, table, rows)
    flush()
    flush_few()
    return result
