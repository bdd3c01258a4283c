"""Pack references → live references.

A pack names fields by their names *in the pack*; after an upgrade the live base may call
them differently (a user renamed a field). ``Translator`` turns pack names into live names
and ids (through the pack key and the id map) in formulas, filters, views, widgets and
automations, so whatever the pack adds points at the right live objects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from tessera.compute.references import rewrite
from tessera.formula.errors import FormulaError
from tessera.packs.errors import PackError
from tessera.packs.idmap import IdMap
from tessera.packs.index import PackField, PackIndex, PackTable
from tessera.packs.semantics import resolve_table_ref
from tessera.schema.catalog import FieldInfo, get_field

__all__ = ["Translator"]


class Translator:
    def __init__(self, conn: Connection, index: PackIndex, ids: IdMap) -> None:
        self.conn, self.index, self.ids = conn, index, ids

    # --- objects ------------------------------------------------------------------------
    def table_id(self, key: str) -> int:
        try:
            return self.ids.tables[key]
        except KeyError:
            raise PackError(f"Table {key!r} of the pack is not in this base (it was deleted); "
                            "restore it or remove what refers to it from the pack.",
                            f"应用包的表 {key!r} 不在此数据库中（已被删除）；请恢复它，或从包中删去引用它的内容。",
                            code="pack.missing_table") from None

    def pack_field(self, table: PackTable, ref: Any) -> PackField:
        f = table.field(ref)
        if f is None:
            raise PackError(f"Table {table.key!r} of the pack has no field {ref!r}.",
                            f"应用包的表 {table.key!r} 没有字段 {ref!r}。", code="pack.reference")
        return f

    def live_field(self, table: PackTable, ref: Any) -> FieldInfo:
        f = self.pack_field(table, ref)
        fid = self.ids.fields.get(f.ref)
        if fid is None:
            raise PackError(f"Field {f.name!r} of table {table.key!r} is not in this base (it was "
                            "deleted); restore it or change what refers to it.",
                            f"表 {table.key!r} 的字段「{f.name}」不在此数据库中（已被删除）；请恢复它或修改引用它的内容。",
                            code="pack.missing_field")
        return get_field(self.conn, fid)

    def field_id(self, table: PackTable, ref: Any) -> int:
        return self.live_field(table, ref).id

    def name(self, table: PackTable, ref: Any) -> str:
        return self.live_field(table, ref).name

    # --- formulas -----------------------------------------------------------------------
    def formula(self, table: PackTable, text: str) -> str:
        """``text`` with pack field names replaced by live names (other text untouched)."""
        def own(t: PackTable) -> Callable[[str], str]:
            def rename(name: str) -> str:
                return self.name(t, name) if t.field(name) is not None else name
            return rename

        def link(name: str) -> tuple[str, Callable[[str], str]]:
            f = table.field(name)
            target = self.index.link_target(f) if f is not None else None
            if f is None or target is None:
                return name, lambda n: n
            return self.name(table, name), own(target)

        return rewrite(text, own(table), link)

    def template(self, table: PackTable, value: Any) -> Any:
        """Automation option values: ``=formula`` strings are translated, lists/dicts walked."""
        if isinstance(value, str) and value.startswith("="):
            try:
                return "=" + self.formula(table, value[1:])
            except FormulaError:  # not a formula the checker parses: kept as written
                return value
        if isinstance(value, list):
            return [self.template(table, v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.template(table, v) for k, v in value.items()}
        return value

    # --- views and widgets --------------------------------------------------------------
    def filter(self, table: PackTable, node: Any) -> Any:
        if not isinstance(node, Mapping):
            return node
        out = {k: (self.filter(table, v) if k not in ("and", "or") else
                   [self.filter(table, c) for c in v]) for k, v in node.items()}
        if "field" in node:
            out["field"] = self.field_id(table, node["field"])
        return out

    def view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        table = self.index.tables[spec["table"]]
        return {"table_id": self.table_id(table.key), "name": spec["name"],
                "filters": self.filter(table, spec["filter"]) if spec.get("filter") else None,
                "sorts": [{"field": self.field_id(table, s["field"]), "direction": s["direction"]}
                          for s in spec.get("sort", [])],
                "hidden_fields": [self.field_id(table, r) for r in spec.get("hidden", [])],
                "kind": spec.get("type") or "grid", "layout": self.layout(table, spec)}

    def layout(self, table: PackTable, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The view's layout (tessera.schema.view_layout) with live field ids. A kanban that
        names only ``group_by`` stacks by it when it is a single select."""
        group = spec.get("group_by")
        groups = group if isinstance(group, list) else [group] if group else []
        out: dict[str, Any] = {}
        if groups:
            out["group_by"] = [self.field_id(table, r) for r in groups]
        if spec.get("fields"):
            out["fields"] = [self.field_id(table, r) for r in spec["fields"]]
        stack = spec.get("stack_field")
        if stack is None and spec.get("type") == "kanban" and len(groups) == 1 \
                and self.pack_field(table, groups[0]).type == "single_select":
            stack = groups[0]
        for key, ref in (("stack_field", stack), ("date_field", spec.get("date_field"))):
            if ref is not None:
                out[key] = self.field_id(table, ref)
        if spec.get("row_height"):
            out["row_height"] = spec["row_height"]
        return out

    def widget(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        table = self.index.tables[spec["table"]]
        out: dict[str, Any] = {"type": spec["type"], "title": spec.get("title"),
                               "table_id": self.table_id(table.key),
                               "aggregate": spec.get("aggregate", "count"),
                               "order": spec.get("order") or None}
        if spec.get("view"):
            out["view_id"] = self.ids.views.get(spec["view"])
        if spec.get("group_by"):
            out["group_by_field_id"] = self.field_id(table, spec["group_by"])
        if spec.get("field"):
            out["field_id"] = self.field_id(table, spec["field"])
        return out

    # --- automations --------------------------------------------------------------------
    def automation(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        table = self.index.table(spec.get("table"))
        trigger = {"type": spec["trigger"]["type"], "options": dict(spec["trigger"]["options"])}
        condition = spec.get("condition")
        actions = [dict(a) for a in spec["actions"]]
        if table is not None:
            opts = trigger["options"]
            if isinstance(opts.get("formula"), str):
                opts["formula"] = self.formula(table, opts["formula"])
            if isinstance(opts.get("fields"), list):
                opts["fields"] = [self.name(table, r) for r in opts["fields"]]
            if isinstance(opts.get("field"), str):
                opts["field"] = self.name(table, opts["field"])
            condition = self.formula(table, condition) if condition else None
            actions = [self.action(table, a) for a in actions]
        return {"table_id": self.table_id(table.key) if table else None, "name": spec["name"],
                "trigger": trigger, "condition": condition, "actions": actions}

    def action(self, table: PackTable, action: Mapping[str, Any]) -> dict[str, Any]:
        options = dict(action.get("options") or {})
        target = table
        if action["type"] == "create_record":
            found = resolve_table_ref(self.index, options.get("table"))
            if found is not None:
                target = found
                options["table"] = self.table_id(found.key)
        if action["type"] == "update_record" and options.get("link"):
            link = self.pack_field(table, options["link"])
            target = self.index.link_target(link) or table
            options["link"] = self.name(table, options["link"])
        if isinstance(options.get("values"), Mapping):
            options["values"] = {self.name(target, k): self.template(table, v)
                                 for k, v in options["values"].items()}
        if action["type"] in ("link_records", "unlink_records", "assign") and options.get("field"):
            options["field"] = self.name(table, options["field"])
        if action["type"] == "branch":
            options["condition"] = self.formula(table, options["condition"])
            for arm in ("then", "else"):
                if options.get(arm):
                    options[arm] = [self.action(table, a) for a in options[arm]]
        return {**action, "options": options}
