"""Compile the single-record recompute statements before the first write needs them.

The first record change of a process (and the first after a schema change that concerns the
formula) compiles the UPDATE of every computed field it reaches: on the clinic pack 32
statements, about a second of CPU on an idle machine and tens of seconds under load, all on
that one request. :func:`warm_statements` compiles them for the current schema state (into
the same caches the write path reads: the catalog memo and shapes.SHAPES), and
:func:`start_warmup` does it in a daemon thread, as the web app does at start-up.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Connection, Engine

from tessera.compute.graph import Graph, graph_of
from tessera.compute.materialize import Clock, combinable, warm
from tessera.compute.together import few_statement
from tessera.formula.errors import FormulaError
from tessera.schema.catalog import Bind, Catalog, catalog, transaction

__all__ = ["warm_statements", "start_warmup"]

log = logging.getLogger(__name__)


def warm_statements(bind: Bind) -> int:
    """Compile every active computed field's single-record UPDATE, and the UPDATEs of fields
    written together after one record's creation; the number compiled (or found compiled).
    A field whose formula no longer checks is left to the write path."""
    done = 0
    with transaction(bind) as conn:
        cat = catalog(conn)
        graph = graph_of(conn, cat)
        at = Clock.current()
        for node in graph.order():
            try:
                done += warm(conn, graph.definitions[node], at, cat)
            except FormulaError:
                continue
        for table_id in sorted({f.table_id for f in graph.fields.values()}):
            done += _warm_groups(conn, cat, graph, table_id, at)
    return done


def _warm_groups(conn: Connection, cat: Catalog, graph: Graph, table_id: int, at: Clock) -> int:
    """Compile the statements writing several fields together (together.py) that creating one
    record of ``table_id`` reaches, assuming every field it recomputes changes: the same walk
    as propagate._run (fields of one table in one dependency level form a group). A write
    whose fields change less forms smaller groups, compiled when first used."""
    changed = {f.id for f in graph.fields.values() if f.table_id == table_id}
    for f in list(changed):
        link = graph.fields[f]
        key = "inverse_field_id" if link.options.get("side", "src") == "src" else "owner_field_id"
        if link.type == "link" and link.options.get(key):
            changed.add(int(link.options[key]))
    group: list[int] = []
    done = 0

    def flush() -> None:
        nonlocal done
        if len(group) > 1:
            table = cat.table(conn, graph.definitions[group[0]].table_id)
            try:
                few_statement(conn, cat, table, [graph.definitions[n] for n in group], 1, at)
                done += 1
            except FormulaError:
                pass
        group.clear()

    for node in graph.order():
        definition = graph.definitions[node]
        reached = definition.table_id == table_id  # a create recomputes its table's fields
        for edge in graph.incoming.get(node, []):
            if edge.dependency in group and edge.dependency != node:
                flush()
            reached = reached or (edge.dependency in changed and edge.dependency != node)
        if not reached or not definition.active:
            continue
        changed.add(node)
        if group and graph.definitions[group[0]].table_id != definition.table_id:
            flush()
        try:
            fits = combinable(conn, cat.table(conn, definition.table_id), definition, cat)
        except FormulaError:
            fits = False
        if fits:
            group.append(node)
        else:
            flush()
    flush()
    return done


def start_warmup(engine: Engine) -> threading.Thread:
    """:func:`warm_statements` in a daemon thread (errors are logged, never raised)."""

    def run() -> None:
        try:
            count = warm_statements(engine)
            log.info("compiled %d recompute statements", count)
        except Exception:  # a warm-up must never take the process down
            log.exception("recompute statement warm-up failed")

    thread = threading.Thread(target=run, name="tessera-compute-warmup", daemon=True)
    thread.start()
    return thread
