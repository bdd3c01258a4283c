"""The three-way merge of an upgrade, per object (table, field, view, dashboard, automation),
matched by key: base = the installed snapshot, theirs = the new pack, ours = the live base
exported. Pure data in, a plan out; ``upgrade.py`` applies it.

Objects are compared in a *keyed form*: field references inside formulas, lookups, filters,
sorts and widgets are replaced by field keys, so a user renaming a field is an edit of that
field only, not of every formula that reads it. Labels and descriptions are documentation
and always follow the new pack."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.compute.references import rewrite
from tessera.formula.errors import FormulaError
from tessera.packs.index import PackIndex, PackTable

__all__ = ["PlanItem", "Plan", "merge", "keyed_forms", "KIND_ORDER"]

KIND_ORDER = ("table", "field", "view", "dashboard", "automation", "role")


@dataclass(frozen=True)
class PlanItem:
    """One decision. ``action``: add, update, remove, keep (removed by the pack but kept:
    it holds data), conflict (kept as the user has it), skipped (a change the storage layer
    cannot make, such as a link's target). Objects the pack did not change are not listed.
    ``ours``/``theirs`` are the keyed forms of both sides (for conflicts)."""

    kind: str
    key: str
    action: str
    ours: Any = None
    theirs: Any = None
    base: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "action": self.action,
                "ours": self.ours, "theirs": self.theirs}


@dataclass
class Plan:
    items: list[PlanItem] = field(default_factory=list)

    def of(self, kind: str, action: str) -> list[PlanItem]:
        return [i for i in self.items if i.kind == kind and i.action == action]

    @property
    def conflicts(self) -> list[PlanItem]:
        return [i for i in self.items if i.action == "conflict"]


class _Keyer:
    """Replaces field names by ``@key`` in one pack's references."""

    def __init__(self, index: PackIndex) -> None:
        self.index = index

    def ref(self, table: PackTable | None, name: Any) -> Any:
        f = table.field(name) if table is not None else None
        return "@" + f.key if f is not None else name

    def formula(self, table: PackTable | None, text: str) -> str:
        if table is None or not text:
            return text

        def own(t: PackTable) -> Callable[[str], str]:
            return lambda n: str(self.ref(t, n))

        def link(name: str) -> tuple[str, Callable[[str], str]]:
            f = table.field(name)
            target = self.index.link_target(f) if f is not None else None
            return str(self.ref(table, name)), own(target) if target else (lambda n: n)

        try:
            return rewrite(text, own(table), link)
        except FormulaError:
            return text

    def filter(self, table: PackTable | None, node: Any) -> Any:
        if not isinstance(node, Mapping):
            return node
        out = {k: ([self.filter(table, c) for c in v] if k in ("and", "or") else v)
               for k, v in node.items()}
        if "field" in node:
            out["field"] = self.ref(table, node["field"])
        return out


def _field_form(k: _Keyer, table: PackTable, spec: Mapping[str, Any]) -> dict[str, Any]:
    opts = dict(spec.get("options") or {})
    kind = spec["type"]
    if kind == "formula":
        opts["formula"] = k.formula(table, opts.get("formula", ""))
    elif kind in ("lookup", "rollup"):
        link = table.field(opts.get("link"))
        target = k.index.link_target(link) if link is not None else None
        opts["link"] = k.ref(table, opts.get("link"))
        opts["field"] = k.ref(target, opts.get("field"))
    elif kind == "link":
        opts.pop("inverse_name", None)  # the inverse field is an object of its own
        opts.pop("inverse_labels", None)
    return {"name": spec["name"], "type": kind, "options": opts}


def keyed_forms(pack: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    """{(kind, key): comparable form} for every object of a normalized pack."""
    index = PackIndex.build(pack)
    k = _Keyer(index)
    forms: dict[tuple[str, str], Any] = {}
    for t in pack.get("tables", []):
        table = index.tables[t["key"]]
        forms[("table", t["key"])] = {"name": t["name"]}
        forms[("field", f"{t['key']}.{t['primary']['key']}")] = {
            "name": t["primary"]["name"], "type": "text", "options": {}, "primary": True}
        for f in t.get("fields", []):
            forms[("field", f"{t['key']}.{f['key']}")] = _field_form(k, table, f)
            if f["type"] == "link" and f.get("options", {}).get("inverse_name"):
                o = f["options"]
                forms[("field", f"{o['target']}.{o['inverse_key']}")] = {
                    "name": o["inverse_name"], "type": "link", "inverse_of": f"{t['key']}.{f['key']}",
                    "options": {"target": t["key"], "many": o.get("inverse_many", True)}}
    for v in pack.get("views", []):
        table = index.table(v["table"])
        forms[("view", v["key"])] = {
            "table": v["table"], "name": v["name"], "type": v.get("type", "grid"),
            "filter": k.filter(table, v.get("filter")),
            "sort": [{"field": k.ref(table, s["field"]), "direction": s["direction"]}
                     for s in v.get("sort", [])],
            "group_by": _keyed_group(k, table, v.get("group_by")),
            **{n: k.ref(table, v[n]) if v.get(n) else None
               for n in ("stack_field", "date_field")},
            "row_height": v.get("row_height"),
            "hidden": [k.ref(table, h) for h in v.get("hidden", [])],
            "fields": [k.ref(table, h) for h in v.get("fields", [])]}
    for d in pack.get("dashboards", []):
        widgets = []
        for w in d.get("widgets", []):
            table = index.table(w.get("table"))
            widgets.append({**w, **{n: k.ref(table, w[n]) for n in ("group_by", "field")
                                    if w.get(n)}})
        forms[("dashboard", d["key"])] = {"name": d["name"], "widgets": widgets}
    for a in pack.get("automations", []):
        forms[("automation", a["key"])] = {
            **{n: a.get(n) for n in ("name", "table", "trigger", "condition", "enabled")},
            "actions": [_keyed_action(index, x) for x in a.get("actions", [])]}
    for r in pack.get("roles", []):
        forms[("role", r["key"])] = _role_form(k, r)
    return forms


def _role_form(k: _Keyer, role: Mapping[str, Any]) -> dict[str, Any]:
    """What an admin can change on a live pack role: its rules and field permissions (field
    references by key, so a rename is not an edit)."""
    rules = {t: k.formula(k.index.table(t), f) for t, f in (role.get("row_rules") or {}).items()}
    perms = {t: {str(k.ref(k.index.table(t), ref)): mode for ref, mode in modes.items()}
             for t, modes in (role.get("field_permissions") or {}).items()}
    return {"name": role["name"], "role": role["role"], "row_rules": rules,
            "field_permissions": perms}


def _keyed_group(k: _Keyer, table: PackTable | None, group: Any) -> Any:
    """A view's ``group_by`` (one field or a list) with field names replaced by keys."""
    if isinstance(group, list):
        return [k.ref(table, g) for g in group]
    return k.ref(table, group) if group else None


def _keyed_action(index: PackIndex, action: Mapping[str, Any]) -> dict[str, Any]:
    """``create_record``'s table by key (a pack may name it by key or by name)."""
    from tessera.packs.semantics import resolve_table_ref

    options = dict(action.get("options") or {})
    if action.get("type") == "create_record":
        table = resolve_table_ref(index, options.get("table"))
        if table is not None:
            options["table"] = table.key
    for arm in ("then", "else"):
        if isinstance(options.get(arm), list):
            options[arm] = [_keyed_action(index, a) for a in options[arm]]
    return {**action, "options": options}


def merge(base: Mapping[str, Any], theirs: Mapping[str, Any], ours: Mapping[str, Any]) -> Plan:
    b, t, o = keyed_forms(base), keyed_forms(theirs), keyed_forms(ours)
    plan = Plan()
    keys = sorted(set(b) | set(t) | set(o),
                  key=lambda kk: (KIND_ORDER.index(kk[0]), kk[1]))
    for kind, key in keys:
        bv, tv, ov = b.get((kind, key)), t.get((kind, key)), o.get((kind, key))
        if tv == bv or tv == ov:
            continue  # the pack did not change it, or the user already has the new version
        if ov == bv:
            action = "add" if bv is None else ("remove" if tv is None else "update")
        else:
            action = "conflict"
        plan.items.append(PlanItem(kind, key, action, ov, tv, bv))
    return plan
