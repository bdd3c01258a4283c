"""``export_base``: a live base → a normalized pack (and ``write_pack``: → a pack folder).

Keys come from the installed id map, so an exported pack matches the installed one object by
object (what an upgrade's three-way merge needs); objects users added get keys made from
their names (or kind and id). Labels, descriptions, view types and the pack's title live
only in the installed snapshot and are taken from there; roles are the snapshot's, with the
row rules and field permissions the base has now (tessera.packs.roles)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tessera import dashboards
from tessera import schema_ops as schema
from tessera.packs.idmap import IdMap
from tessera.packs.normalize import normalize
from tessera.packs.source import PACK_FILE
from tessera.packs.store import load_installed
from tessera.schema.catalog import Bind, FieldInfo, TableInfo, transaction

__all__ = ["export_base", "write_pack", "dump_pack"]

_IDENT = re.compile(r"[a-z0-9_]+")


class _Keys:
    """Keys for live objects: from the id map, else made up (unique per kind and scope)."""

    def __init__(self, ids: IdMap) -> None:
        self.ids = ids
        self.used: dict[str, set[str]] = {}

    def key(self, kind: str, object_id: int, name: str, scope: str = "") -> str:
        known = self.ids.key_of(kind, object_id)
        if known is not None:
            key = known[len(scope) + 1:] if scope and known.startswith(scope + ".") else known
        else:
            slug = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
            key = slug if _IDENT.fullmatch(slug) and slug.isascii() else f"{kind[:-1]}_{object_id}"
        used = self.used.setdefault(f"{kind}:{scope}", set())
        while key in used:
            key = f"{key}_{object_id}"
        used.add(key)
        return key


def _by_key(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in items or []}


def _extras(snap: Mapping[str, Any] | None, *names: str) -> dict[str, Any]:
    return {n: snap[n] for n in names if snap and snap.get(n) is not None}


class _Exporter:
    def __init__(self, conn: Any, base_id: int, ids: IdMap, snapshot: dict[str, Any]) -> None:
        self.conn, self.base_id, self.snapshot = conn, base_id, snapshot
        self.keys = _Keys(ids)
        self.tables = schema.list_tables(conn, base_id)
        self.table_keys = {t.id: self.keys.key("tables", t.id, t.name) for t in self.tables}
        self.fields: dict[int, tuple[TableInfo, FieldInfo]] = {
            f.id: (t, f) for t in self.tables for f in t.fields}
        self.field_keys = {f.id: self.keys.key("fields", f.id, f.name, self.table_keys[t.id])
                           for t in self.tables for f in t.fields}
        self.snap_tables = _by_key(snapshot.get("tables"))

    def field_name(self, field_id: Any) -> Any:
        found = self.fields.get(field_id) if isinstance(field_id, int) else None
        return found[1].name if found else field_id

    def _snap_field(self, tkey: str, fkey: str) -> dict[str, Any] | None:
        table = self.snap_tables.get(tkey) or {}
        if (table.get("primary") or {}).get("key") == fkey:
            return table["primary"]
        return _by_key(table.get("fields")).get(fkey)

    def field(self, table: TableInfo, f: FieldInfo) -> dict[str, Any] | None:
        tkey, fkey = self.table_keys[table.id], self.field_keys[f.id]
        o = f.options
        if f.type == "link":
            if o.get("side") == "dst" and o.get("owner_field_id") in self.fields:
                return None  # exported as the owner's inverse_name
            options: dict[str, Any] = {"target": self.table_keys.get(o.get("target_table_id"),
                                                                     o.get("target_table_id")),
                                       "many": bool(o.get("many", True))}
            inverse = self.fields.get(o.get("inverse_field_id"))
            if inverse is not None:
                ikey = self.field_keys[inverse[1].id]
                options.update(inverse_name=inverse[1].name, inverse_key=ikey,
                               inverse_many=bool(inverse[1].options.get("many", True)))
                owner = self._snap_field(tkey, fkey) or {}
                if (owner.get("options") or {}).get("inverse_labels"):
                    options["inverse_labels"] = owner["options"]["inverse_labels"]
        elif f.type in ("lookup", "rollup"):
            link = self.fields.get(o.get("link_field_id"))
            options = {"link": link[1].name if link else None,
                       "field": self.field_name(o.get("target_field_id"))}
            if f.type == "rollup":
                options["function"] = o.get("function", "SUM")
        elif f.type == "formula":
            options = {"formula": o.get("formula") or ""}
        else:
            options = dict(o)
        snap = self._snap_field(tkey, fkey)
        return {"key": fkey, "name": f.name, "type": f.type, "options": options,
                **_extras(snap, "labels", "description")}

    def table(self, table: TableInfo) -> dict[str, Any]:
        tkey = self.table_keys[table.id]
        primary = table.primary_field
        assert primary is not None
        pkey = self.field_keys[primary.id]
        fields = [self.field(table, f) for f in table.fields if not f.is_primary]
        return {"key": tkey, "name": table.name,
                **_extras(self.snap_tables.get(tkey), "labels", "description"),
                "primary": {"key": pkey, "name": primary.name,
                            **_extras(self._snap_field(tkey, pkey), "labels", "description")},
                "fields": [f for f in fields if f is not None]}

    def filter(self, node: Any) -> Any:
        if not isinstance(node, Mapping):
            return node
        out = {k: ([self.filter(c) for c in v] if k in ("and", "or") else v)
               for k, v in node.items()}
        if "field" in node:
            out["field"] = self.field_name(node["field"])
        return out

    def views(self) -> list[dict[str, Any]]:
        snap = _by_key(self.snapshot.get("views"))
        rank = {key: n for n, key in enumerate(snap)}
        out = []
        live = [v for t in self.tables for v in schema.list_views(self.conn, t.id)]
        keyed = [(self.keys.key("views", v.id, v.name), v) for v in live]
        for key, v in sorted(keyed, key=lambda kv: (rank.get(kv[0], len(rank)), kv[1].id)):
            out.append({"key": key, "table": self.table_keys[v.table_id], "name": v.name,
                        "type": v.kind, **_extras(snap.get(key), "labels", "description"),
                        "filter": self.filter(v.filters) if v.filters else None,
                        "sort": [{**s, "field": self.field_name(s.get("field"))}
                                 for s in v.sorts],
                        **self.view_layout(v.kind, v.layout),
                        "hidden": [self.field_name(i) for i in v.hidden_fields]})
        return out

    def view_layout(self, kind: str, layout: Mapping[str, Any]) -> dict[str, Any]:
        """The layout with field names (the inverse of Translator.layout): one grouping field
        as itself, and a kanban's stack field left out when it is its only group_by."""
        groups = [self.field_name(i) for i in layout.get("group_by", [])]
        out: dict[str, Any] = {}
        if groups:
            out["group_by"] = groups[0] if len(groups) == 1 else groups
        stack = layout.get("stack_field")
        if stack is not None and not (kind == "kanban" and layout.get("group_by") == [stack]):
            out["stack_field"] = self.field_name(stack)
        if layout.get("date_field") is not None:
            out["date_field"] = self.field_name(layout["date_field"])
        if layout.get("row_height"):
            out["row_height"] = layout["row_height"]
        if layout.get("fields"):
            out["fields"] = [self.field_name(i) for i in layout["fields"]]
        return out

    def dashboards(self) -> list[dict[str, Any]]:
        snap = _by_key(self.snapshot.get("dashboards"))
        out = []
        for board in dashboards.list_dashboards(self.conn, self.base_id):
            key = self.keys.key("dashboards", board.id, board.name)
            widgets = []
            for w in board.widgets:
                widgets.append({
                    "type": w.get("type"), "title": w.get("title"),
                    "table": self.table_keys.get(w.get("table_id"), w.get("table_id")),
                    "view": self.keys.ids.key_of("views", w["view_id"]) if w.get("view_id") else None,
                    "group_by": self.field_name(w.get("group_by_field_id")),
                    "aggregate": w.get("aggregate"), "field": self.field_name(w.get("field_id")),
                    "order": w.get("order")})
            out.append({"key": key, "name": board.name,
                        **_extras(snap.get(key), "labels", "description"), "widgets": widgets})
        return out

    def automations(self) -> list[dict[str, Any]]:
        import tessera.workflow as wf

        snap = _by_key(self.snapshot.get("automations"))
        out = []
        for a in wf.list_automations(self.conn, self.base_id):
            key = self.keys.key("automations", a["id"], a["name"])
            out.append({"key": key, "name": a["name"],
                        "table": self.table_keys.get(a["table_id"]),
                        **_extras(snap.get(key), "labels", "description"),
                        "trigger": {"type": a["trigger_type"],
                                    "options": dict(a["trigger_options"] or {})},
                        "condition": a["condition"],
                        "actions": [self.action(x) for x in a["actions"] or []],
                        "enabled": bool(a["enabled"])})
        return out

    def roles(self) -> list[dict[str, Any]]:
        """The pack's roles with the rules and field permissions the base has now."""
        from tessera.packs.roles import live_role

        return [live_role(self.conn, self.keys.ids, r, self.table_keys)
                for r in self.snapshot.get("roles") or []]

    def action(self, action: Mapping[str, Any]) -> dict[str, Any]:
        options = dict(action.get("options") or {})
        if action.get("type") == "create_record" and isinstance(options.get("table"), int):
            options["table"] = self.table_keys.get(options["table"], options["table"])
        for arm in ("then", "else"):
            if isinstance(options.get(arm), list):
                options[arm] = [self.action(a) for a in options[arm]]
        return {**action, "options": options}


