"""The field dependency graph: which computed fields read which fields, and how.

Nodes are field ids. An :class:`Edge` says that ``dependent`` (a computed field) reads
``dependency``; its ``relation`` turns the changed records of the dependency into the records of
the dependent to recompute:

- ``same``: the same records (``{F}``, and the link field itself of ``{Link}.{F}``);
- ``link``: the records linked to them through ``link_id`` (``{Link}.{F}``);
- ``all``: every record of the table (``ALL({F})``).

Built from the metadata catalog and cached with it (one graph per schema stamp, see
tessera/schema/version.py), so a record change does not re-read and re-parse every formula.
The cached graph is shared: :meth:`Graph.copy` before adding to it. Cycles are refused with
their path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from tessera.compute.definitions import COMPUTED_TYPES, Definition, definition_of
from tessera.compute.references import field_id_of, references
from tessera.formula.errors import FormulaReferenceError
from tessera.schema.catalog import Catalog, Everything, FieldInfo, catalog

__all__ = ["Edge", "Graph", "load_graph", "graph_of", "build_graph", "edges_of", "FormulaCycleError"]


class FormulaCycleError(FormulaReferenceError):
    """A formula would read its own value, directly or through other fields."""


@dataclass(frozen=True, slots=True)
class Edge:
    dependency: int
    dependent: int
    relation: str  # same | link | all
    link_id: int | None = None


def edges_of(definition: Definition) -> list[Edge]:
    """The edges into one computed field, from its id-form expression."""
    if definition.expression is None:
        return []
    out: list[Edge] = []
    me = definition.field_id
    for ref in references(definition.expression):
        target = field_id_of(ref.name)
        if target is None:
            continue
        if ref.kind == "field":
            out.append(Edge(target, me, "same"))
        elif ref.kind == "column":
            out.append(Edge(target, me, "all"))
        else:
            link = field_id_of(ref.link or "")
            if link is not None:
                out.append(Edge(link, me, "same"))
                out.append(Edge(target, me, "link", link))
    return out


@dataclass
class Graph:
    fields: dict[int, FieldInfo]  # every field of the database
    table_names: dict[int, str]
    definitions: dict[int, Definition] = field(default_factory=dict)
    incoming: dict[int, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    outgoing: dict[int, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _order: list[int] | None = field(default=None, repr=False)

    def copy(self) -> Graph:
        """An independent graph to add to (the cached one is shared between callers)."""
        incoming: dict[int, list[Edge]] = defaultdict(list, {k: list(v) for k, v in self.incoming.items()})
        outgoing: dict[int, list[Edge]] = defaultdict(list, {k: list(v) for k, v in self.outgoing.items()})
        return Graph(self.fields, self.table_names, dict(self.definitions), incoming, outgoing)

    def add(self, definition: Definition) -> None:
        """Add (or replace) a computed field's definition and its edges."""
        self._order = None
        old = self.definitions.get(definition.field_id)
        if old is not None:
            for e in self.incoming.pop(definition.field_id, []):
                self.outgoing[e.dependency].remove(e)
        self.definitions[definition.field_id] = definition
        for e in edges_of(definition):
            self.incoming[e.dependent].append(e)
            self.outgoing[e.dependency].append(e)

    def label(self, field_id: int) -> str:
        f = self.fields.get(field_id)
        if f is None:
            return f"#{field_id}"
        return f"{self.table_names.get(f.table_id, '?')}.{{{f.name}}}"

    def dependents(self, field_id: int) -> list[int]:
        """Computed fields reading ``field_id`` directly."""
        return sorted({e.dependent for e in self.outgoing.get(field_id, [])})

    def downstream(self, field_ids: set[int]) -> set[int]:
        """Every computed field reading any of ``field_ids``, directly or not."""
        seen: set[int] = set()
        stack = list(field_ids)
        while stack:
            for d in self.dependents(stack.pop()):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
        return seen

    def cycle_through(self, field_id: int) -> list[int] | None:
        """A dependency path from ``field_id`` back to itself, or None."""
        path: list[int] = []
        visiting: set[int] = set()
        done: set[int] = set()

        def visit(node: int) -> bool:
            path.append(node)
            visiting.add(node)
            for e in self.incoming.get(node, []):
                dep = e.dependency
                if dep == field_id:
                    path.append(dep)
                    return True
                if dep in self.definitions and dep not in visiting and dep not in done and visit(dep):
                    return True
            visiting.discard(node)
            done.add(node)
            path.pop()
            return False

        return path if visit(field_id) else None

    def check_no_cycle(self, field_id: int) -> None:
        cycle = self.cycle_through(field_id)
        if cycle is None:
            return
        chain = " → ".join(self.label(i) for i in cycle)
        if len(cycle) == 2:
            en, zh = (f"The formula of {self.label(field_id)} refers to itself",
                      f"{self.label(field_id)} 的公式引用了自身")
        else:
            en, zh = (f"Reference cycle: {chain} (each uses the next); remove one of these references",
                      f"循环引用：{chain}（每个字段都用到下一个），请去掉其中一个引用")
        raise FormulaCycleError("reference.cycle", en, zh)

    def order(self) -> list[int]:
        """Computed fields, every one after the computed fields it reads (Kahn); computed
        once per graph."""
        if self._order is None:
            self._order = self._kahn()
        return self._order

    def _kahn(self) -> list[int]:
        pending = {c: {e.dependency for e in self.incoming.get(c, []) if e.dependency in self.definitions
                       and e.dependency != c}
                   for c in self.definitions}
        ready = sorted(c for c, deps in pending.items() if not deps)
        out: list[int] = []
        while ready:
            c = ready.pop(0)
            out.append(c)
            for d in self.dependents(c):
                deps = pending.get(d)
                if deps is not None and c in deps:
                    deps.discard(c)
                    if not deps:
                        ready.append(d)
        out += sorted(c for c in self.definitions if c not in out)  # only if a cycle slipped in
        return out


def build_graph(everything: Everything) -> Graph:
    """The graph of every computed field of the database."""
    graph = Graph(everything.fields, everything.table_names)
    for f in everything.fields.values():
        if f.type in COMPUTED_TYPES:
            graph.add(definition_of(f.id, f.table_id, f.type, f.options))
    graph.order()
    return graph


def graph_of(conn: Connection, cat: Catalog) -> Graph:
    """The graph as ``conn`` sees it, built once per schema state ``cat`` (shared: do not add
    to it — use :meth:`Graph.copy`)."""
    return cat.memo("graph", lambda: build_graph(cat.everything(conn)))


def load_graph(conn: Connection) -> Graph:
    """The graph of the whole database as ``conn`` sees it (see :func:`graph_of`)."""
    return graph_of(conn, catalog(conn))
