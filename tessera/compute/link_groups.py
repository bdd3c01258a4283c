"""Grouped aggregates per link for full recomputes.

Compiled for one record, ``SUM({Visits}.{Amount})`` is a correlated subquery: per customer, an
index probe into the junction and one lookup into the visits table per visit. Recomputing every
customer that way costs about 100 µs each. During a full recompute the compiler is given a
:class:`LinkGroups` (``SqlContext.groups``) instead: every aggregate over a link, in every
formula of the run, becomes a column of one temporary table built by one statement::

    CREATE TEMP TABLE tx_grp_<n> AS
    SELECT j.src_id AS src, SUM(v.amount) AS a1, COUNT(v.amount) AS a2, MAX(v.day) AS a3 …
    FROM l_<link> j JOIN t_<visits> v ON v.id = j.dst_id GROUP BY j.src_id

and each formula reads ``CASE WHEN g.src IS NULL THEN <the aggregate over no rows> ELSE g.a1 END``
through ``LEFT JOIN tx_grp_<n> g ON g.src = cur.id`` (the empty aggregate is an uncorrelated
subquery: the value a record without links gets, exactly as before). An aggregate that reads
the current record (a criterion such as ``">"&{Limit}``) stays correlated.

A temporary table is built when a statement first needs it, with every aggregate the run's
formulas need over that link (``propagate._full_recompute_groups`` compiles them all first), and dropped
when the run writes the target table (its values would be stale) and at the end of the run.
Only aggregates a compiled statement really reads become columns (:meth:`LinkGroups.keep`):
a function's SQL may build partial aggregates it then leaves out (SUM's include PRODUCT's
sum of logarithms and MIN/MAX), and each one costs a computation per linked row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import visitors

from tessera.formula.functions._ranges import target_table
from tessera.formula.schema import LinkInfo

__all__ = ["LinkGroups", "LinkGroup"]


@dataclass
class LinkGroup:
    """The aggregates of one link: shared aliases, and the temporary table holding them."""

    key: tuple[str, str, str, str]  # junction, src column, dst column, target table
    target: Any  # alias of the target table
    junction: Any  # alias of the junction
    src: str
    dst: str
    target_id: str
    table: Any = None  # sa.table of the current temporary table (None: not built)
    names: dict[str, str] = field(default_factory=dict)  # aggregate SQL → its column
    expressions: dict[str, Any] = field(default_factory=dict)  # column → aggregate expression
    built: frozenset[str] = frozenset()  # columns of the built table
    owner: Any = None  # the LinkGroups (for the SQL dialect, used statements)

    def column(self, expression: Any, correlated: Any) -> Any:
        """The aggregate for the current record (see RangeRows.aggregate)."""
        if not self._local(expression):
            return correlated
        key = self.owner.text_of(expression)
        if key is None:
            return correlated
        name = self.names.get(key)
        if name is None:
            name = f"a{len(self.names) + 1}"
            self.names[key] = name
            self.expressions[name] = expression
        self.owner.used.add((self.key, name))
        grouped = self.owner.reference(self)
        source = self.junction.join(self.target, self.target.c[self.target_id] == self.junction.c[self.dst])
        # its own FROM even where it sits inside a subquery over the same aliases
        empty = sa.select(expression).select_from(source).where(sa.false()).correlate(None).scalar_subquery()
        return sa.case((grouped.c.src.is_(None), empty), else_=grouped.c[name])

    def _local(self, expression: Any) -> bool:
        """Whether ``expression`` reads only the junction and target (no current record)."""
        allowed = {self.target, self.junction}
        for element in visitors.iterate(expression):
            table = getattr(element, "table", None)
            if isinstance(element, sa.ColumnClause) and table is not None and table not in allowed:
                return False
        return True


class LinkGroups:
    """The grouped aggregates of one recompute run (one transaction, one connection)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.groups: dict[tuple[str, str, str, str], LinkGroup] = {}
        self.used: set[tuple[tuple[str, str, str, str], str]] = set()
        self.references: dict[tuple[str, str, str, str], Any] = {}
        self._count = 0
        self._created: list[str] = []
        self.statements: dict[int, tuple[Any, set[tuple[tuple[str, str, str, str], str]]]] = {}
        self.wanted: set[tuple[tuple[str, str, str, str], str]] = set()  # read by some statement of the run

    # ----- compile time (SqlContext.groups) ---------------------------------------------------
    def link(self, link: LinkInfo) -> LinkGroup:
        key = (link.junction, link.src_column, link.dst_column, link.target.table)
        group = self.groups.get(key)
        if group is None:
            n = len(self.groups) + 1
            target = target_table(link.target).alias(f"gt{n}")
            junction = sa.table(link.junction, sa.column(link.src_column), sa.column(link.dst_column)).alias(f"gj{n}")
            group = LinkGroup(key, target, junction, link.src_column, link.dst_column, link.target.id_column,
                              owner=self)
            self.groups[key] = group
        return group

    def text_of(self, expression: Any) -> str | None:
        """The SQL of an aggregate with its constants inlined (equal aggregates share a column)."""
        try:
            return str(expression.compile(dialect=self.conn.dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # a constant without a literal form: keep the aggregate correlated
            return None

    def reference(self, group: LinkGroup) -> Any:
        """The table clause a statement joins for ``group`` (its name is fixed when built)."""
        ref = self.references.get(group.key)
        if ref is None:
            self._count += 1
            ref = sa.table(f"tx_grp_{self._count}", sa.column("src"))
            self.references[group.key] = ref
        for name in group.expressions:
            if name not in ref.c:
                ref.append_column(sa.column(name))
        return ref

    def tables(self) -> list[Any]:
        """The grouped tables statements may join (subqueries correlate to them)."""
        return list(self.references.values())

    def start(self) -> None:
        """Forget which groups the last compiled statement used."""
        self.used = set()

    def keep(self, *expressions: Any) -> None:
        """Narrow the aggregates the last compiled statement uses to those ``expressions`` (its
        final columns) read; a link whose grouped columns none of them reads is dropped too."""
        owner = {id(ref): key for key, ref in self.references.items()}
        read: set[tuple[tuple[str, str, str, str], str]] = set()
        for expression in expressions:
            for element in visitors.iterate(expression):
                key = owner.get(id(getattr(element, "table", None)))
                if key is not None and isinstance(element, sa.ColumnClause):
                    read.add((key, element.name))
        self.used = {pair for pair in self.used if pair in read}
        self.wanted |= self.used

    def joins(self, cur: Any) -> Any:
        """``cur`` LEFT JOINed to the temporary tables the last compiled statement used."""
        source = cur
        for key in sorted({k for k, _ in self.used}):
            ref = self.references[key]
            source = source.outerjoin(ref, ref.c.src == cur.c.id)
        return source

    # ----- run time ---------------------------------------------------------------------------
    def needed(self) -> set[tuple[tuple[str, str, str, str], str]]:
        return set(self.used)

    def ensure(self, needed: set[tuple[tuple[str, str, str, str], str]]) -> None:
        """Build (or rebuild) the temporary tables holding ``needed`` aggregates: one
        statement per link with every aggregate collected for it."""
        for key in sorted({k for k, _ in needed}):
            group = self.groups[key]
            names = {n for k, n in needed if k == key}
            if group.table is not None and names <= group.built:
                continue
            self._build(group)

    def _build(self, group: LinkGroup) -> None:
        ref = self.reference(group)
        name = ref.name
        self._drop(name)
        jn, tgt = group.junction, group.target
        names = [n for n in group.expressions if (group.key, n) in self.wanted]
        columns = [jn.c[group.src].label("src"), *[group.expressions[n].label(n) for n in names]]
        select = (sa.select(*columns)
                  .select_from(jn.join(tgt, tgt.c[group.target_id] == jn.c[group.dst]))
                  .group_by(jn.c[group.src]))
        pg = self.conn.dialect.name == "postgresql"
        prefix = f"CREATE TEMPORARY TABLE {name} {'ON COMMIT DROP ' if pg else ''}AS "
        self._execute(prefix, select)
        if pg:
            self.conn.exec_driver_sql(f"ANALYZE {name}")
        else:
            self.conn.exec_driver_sql(f"CREATE UNIQUE INDEX temp.{name}_src ON {name} (src)")
        self._created.append(name)
        group.table = ref
        group.built = frozenset(names)

    def _execute(self, prefix: str, select: Any) -> None:
        """``prefix`` + the compiled ``select``, with its parameters as the driver wants them."""
        compiled = select.compile(dialect=self.conn.dialect, compile_kwargs={"render_postcompile": True})
        processors = getattr(compiled, "_bind_processors", {}) or {}
        params = {k: (processors[k](v) if k in processors else v) for k, v in compiled.construct_params().items()}
        args: Any = tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
        self.conn.exec_driver_sql(prefix + compiled.string, args)

    def invalidate(self, table: str) -> None:
        """The run wrote ``table``: temporary tables aggregating it are stale."""
        for group in self.groups.values():
            if group.key[3] == table and group.table is not None:
                self._drop(group.table.name)
                group.table = None
                group.built = frozenset()

    def _drop(self, name: str) -> None:
        if name in self._created:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
            self._created.remove(name)

    def close(self) -> None:
        for name in list(self._created):
            self._drop(name)