def export_base(bind: Bind, base_id: int, *, name: str | None = None,
                version: str | None = None) -> dict[str, Any]:
    """The live base as a normalized pack."""
    with transaction(bind) as conn:
        base = schema.get_base(conn, base_id)
        installed = load_installed(conn, base_id)
        snapshot = installed.snapshot if installed else {}
        ex = _Exporter(conn, base_id, installed.ids if installed else IdMap(), snapshot)
        slug = re.sub(r"[^a-z0-9_]+", "_", base.name.lower()).strip("_")
        raw = {"format": 1,
               "name": name or snapshot.get("name") or (slug if slug.isascii() and slug else "base"),
               "version": version or snapshot.get("version") or "0.1.0",
               **_extras(snapshot, "title", "description", "locales"),
               "tables": [ex.table(t) for t in ex.tables],
               "views": ex.views(), "dashboards": ex.dashboards(),
               "automations": ex.automations(), "roles": ex.roles(),
               **_extras(snapshot, "sample_data")}
    return normalize(raw)


def _without_default_keys(node: Any) -> Any:
    """``key`` is left out where it equals ``name`` (its default), so keys that are not
    identifiers (a Chinese name) are never written as explicit keys."""
    if isinstance(node, list):
        return [_without_default_keys(n) for n in node]
    if isinstance(node, dict):
        out = {k: _without_default_keys(v) for k, v in node.items()}
        if "key" in out and out.get("key") == out.get("name") and not _IDENT.fullmatch(str(out["key"])):
            del out["key"]
        if out.get("inverse_key") is not None and out.get("inverse_key") == out.get("inverse_name"):
            del out["inverse_key"]
        return out
    return node


def dump_pack(pack: Mapping[str, Any]) -> str:
    """The YAML text of a normalized pack."""
    return yaml.safe_dump(_without_default_keys(dict(pack)), allow_unicode=True,
                          sort_keys=False, width=100)


def write_pack(pack: Mapping[str, Any], out: str | Path) -> Path:
    """Write ``pack`` as ``OUT/pack.yaml`` (creating OUT); returns the file's path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PACK_FILE
    path.write_text(dump_pack(pack), encoding="utf-8")
    return path
