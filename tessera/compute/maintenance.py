"""Keeping computed fields consistent with the schema: checking a definition when it is saved
(the option preparer), and reacting to schema events (the field listener)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import clock
from tessera.compute.column_functions import drop_field_snapshots
from tessera.compute.definitions import COMPUTED_TYPES, definition_of, synthesize
from tessera.compute.graph import Graph, load_graph
from tessera.compute.materialize import ALL_ROWS, result_kind, write_broken
from tessera.compute.propagate import Plan, run
from tessera.compute.references import field_id_of, id_name, rewrite, uses_clock
from tessera.compute.schema_adapter import readable_fields, table_schema
from tessera.errors import SchemaError
from tessera.formula.checker import check
from tessera.formula.errors import FormulaError
from tessera.formula.parser import parse
from tessera.schema.catalog import F, FieldInfo, TableInfo, get_field, get_table
from tessera.schema.hooks import FieldEvent

__all__ = ["prepare_options", "on_field_event", "mark_broken", "display_text", "to_id_form"]


# ----- id form ⇄ names ----------------------------------------------------------------------
def to_id_form(conn: Connection, table: TableInfo, text: str) -> str:
    """``text`` (checked against ``table``) with every reference written as field ids."""
    own = {f.name: f.id for f in readable_fields(table)}
    links: dict[str, tuple[int, dict[str, int]]] = {}
    for f in table.fields:
        if f.type == "link" and f.options.get("target_table_id"):
            target = get_table(conn, f.options["target_table_id"])
            links[f.name] = (f.id, {g.name: g.id for g in readable_fields(target)})

    def link(name: str) -> tuple[str, Any]:
        link_id, targets = links[name]
        return id_name(link_id), lambda n: id_name(targets[n])

    return rewrite(text, lambda n: id_name(own[n]), link)


def display_text(names: dict[int, str], expression: str) -> str:
    """The id form shown with current field names (a missing field keeps its id form)."""

    def name(n: str) -> str:
        fid = field_id_of(n)
        return names.get(fid, n) if fid is not None else n

    return rewrite(expression, name, lambda n: (name(n), name))


# ----- checking a definition (option preparer) ------------------------------------------------
def _check_link_options(conn: Connection, table: TableInfo, options: dict[str, Any]) -> None:
    link_id, target_id = options.get("link_field_id"), options.get("target_field_id")
    link = next((f for f in table.fields if f.id == link_id and f.type == "link"), None)
    if link is None:
        raise SchemaError(f"options.link_field_id must be a link field of table {table.name}.",
                          f"options.link_field_id 必须是表 {table.name} 的关联字段。", code="lookup_link")
    target = get_table(conn, link.options["target_table_id"])
    if not any(f.id == target_id for f in readable_fields(target)):
        raise SchemaError(f"options.target_field_id must be a field of the linked table {target.name}.",
                          f"options.target_field_id 必须是被关联表 {target.name} 的字段。", code="lookup_target")


def prepare_options(conn: Connection, table_id: int, type_: str, options: dict[str, Any],
                    field_id: int | None) -> dict[str, Any]:
    """Check a computed field's definition and complete its options (raises FormulaError /
    SchemaError): id form, result type, clock use; refuses reference cycles."""
    if type_ not in COMPUTED_TYPES:
        return options
    opts = dict(options)
    table = get_table(conn, table_id)
    if type_ == "formula":
        text = str(opts.get("formula") or "").strip()
        if text:
            check(parse(text), table_schema(conn, table, by="name"))
        expression = to_id_form(conn, table, text) if text else None
    else:
        if opts.get("link_field_id") or opts.get("target_field_id"):
            _check_link_options(conn, table, opts)
        expression = synthesize(type_, opts)
    opts.update(expression=expression, broken=None, volatile=False, clock_date=None)
    if expression is None:
        opts.setdefault("result_type", "text")
        return opts
    typed = check(parse(expression), table_schema(conn, table, by="id"))
    opts["result_type"] = result_kind(typed.type)
    if uses_clock(expression):
        opts.update(volatile=True, clock_date=clock.today().isoformat())
    graph = load_graph(conn)
    if type_ != "formula":
        opts["formula"] = display_text({i: f.name for i, f in graph.fields.items()}, expression)
    if field_id is not None:
        graph = graph.copy()  # the loaded graph is shared (cached per schema stamp)
        graph.add(definition_of(field_id, table_id, type_, opts))
        graph.check_no_cycle(field_id)
    return opts


# ----- schema events ------------------------------------------------------------------------
def _set_options(conn: Connection, field_id: int, options: dict[str, Any]) -> None:
    conn.execute(sa.update(F).where(F.c.id == field_id).values(options=options))


def mark_broken(conn: Connection, field: FieldInfo, error: FormulaError | SchemaError) -> None:
    """Keep the field but stop computing it: every cell shows ``#REF!``, and the reason is in
    ``options["broken"]`` until the definition is fixed."""
    if isinstance(error, FormulaError):
        reason = {"code": error.code, "message_en": error.messages["en"], "message_zh": error.messages["zh-CN"]}
    else:
        reason = {"code": error.code, "message_en": error.message_en, "message_zh": error.message_zh}
    current = get_field(conn, field.id)
    _set_options(conn, field.id, {**current.options, "broken": reason})
    write_broken(conn, get_table(conn, field.table_id), field.id)


def _recheck(conn: Connection, graph: Graph, field_ids: set[int], plan: Plan) -> None:
    """Check dependents again after a field they read changed type or disappeared."""
    from tessera.schema.ops import update_field_options

    for fid in sorted(field_ids):
        field = get_field(conn, fid)
        try:
            prepare_options(conn, field.table_id, field.type, dict(field.options), field.id)
        except (FormulaError, SchemaError) as exc:
            mark_broken(conn, field, exc)
            plan.mark([fid], ALL_ROWS)
            continue
        update_field_options(conn, fid, {})  # new result type → new column; recomputes


def _rename(conn: Connection, graph: Graph, field: FieldInfo) -> None:
    names = {i: f.name for i, f in graph.fields.items()}
    for dependent in graph.dependents(field.id):
        d = graph.fields[dependent]
        expression = d.options.get("expression")
        if expression and not d.options.get("broken"):
            _set_options(conn, dependent, {**d.options, "formula": display_text(names, expression)})


def on_field_event(conn: Connection, event: FieldEvent) -> None:
    field = event.field
    graph = load_graph(conn)
    plan = Plan()
    if event.kind in ("deleted", "options_changed", "retyped"):
        drop_field_snapshots(conn, field.id)  # rank snapshots of the old definition
    if event.kind == "renamed":
        _rename(conn, graph, field)
        return
    if event.kind in ("added", "options_changed", "retyped") and field.type in COMPUTED_TYPES:
        plan.force([field.id], ALL_ROWS)
    kind_changed = event.previous is not None and (
        event.previous.type != field.type or event.previous.value_kind != field.value_kind)
    if event.kind == "deleted" or (event.kind in ("options_changed", "retyped") and kind_changed):
        dependents = {d for d in graph.dependents(field.id) if d in graph.definitions} - {field.id}
        _recheck(conn, graph, dependents, plan)
    run(conn, plan)
