"""Creating a pack's objects in a live base, in the order the storage layer needs: tables
(with their primary fields), plain fields, links (with their inverse fields), then computed
fields in dependency order, then views, dashboards and automations (switched off; the caller
switches the enabled ones on once sample data is in). Install and upgrade both use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from tessera import dashboards
from tessera import schema_ops as schema
from tessera.packs.formulas import COMPUTED
from tessera.packs.idmap import IdMap
from tessera.packs.index import PackField, PackIndex
from tessera.packs.translate import Translator

__all__ = ["Builder"]


class Builder:
    def __init__(self, conn: Connection, base_id: int, index: PackIndex, ids: IdMap) -> None:
        self.conn, self.base_id, self.index, self.ids = conn, base_id, index, ids
        self.tr = Translator(conn, index, ids)

    # --- tables and fields --------------------------------------------------------------
    def add_table(self, spec: Mapping[str, Any]) -> int:
        primary = spec["primary"]
        table = schema.create_table(self.conn, self.base_id, spec["name"],
                                    primary_field=primary["name"])
        self.ids.tables[spec["key"]] = table.id
        assert table.primary_field is not None
        self.ids.fields[f"{spec['key']}.{primary['key']}"] = table.primary_field.id
        return table.id

    def add_field(self, f: PackField) -> int:
        """Adds one declared field (links with their inverse side)."""
        table_id = self.tr.table_id(f.table)
        table = self.index.tables[f.table]
        opts = dict(f.options)
        if f.type == "link":
            target = self.index.link_target(f)
            assert target is not None
            live = {"target_table_id": self.tr.table_id(target.key), "many": opts["many"]}
            if opts.get("inverse_name"):
                live.update(inverse_name=opts["inverse_name"], inverse_many=opts["inverse_many"])
            created = schema.add_field(self.conn, table_id, f.name, "link", live)
            if created.options.get("inverse_field_id"):
                self.ids.fields[f"{target.key}.{opts['inverse_key']}"] = \
                    created.options["inverse_field_id"]
        elif f.type in ("lookup", "rollup"):
            link = self.tr.pack_field(table, opts["link"])
            target = self.index.link_target(link)
            assert target is not None
            live = {"link_field_id": self.tr.field_id(table, opts["link"]),
                    "target_field_id": self.tr.field_id(target, opts["field"])}
            if f.type == "rollup":
                live["function"] = opts.get("function", "SUM")
            created = schema.add_field(self.conn, table_id, f.name, f.type, live)
        elif f.type == "formula":
            created = schema.add_field(self.conn, table_id, f.name, "formula",
                                       {"formula": self.tr.formula(table, opts["formula"])})
        else:
            created = schema.add_field(self.conn, table_id, f.name, f.type, opts)
        self.ids.fields[f.ref] = created.id
        return created.id

    def add_fields(self, fields: list[PackField], computed_order: tuple[PackField, ...]) -> None:
        """Plain fields, then links, then computed fields in dependency order."""
        declared = [f for f in fields if f.inverse_of is None and not f.is_primary]
        for f in declared:
            if f.type not in COMPUTED and f.type != "link":
                self.add_field(f)
        for f in declared:
            if f.type == "link":
                self.add_field(f)
        wanted = {f.ref for f in declared if f.type in COMPUTED}
        for f in computed_order:
            if f.ref in wanted:
                self.add_field(f)

    def order_fields(self, table_key: str) -> None:
        """Field positions as declared (inverse link fields after the declared ones)."""
        table = self.index.tables[table_key]
        order = [self.ids.fields[f.ref] for f in table.fields if f.ref in self.ids.fields]
        schema.reorder_fields(self.conn, self.tr.table_id(table_key), order)

    # --- views, dashboards, automations -------------------------------------------------
    def add_view(self, spec: Mapping[str, Any]) -> int:
        live = self.tr.view(spec)
        view = schema.create_view(self.conn, live["table_id"], live["name"],
                                  filters=live["filters"], sorts=live["sorts"],
                                  hidden_fields=live["hidden_fields"], kind=live["kind"],
                                  layout=live["layout"])
        self.ids.views[spec["key"]] = view.id
        return view.id

    def add_dashboard(self, spec: Mapping[str, Any]) -> int:
        board = dashboards.create_dashboard(self.conn, self.base_id, spec["name"],
                                            [self.tr.widget(w) for w in spec["widgets"]])
        self.ids.dashboards[spec["key"]] = board.id
        return board.id

    def add_automation(self, spec: Mapping[str, Any]) -> int:
        import tessera.workflow as wf

        live = self.tr.automation(spec)
        aid = wf.create_automation(self.conn, base_id=self.base_id, name=live["name"],
                                   trigger=live["trigger"], actions=live["actions"],
                                   table_id=live["table_id"], condition=live["condition"])
        self.ids.automations[spec["key"]] = aid
        return aid
