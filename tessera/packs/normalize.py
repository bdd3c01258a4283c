"""The normalized pack: the one shape every pack operation works on.

Defaults are filled in (``key`` from ``name``, ``many: true``, ``direction: asc``, a field
type's default options…), locale overlays are folded into ``labels``, and empty optional keys
are dropped, so two packs describing the same schema are equal as data. The installed
snapshot, the export and the upgrade's three-way merge all use this shape."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from tessera.fields import REGISTRY

__all__ = ["normalize", "compact", "PLAIN_OPTION_TYPES", "field_key", "fields_of"]

# options that are produced by the engine, never written in a pack
_SKIP_OPTIONS = {"expression", "result_type", "volatile", "clock_date", "broken"}


def compact(obj: dict[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
    """``obj`` without None / empty values (except the keys in ``keep``)."""
    kept = set(keep)
    return {k: v for k, v in obj.items() if k in kept or v not in (None, {}, [], "")}


def field_key(spec: Mapping[str, Any]) -> str:
    return str(spec.get("key") or spec.get("name"))


PLAIN_OPTION_TYPES = frozenset(t for t in REGISTRY
                               if t not in ("link", "lookup", "rollup", "formula"))


def _options(kind: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    opts = dict(options or {})
    if kind == "link":
        out = {"target": opts.get("target"), "many": bool(opts.get("many", True))}
        if opts.get("inverse_name"):
            out.update(inverse_name=opts["inverse_name"],
                       inverse_key=opts.get("inverse_key") or opts["inverse_name"],
                       inverse_many=bool(opts.get("inverse_many", True)))
            if opts.get("inverse_labels"):
                out["inverse_labels"] = dict(opts["inverse_labels"])
        return out
    if kind == "lookup":
        return {"link": opts.get("link"), "field": opts.get("field")}
    if kind == "rollup":
        return {"link": opts.get("link"), "field": opts.get("field"),
                "function": str(opts.get("function") or "SUM").upper()}
    if kind == "formula":
        return {"formula": str(opts.get("formula") or "").strip()}
    field_type = REGISTRY.get(kind)
    merged = field_type.normalize_options(opts) if field_type else opts
    return {k: v for k, v in merged.items() if k not in _SKIP_OPTIONS}


def _field(spec: Mapping[str, Any], lang_labels: dict[str, str]) -> dict[str, Any]:
    key = field_key(spec)
    labels = dict(spec.get("labels") or {})
    for lang, names in lang_labels.items():
        labels.setdefault(lang, names)
    return compact({"key": key, "name": spec.get("name"), "type": spec.get("type"),
                    "labels": labels, "options": _options(str(spec.get("type")), spec.get("options")),
                    "description": spec.get("description")}, keep=("key", "name", "type"))


def _overlay_labels(locales: Mapping[str, Mapping[str, Any]], *path: str) -> dict[str, str]:
    """{lang: label} for one object from the locale overlays (``tables.customers.label``…)."""
    found: dict[str, str] = {}
    for lang, overlay in locales.items():
        node: Any = overlay
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            node = node.get("label")
        if isinstance(node, str):
            found[lang] = node
    return found


def _labels(spec: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, str]:
    labels = dict(spec.get("labels") or {})
    for lang, text in extra.items():
        labels.setdefault(lang, text)
    return labels


def _table(spec: Mapping[str, Any], locales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    key = field_key(spec)
    primary = dict(spec.get("primary") or {})
    pkey = field_key(primary)
    fields = []
    for f in spec.get("fields") or []:
        fields.append(_field(f, _overlay_labels(locales, "tables", key, "fields", field_key(f))))
    return compact({
        "key": key, "name": spec.get("name"),
        "labels": _labels(spec, _overlay_labels(locales, "tables", key)),
        "description": spec.get("description"),
        "primary": compact({"key": pkey, "name": primary.get("name"), "type": "text",
                            "labels": _labels(primary, _overlay_labels(
                                locales, "tables", key, "fields", pkey)),
                            "description": primary.get("description")}, keep=("key", "name")),
        "fields": fields}, keep=("key", "name", "primary", "fields"))


def _view(spec: Mapping[str, Any], locales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    key = field_key(spec)
    sort = [{"field": s.get("field"), "direction": s.get("direction") or "asc"}
            for s in spec.get("sort") or []]
    return compact({"key": key, "table": spec.get("table"), "name": spec.get("name"),
                    "type": spec.get("type") or "grid",
                    "labels": _labels(spec, _overlay_labels(locales, "views", key)),
                    "description": spec.get("description"), "filter": spec.get("filter"),
                    "sort": sort, "group_by": _group_by(spec.get("group_by")),
                    "stack_field": spec.get("stack_field"), "date_field": spec.get("date_field"),
                    "row_height": spec.get("row_height"),
                    "hidden": list(spec.get("hidden") or []),
                    "fields": list(spec.get("fields") or [])},
                   keep=("key", "table", "name", "type"))


def _group_by(value: Any) -> Any:
    """One grouping field is written as the field itself, several as a list."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _widget(spec: Mapping[str, Any]) -> dict[str, Any]:
    return compact({"type": spec.get("type"), "title": spec.get("title"),
                    "table": spec.get("table"), "view": spec.get("view"),
                    "group_by": spec.get("group_by"),
                    "aggregate": spec.get("aggregate") or "count", "field": spec.get("field"),
                    "order": list(spec.get("order") or [])}, keep=("type", "table", "aggregate"))


