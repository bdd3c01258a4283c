"""Record changes → recompute (``RecordService.after_change``, inside the write's transaction).

Which fields changed on which records seeds a :class:`Plan`; link changes also count as a
change of the paired link field on the records at the other end, before and after the change
(``before_update`` / ``before_delete`` notifications capture the links about to disappear)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from tessera.compute.graph import Graph, graph_of
from tessera.compute.propagate import Plan, link_counterparts, linked, run
from tessera.records import RecordChange
from tessera.schema.catalog import FieldInfo, catalog

__all__ = ["on_record_change"]

_PENDING = "tessera.compute.pending_links"


def _pair(graph: Graph, link: FieldInfo) -> FieldInfo | None:
    """The link field on the other side of ``link``'s junction, if there is one."""
    key = "inverse_field_id" if link.options.get("side", "src") == "src" else "owner_field_id"
    other = link.options.get(key)
    return graph.fields.get(other) if other else None


def _links_of(graph: Graph, change: RecordChange) -> list[FieldInfo]:
    return [graph.fields[f] for f in change.field_ids
            if f in graph.fields and graph.fields[f].type == "link"]


def on_record_change(conn: Connection, change: RecordChange) -> None:
    cat = catalog(conn)
    graph = graph_of(conn, cat)
    if not graph.definitions:
        return
    ids = frozenset(change.record_ids)
    pending: dict[int, frozenset[int]] = conn.info.setdefault(_PENDING, {})
    if change.kind == "before_update":
        for link in _links_of(graph, change):
            pair = _pair(graph, link)
            if pair is not None:
                pending[pair.id] = pending.get(pair.id, frozenset()) | link_counterparts(conn, link, ids, cat)
        return
    if change.kind == "before_delete":
        for link in graph.fields.values():
            if link.type == "link" and link.options.get("target_table_id") == change.table_id:
                rows = linked(conn, link, ids, cat)
                assert isinstance(rows, frozenset)
                pending[link.id] = pending.get(link.id, frozenset()) | rows
        return
    plan = Plan()
    plan.mark(change.field_ids, ids)
    if change.kind == "create":
        plan.force([d.field_id for d in graph.definitions.values() if d.table_id == change.table_id], ids)
    lookups: dict[tuple[int, frozenset[int]], frozenset[int]] = {}
    if change.kind in ("create", "update"):
        for link in _links_of(graph, change):
            pair = _pair(graph, link)
            if pair is not None:
                counterparts = link_counterparts(conn, link, ids, cat)
                plan.mark([pair.id], counterparts)
                # the same junction read from the pair's side: rollups over ``pair`` reuse it
                lookups[(pair.id, ids)] = counterparts
    for field_id, rows in pending.items():
        plan.mark([field_id], rows)
    conn.info.pop(_PENDING, None)
    run(conn, plan, graph=graph, cat=cat, lookups=lookups)
