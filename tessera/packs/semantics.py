"""Reference checks a JSON Schema cannot express: unique keys and names, link targets,
lookup/rollup references, the fields views, dashboards and automations name, and view
filters checked by the query layer itself. Each finding is a positioned ``PackIssue``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tessera.errors import TesseraError
from tessera.fields import REGISTRY
from tessera.packs.errors import PackIssue
from tessera.packs.formulas import FormulaTyper
from tessera.packs.index import PackField, PackIndex, PackTable, Path_
from tessera.packs.source import PackSource

__all__ = ["reference_issues", "resolve_table_ref"]

_DEFAULT_OPTION_KEYS = {name: set(t.default_options()) for name, t in REGISTRY.items()}


class _Checker:
    def __init__(self, source: PackSource, pack: Mapping[str, Any], index: PackIndex,
                 typer: FormulaTyper) -> None:
        self.source, self.pack, self.index, self.typer = source, pack, index, typer
        self.issues: list[PackIssue] = []

    def add(self, path: Path_, en: str, zh: str, code: str = "pack.reference") -> None:
        self.issues.append(self.source.issue(path, en, zh, code))

    # --- helpers ------------------------------------------------------------------------
    def unique(self, items: Iterable[tuple[Path_, str]], what: str, what_zh: str,
               fold: bool = False) -> None:
        seen: dict[str, Path_] = {}
        for path, value in items:
            k = value.casefold() if fold else value
            if k in seen:
                self.add(path, f"duplicate {what} {value!r} (also at {_jp(seen[k])}); each "
                         f"{what} must be unique.", f"重复的{what_zh} {value!r}（另见 "
                         f"{_jp(seen[k])}）；{what_zh}必须唯一。", "pack.duplicate")
            else:
                seen[k] = path

    def table(self, path: Path_, key: Any) -> PackTable | None:
        table = self.index.table(key)
        if table is None:
            known = ", ".join(self.index.tables)
            self.add(path, f"unknown table key {key!r}; tables of this pack: {known}.",
                     f"未知的表键 {key!r}；本包的表：{known}。")
        return table

    def field(self, path: Path_, table: PackTable, ref: Any) -> PackField | None:
        f = table.field(ref)
        if f is None:
            known = ", ".join(x.name for x in table.fields)
            self.add(path, f"table {table.key!r} has no field {ref!r}; its fields: {known}.",
                     f"表 {table.key!r} 没有字段 {ref!r}；它的字段：{known}。")
        return f

    # --- tables and fields --------------------------------------------------------------
    def tables(self) -> None:
        tables = self.pack.get("tables", [])
        self.unique(((("tables", i, "key"), t["key"]) for i, t in enumerate(tables)), "table key", "表键")
        self.unique(((("tables", i, "name"), t["name"]) for i, t in enumerate(tables)),
                    "table name", "表名", fold=True)
        for table in self.index.tables.values():
            self.unique(((f.path + (("key",) if f.inverse_of is None else ()), f.key)
                         for f in table.fields), f"field key in table {table.key!r}",
                        f"表 {table.key!r} 的字段键")
            self.unique(((f.path + (("name",) if f.inverse_of is None else ()), f.name)
                         for f in table.fields), f"field name in table {table.key!r}",
                        f"表 {table.key!r} 的字段名", fold=True)
            for f in table.fields:
                if f.inverse_of is None and not f.is_primary:
                    self.field_options(table, f)

    def field_options(self, table: PackTable, f: PackField) -> None:
        opts = (*f.path, "options")
        if f.type == "link":
            self.table((*opts, "target"), f.options.get("target"))
        elif f.type in ("lookup", "rollup"):
            link = self.field((*opts, "link"), table, f.options.get("link"))
            if link is not None and link.type != "link":
                self.add((*opts, "link"), f"{link.name!r} is a {link.type} field; a {f.type} "
                         "needs a link field of its table.",
                         f"「{link.name}」是{link.type}字段；{f.type}需要本表的关联字段。")
            target = self.index.link_target(link) if link is not None else None
            if target is not None:
                self.field((*opts, "field"), target, f.options.get("field"))
        elif f.type in _DEFAULT_OPTION_KEYS:
            allowed = _DEFAULT_OPTION_KEYS[f.type]
            for key in f.options:
                if key not in allowed:
                    known = ", ".join(sorted(allowed)) or "none"
                    self.add((*opts, key), f"a {f.type} field takes no option {key!r}; its "
                             f"options: {known}.", f"{f.type} 字段没有选项 {key!r}；可用选项：{known}。",
                             "pack.option")

    # --- views --------------------------------------------------------------------------
    def views(self) -> None:
        views = self.pack.get("views", [])
        self.unique(((("views", i, "key"), v["key"]) for i, v in enumerate(views)), "view key", "视图键")
        for i, v in enumerate(views):
            base: Path_ = ("views", i)
            table = self.table((*base, "table"), v["table"])
            if table is None:
                continue
            for j, s in enumerate(v.get("sort", [])):
                self.field((*base, "sort", j, "field"), table, s["field"])
            for name in ("hidden", "fields"):
                for j, ref in enumerate(v.get(name, [])):
                    f = self.field((*base, name, j), table, ref)
                    if f is not None and f.is_primary and name == "hidden":
                        self.add((*base, name, j), "the primary field cannot be hidden.",
                                 "主字段不能隐藏。")
            group = v.get("group_by")
            if isinstance(group, list):
                for j, ref in enumerate(group):
                    self.field((*base, "group_by", j), table, ref)
            elif group:
                self.field((*base, "group_by"), table, group)
            self.layout_field(base, table, v, "stack_field", ("single_select",),
                              "a kanban stacks by a single select field",
                              "看板只能按单选字段分列")
            self.layout_field(base, table, v, "date_field", ("date", "datetime"),
                              "a calendar needs a date or datetime field",
                              "日历需要日期或日期时间字段")
            if v.get("filter"):
                self.view_filter((*base, "filter"), table, v["filter"])

    def layout_field(self, base: Path_, table: PackTable, view: Any, key: str,
                     types: tuple[str, ...], why_en: str, why_zh: str) -> None:
        """``stack_field`` / ``date_field``: the field exists and has the type the kind needs."""
        if view.get(key) is None:
            return
        f = self.field((*base, key), table, view[key])
        if f is not None and f.type not in types:
            self.add((*base, key), f"field {f.name!r} is a {f.type} field; {why_en}.",
                     f"字段「{f.name}」是 {f.type} 类型，{why_zh}。")

    def view_filter(self, path: Path_, table: PackTable, node: Any) -> None:
        """Field references first (positioned), then the operators through the query layer."""
        refs = list(_filter_fields(node, path))
        for ref_path, ref in refs:
            if self.field(ref_path, table, ref) is None:
                return
        from tessera.packs.fake_tables import fake_table
        from tessera.query import build_filter

        try:
            build_filter(fake_table(table, self.typer), node, dialect="sqlite")
        except TesseraError as exc:
            self.add(path, f"this filter is not valid: {exc.message_en}",
                     f"筛选条件无效：{exc.message_zh}", "pack.filter")

    # --- dashboards ---------------------------------------------------------------------
    def dashboards(self) -> None:
        dashboards = self.pack.get("dashboards", [])
        self.unique(((("dashboards", i, "key"), d["key"]) for i, d in enumerate(dashboards)),
                    "dashboard key", "仪表盘键")
        views = {v["key"]: v for v in self.pack.get("views", [])}
        for i, d in enumerate(dashboards):
            for j, w in enumerate(d.get("widgets", [])):
                base: Path_ = ("dashboards", i, "widgets", j)
                table = self.table((*base, "table"), w["table"])
                if table is None:
                    continue
                if w.get("view") and (views.get(w["view"]) or {}).get("table") != table.key:
                    self.add((*base, "view"), f"no view with key {w['view']!r} on table "
                             f"{table.key!r}.", f"表 {table.key!r} 上没有键为 {w['view']!r} 的视图。")
                for name in ("group_by", "field"):
                    if w.get(name):
                        self.field((*base, name), table, w[name])

    # --- automations --------------------------------------------------------------------
    def automations(self) -> None:
        from tessera.workflow.registry import ACTIONS, TRIGGERS, OptionsError, validate_options

        autos = self.pack.get("automations", [])
        self.unique(((("automations", i, "key"), a["key"]) for i, a in enumerate(autos)),
                    "automation key", "自动化键")
        for i, a in enumerate(autos):
            base: Path_ = ("automations", i)
            table = self.table((*base, "table"), a["table"]) if a.get("table") else None
            trigger = a["trigger"]
            spec = TRIGGERS.get(trigger["type"])
            tpath: Path_ = (*base, "trigger")
            if spec is None:
                self.add((*tpath, "type"), f"unknown trigger {trigger['type']!r}; known: "
                         f"{', '.join(sorted(TRIGGERS))}.", f"未知触发器 {trigger['type']!r}；可用："
                         f"{', '.join(sorted(TRIGGERS))}。", "pack.automation")
            else:
                try:
                    validate_options(f"trigger {spec.name}", spec.options_schema, trigger["options"])
                except OptionsError as exc:
                    self.add((*tpath, "options"), exc.message_en, exc.message_zh, "pack.automation")
            if table is None:
                if spec is not None and spec.needs_table and not a.get("table"):
                    self.add(base, "this trigger needs a table; add `table:` with a table key.",
                             "此触发器需要数据表，请添加 `table:`（表键）。", "pack.automation")
                continue
            topts = trigger["options"]
            for j, ref in enumerate(topts.get("fields") or []):
                self.field((*tpath, "options", "fields", j), table, ref)
            if isinstance(topts.get("field"), str):
                self.field((*tpath, "options", "field"), table, topts["field"])
            if isinstance(topts.get("formula"), str):
                self.typer.check_text((*tpath, "options", "formula"), topts["formula"], table)
            if a.get("condition"):
                self.typer.check_text((*base, "condition"), a["condition"], table)
            self.actions((*base, "actions"), a["actions"], table, ACTIONS, validate_options,
                         OptionsError)

    def actions(self, path: Path_, actions: Sequence[Mapping[str, Any]], table: PackTable,
                registry: Mapping[str, Any], validate: Any, options_error: type[Exception]) -> None:
        for j, action in enumerate(actions):
            apath: Path_ = (*path, j)
            spec = registry.get(action["type"])
            options = dict(action.get("options") or {})
            if spec is None:
                self.add((*apath, "type"), f"unknown action {action['type']!r}; known: "
                         f"{', '.join(sorted(registry))}.", f"未知动作 {action['type']!r}；可用："
                         f"{', '.join(sorted(registry))}。", "pack.automation")
                continue
            try:
                validate(f"action {spec.name}", spec.options_schema, options)
            except options_error as exc:
                self.add((*apath, "options"), exc.message_en, exc.message_zh,  # type: ignore[attr-defined]
                         "pack.automation")
                continue
            opath: Path_ = (*apath, "options")
            target = table
            if spec.name == "create_record":
                target = resolve_table_ref(self.index, options.get("table"))
                if target is None:
                    self.table((*opath, "table"), options.get("table"))
                    continue
            if spec.name == "update_record" and options.get("link"):
                link = self.field((*opath, "link"), table, options["link"])
                target = self.index.link_target(link) if link is not None else None
                if target is None:
                    continue
            for key in (options.get("values") or {}):
                self.field((*opath, "values", key), target, key)
            if spec.name in ("link_records", "unlink_records", "assign"):
                self.field((*opath, "field"), table, options.get("field"))
            if spec.name == "branch":
                self.typer.check_text((*opath, "condition"), options["condition"], table)
                for arm in ("then", "else"):
                    self.actions((*opath, arm), options.get(arm) or [], table, registry,
                                 validate, options_error)

    # --- roles --------------------------------------------------------------------------
    def roles(self) -> None:
        roles = self.pack.get("roles", [])
        self.unique(((("roles", i, "key"), r["key"]) for i, r in enumerate(roles)), "role key", "角色键")
        self.unique(((("roles", i, "role"), r["role"]) for i, r in enumerate(roles)),
                    "base role (each pack role owns one base role's rules)",
                    "基础角色（每个应用包角色对应一个基础角色的规则）")
        raw = self.source.data.get("roles") or []
        for i, r in enumerate(roles):
            spec = raw[i] if i < len(raw) and isinstance(raw[i], Mapping) else {}
            for j, key in enumerate(r.get("tables", [])):
                self.table(("roles", i, "tables", j), key)
            restricted = bool(r.get("row_rules") or r.get("field_permissions"))
            if r["role"] == "owner" and restricted:
                self.add(("roles", i, "role"), "owners see and change everything: an owner role "
                         "cannot have row rules or field permissions; use another base role.",
                         "所有者可查看和修改全部内容：所有者角色不能有行规则或字段权限，请改用其他基础角色。")
                continue
            for tkey, formula in (r.get("row_rules") or {}).items():
                if "row_rules" in spec:
                    path: Path_ = ("roles", i, "row_rules", tkey)
                else:
                    tables = list(spec.get("tables") or [])
                    path = ("roles", i, "tables", tables.index(tkey)) if tkey in tables else \
                        ("roles", i, "row_rule")
                table = self.table(path, tkey)
                if table is not None:
                    self.typer.check_rule(path if "row_rules" in spec else ("roles", i, "row_rule"),
                                          formula, table)
            for tkey, modes in (r.get("field_permissions") or {}).items():
                path = ("roles", i, "field_permissions", tkey)
                table = self.table(path, tkey)
                for ref in modes if table is not None else ():
                    f = self.field((*path, ref), table, ref)
                    ftype = REGISTRY.get(f.type) if f is not None else None
                    if modes[ref] == "editable" and ftype is not None and ftype.read_only:
                        self.add((*path, ref), f"field {ref!r} is computed, so nobody can edit "
                                 "it; make a plain field editable instead.",
                                 f"字段 {ref!r} 是计算字段，任何人都不能编辑；请把普通字段设为可编辑。",
                                 "pack.field_permission")

    # --- locale overlays ----------------------------------------------------------------
    def overlays(self) -> None:
        for lang, overlay in self.source.locales.items():
            for key in (overlay.get("tables") or {}):
                if key not in self.index.tables:
                    self.issues.append(PackIssue(f"locales/{lang}.yaml", 1, 1, f"$.tables.{key}",
                                                 f"unknown table key {key!r}.",
                                                 f"未知的表键 {key!r}。", "pack.reference"))


def resolve_table_ref(index: PackIndex, ref: Any) -> PackTable | None:
    """A table named in an automation (``create_record.table``): by key, then by name."""
    if not isinstance(ref, str):
        return None
    return index.table(ref) or next((t for t in index.tables.values() if t.name == ref), None)


def _filter_fields(node: Any, path: Path_) -> Iterable[tuple[Path_, Any]]:
    if not isinstance(node, Mapping):
        return
    for group in ("and", "or"):
        for i, child in enumerate(node.get(group) or []):
            yield from _filter_fields(child, (*path, group, i))
    if "field" in node:
        yield (*path, "field"), node["field"]


def _jp(path: Path_) -> str:
    from tessera.packs.errors import json_path

    return json_path(path)


def reference_issues(source: PackSource, pack: Mapping[str, Any], index: PackIndex,
                     typer: FormulaTyper) -> list[PackIssue]:
    checker = _Checker(source, pack, index, typer)
    checker.tables()
    checker.views()
    checker.dashboards()
    checker.automations()
    checker.roles()
    checker.overlays()
    return checker.issues