def _dashboard(spec: Mapping[str, Any], locales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    key = field_key(spec)
    return compact({"key": key, "name": spec.get("name"),
                    "labels": _labels(spec, _overlay_labels(locales, "dashboards", key)),
                    "description": spec.get("description"),
                    "widgets": [_widget(w) for w in spec.get("widgets") or []]},
                   keep=("key", "name", "widgets"))


def _action(spec: Mapping[str, Any]) -> dict[str, Any]:
    return compact({"type": spec.get("type"), "name": spec.get("name"),
                    "options": dict(spec.get("options") or {}), "retries": spec.get("retries")},
                   keep=("type", "options"))


def _automation(spec: Mapping[str, Any], locales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    key = field_key(spec)
    trigger = dict(spec.get("trigger") or {})
    return compact({"key": key, "name": spec.get("name"), "table": spec.get("table"),
                    "labels": _labels(spec, _overlay_labels(locales, "automations", key)),
                    "description": spec.get("description"),
                    "trigger": {"type": trigger.get("type"),
                                "options": dict(trigger.get("options") or {})},
                    "condition": (spec.get("condition") or "").strip() or None,
                    "actions": [_action(a) for a in spec.get("actions") or []],
                    "enabled": bool(spec.get("enabled", False))},
                   keep=("key", "name", "trigger", "actions", "enabled"))


def _role(spec: Mapping[str, Any], locales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``row_rule`` + ``tables`` (one rule on several tables) becomes ``row_rules`` per table;
    ``tables`` without a rule is kept as written (documentation of the role's tables)."""
    key = field_key(spec)
    tables = list(spec.get("tables") or [])
    rules = {**({t: spec["row_rule"] for t in tables} if spec.get("row_rule") else {}),
             **dict(spec.get("row_rules") or {})}
    perms = {t: dict(m) for t, m in (spec.get("field_permissions") or {}).items() if m}
    return compact({"key": key, "name": spec.get("name"), "role": spec.get("role"),
                    "labels": _labels(spec, _overlay_labels(locales, "roles", key)),
                    "description": spec.get("description"),
                    "tables": [] if spec.get("row_rule") else tables,
                    "row_rules": rules, "field_permissions": perms},
                   keep=("key", "name", "role"))


def normalize(data: Mapping[str, Any],
              locales: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The normalized form of a (schema-valid) pack's data."""
    data = copy.deepcopy(dict(data))
    loc = locales or {}
    return compact({
        "format": data.get("format", 1), "name": data.get("name"),
        "version": str(data.get("version")), "title": data.get("title"),
        "description": data.get("description"), "locales": list(data.get("locales") or []),
        "tables": [_table(t, loc) for t in data.get("tables") or []],
        "views": [_view(v, loc) for v in data.get("views") or []],
        "dashboards": [_dashboard(d, loc) for d in data.get("dashboards") or []],
        "automations": [_automation(a, loc) for a in data.get("automations") or []],
        "roles": [_role(r, loc) for r in data.get("roles") or []],
        "sample_data": data.get("sample_data")},
        keep=("format", "name", "version", "tables"))


def fields_of(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The primary field (as a text field) followed by the table's declared fields."""
    primary = {**table["primary"], "type": "text"}
    return [primary, *table.get("fields", [])]
