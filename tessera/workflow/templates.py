"""Action option templates: a string starting with ``=`` is a formula over the trigger record's
fields and earlier steps' outputs (``="您好 " & {姓名}``, ``={task.id}``); anything else is
taken literally. Lists and dicts are rendered item by item.

Link lookups read the linked records the way formula fields do: ``{客户}.{姓名}`` is the list
of the linked customers' names (``ARRAYJOIN({客户}.{姓名})``, ``SUM({到院消费}.{金额})``).
``record_env(…, conn=conn, templates=[…])`` loads the ``{Link}.{Field}`` values the given
templates (actions, condition) read, once per run, as ``"Link.Field"`` lists in the env.
With a connection, ``user`` fields (the record's and looked-up ones) read as usernames —
what ``notify`` recipients and assignee fields take — where formula fields see the id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from tessera.formula import ExcelError, FormulaError, evaluate
from tessera.formula import ast as A
from tessera.formula.parser import parse
from tessera.schema.catalog import TableInfo

__all__ = ["render", "record_env", "references", "link_refs", "TemplateError", "is_formula"]


class TemplateError(Exception):
    """A template formula failed; the message names the formula."""


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def _formula_value(value: Any) -> Any:
    """A record's API value as the formula interpreter wants it."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return value


def _field_value(f: Any, value: Any, users: Any = None) -> Any:
    """One field's API value as the formula interpreter wants it (dates as dates; with a
    user directory, a ``user`` field as the username)."""
    kind = f.field_type.value_kind(f.options)
    if isinstance(value, dict):       # a computed field's error: blank, as in a lookup
        return None
    if f.type == "user" and users is not None and isinstance(value, int):
        return users.name_of(value) or value
    if value is not None and kind == "date" and isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    elif value is not None and kind == "datetime" and isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    return _formula_value(value)


def record_env(table: TableInfo | None, record: Mapping[str, Any] | None, *,
               conn: Any = None, templates: Any = None) -> dict[str, Any]:
    """Name → formula value for the trigger record (dates as dates), plus — with ``conn`` —
    ``"Link.Field"`` → the linked records' values for every ``{Link}.{Field}`` that
    ``templates`` (any nesting of dicts, lists and template strings) read."""
    if table is None or record is None:
        return {}
    from tessera.fields.user import UserDirectory

    users = UserDirectory(conn) if conn is not None else None
    env: dict[str, Any] = {}
    fields = record.get("fields", {})
    for f in table.fields:
        env[f.name.strip()] = _field_value(f, fields.get(f.name), users)
    env.setdefault("id", record.get("id"))
    if conn is not None and templates is not None:
        env.update(link_values(conn, table, record, link_refs(templates), users))
    return env


def _sources(template: Any) -> list[str]:
    if isinstance(template, dict):
        return [s for v in template.values() for s in _sources(v)]
    if isinstance(template, list):
        return [s for v in template for s in _sources(v)]
    if is_formula(template):
        return [template[1:]]
    if isinstance(template, str) and template:
        return [template]      # a condition is a formula without "="
    return []


def link_refs(templates: Any) -> set[tuple[str, str]]:
    """The (link, field) pairs the template formulas in ``templates`` read."""
    found: set[tuple[str, str]] = set()
    for source in _sources(templates):
        found.update(_link_refs_of(source))
    return found


@lru_cache(maxsize=4096)
def _link_refs_of(source: str) -> frozenset[tuple[str, str]]:
    try:
        tree = parse(source)
    except FormulaError:
        return frozenset()
    return frozenset((n.link.strip(), n.name.strip()) for n in A.walk(tree)
                     if isinstance(n, A.LinkFieldRef))


def link_values(conn: Any, table: TableInfo, record: Mapping[str, Any],
                refs: set[tuple[str, str]], users: Any = None) -> dict[str, list[Any]]:
    """``"Link.Field"`` → the values of ``Field`` in the records ``Link`` points at (in link
    order; blanks kept, as a lookup keeps them). Unknown links or fields are left out, so the
    formula reports them as it would anywhere else."""
    import sqlalchemy as sa

    from tessera.access.context import acting_principal
    from tessera.access.run_as import scoped_table
    from tessera.records import records_to_dicts
    from tessera.schema.catalog import get_table, sa_table

    out: dict[str, list[Any]] = {}
    by_link: dict[str, list[str]] = {}
    for link, name in sorted(refs):
        by_link.setdefault(link, []).append(name)
    fields = record.get("fields", {})
    for link, names in by_link.items():
        lf = next((f for f in table.fields if f.name.strip() == link and f.type == "link"), None)
        if lf is None:
            continue
        # the linked table as the acting principal (the run-as user) sees it
        target = scoped_table(conn, acting_principal(), get_table(conn, lf.options["target_table_id"]))
        wanted = {n: f for n in names
                  if (f := next((x for x in target.fields if x.name.strip() == n), None)) is not None
                  and f.type != "link"}
        ids = [i for i in fields.get(lf.name) or [] if isinstance(i, int)]
        rows: dict[int, dict[str, Any]] = {}
        if ids and wanted:
            t = sa_table(target)
            found = conn.execute(sa.select(t).where(t.c.id.in_(ids))).all()
            rows = {r["id"]: r["fields"] for r in
                    records_to_dicts(target, found, {}, fields=list(wanted.values()))}
        for n, f in wanted.items():
            out[f"{link}.{n}"] = [_field_value(f, rows[i].get(f.name), users)
                                  for i in ids if i in rows]
    return out


def _json(value: Any) -> Any:
    if isinstance(value, ExcelError):
        raise TemplateError(f"the formula returned the error {value}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@lru_cache(maxsize=4096)
def references(source: str) -> frozenset[str | tuple[str, str]] | None:
    """The names a template formula reads — ``{name}`` as the name, ``{Link}.{Field}`` as the
    pair (link, field) — or None when it reads column references or does not parse.

    Why: the interpreter builds its typed dataset (and its compiled-formula cache key) from
    every value it is given; a run's environment holds the whole trigger record, so passing
    only the referenced names makes each render cheap and keeps the compiled closure cached
    across records whose other fields differ in blankness."""
    try:
        tree = parse(source)
    except FormulaError:
        return None
    names: set[str | tuple[str, str]] = set()
    for node in A.walk(tree):
        if isinstance(node, A.ColumnRef):
            return None
        if isinstance(node, A.LinkFieldRef):
            names.add((node.link.strip(), node.name.strip()))
        elif isinstance(node, A.FieldRef):
            names.add(node.name.strip())
    return frozenset(names)


def render(template: Any, env: Mapping[str, Any], *, today: dt.date | None = None) -> Any:
    """The template with every ``=formula`` string evaluated against ``env``."""
    if isinstance(template, dict):
        return {k: render(v, env, today=today) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, env, today=today) for v in template]
    if not is_formula(template):
        return template
    source = template[1:]
    wanted = references(source)
    if wanted is None:
        values = {k: v for k, v in env.items() if not isinstance(v, dict | list)}
    else:
        values = {k: env[k] for k in wanted
                  if isinstance(k, str) and k in env and not isinstance(env[k], dict | list)}
        for ref in wanted:    # {Link}.{Field}: the list record_env loaded (absent: an error)
            key = f"{ref[0]}.{ref[1]}" if isinstance(ref, tuple) else None
            if key is not None and isinstance(env.get(key), list):
                values[key] = env[key]
    try:
        return _json(evaluate(source, values, today=today))
    except FormulaError as exc:
        raise TemplateError(f"{source!r}: {exc}") from exc
