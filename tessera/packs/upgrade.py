"""``upgrade_pack``: apply a new version of a pack to a base users have changed, in one
transaction: the merge plan (merge.py) is carried out object by object, conflicts are kept as
the user has them and reported, record data survives (a field the pack removed that holds
data is kept unless ``prune``). Afterwards the new pack is the installed snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import dashboards
from tessera import schema_ops as schema
from tessera.fields import get_field_type
from tessera.packs.builder import Builder
from tessera.packs.errors import PackError
from tessera.packs.export import export_base
from tessera.packs.formulas import COMPUTED
from tessera.packs.index import PackField
from tessera.packs.install import as_validated
from tessera.packs.merge import Plan, PlanItem, merge
from tessera.packs.roles import apply_role, clear_role
from tessera.packs.source import PackSource
from tessera.packs.store import load_installed, save_installed
from tessera.packs.validate import ValidatedPack
from tessera.schema.catalog import Bind, FieldInfo, junction_table, sa_table, transaction

__all__ = ["UpgradeReport", "upgrade_pack"]

_VERB = {"add": ("add", "新增"), "update": ("update", "更新"), "remove": ("remove", "删除"),
         "keep": ("keep (holds data; use --prune to delete)", "保留（含数据；用 --prune 删除）"),
         "conflict": ("CONFLICT, kept as you have it", "冲突，保留您的版本"),
         "skipped": ("not applied: a link's target or cardinality cannot change; recreate the "
                     "link by hand", "未应用：关联字段的目标表或单/多选不能修改，请手动重建该关联")}


@dataclass
class UpgradeReport:
    pack: str
    from_version: str
    to_version: str
    dry_run: bool
    items: list[PlanItem] = field(default_factory=list)

    @property
    def conflicts(self) -> list[PlanItem]:
        return [i for i in self.items if i.action == "conflict"]

    def to_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "from_version": self.from_version,
                "to_version": self.to_version, "dry_run": self.dry_run,
                "items": [i.to_dict() for i in self.items],
                "conflicts": len(self.conflicts)}

    def render(self) -> str:
        head = (f"{'plan' if self.dry_run else 'upgraded'}: {self.pack} {self.from_version} → "
                f"{self.to_version} ({len(self.items)} change(s), {len(self.conflicts)} "
                f"conflict(s)){' — dry run, nothing changed / 试运行，未做修改' if self.dry_run else ''}")
        lines = [head]
        for i in self.items:
            en, zh = _VERB[i.action]
            lines.append(f"  {i.kind} {i.key}: {en} / {zh}")
            if i.action == "conflict":
                lines.append(f"    yours 您的版本: {json.dumps(i.ours, ensure_ascii=False)}")
                lines.append(f"    pack  新版本:   {json.dumps(i.theirs, ensure_ascii=False)}")
        return "\n".join(lines)


def _has_data(conn: Connection, live: FieldInfo) -> bool:
    if live.type in COMPUTED:
        return False
    if live.type == "link":
        junction, own, _ = junction_table(live)
        return conn.execute(sa.select(sa.func.count()).select_from(junction)).scalar_one() > 0
    if live.column is None or live.column == "id":
        return False
    table = sa_table(schema.get_table(conn, live.table_id))
    col = table.c[live.column]
    return conn.execute(sa.select(sa.func.count()).where(col.is_not(None))).scalar_one() > 0


def _with_existing_labels(conn: Connection, live: FieldInfo, new_type: str,
                          options: dict[str, Any]) -> dict[str, Any]:
    """A select the pack turns a field into keeps what users typed: labels already in the
    field that the pack's options lack become extra options (the type's own
    ``conversion_options``, as in a type change without options) instead of conversion
    rejects. Text → multi-select splits on , ; 、 and new lines."""
    new_ft = get_field_type(new_type)
    if new_type not in ("single_select", "multi_select") or not live.column:
        return options
    column = sa_table(schema.get_table(conn, live.table_id)).c[live.column]
    stored = conn.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars()
    values = [live.field_type.portable(v, live) for v in stored]
    return new_ft.conversion_options([v for v in values if v is not None],
                                     new_ft.normalize_options(options))


def _refresh_statistics(conn: Connection, base_id: int) -> None:
    """PostgreSQL: ANALYZE the base's tables and junctions before new lookups, rollups and
    formulas are computed over existing rows. Freshly loaded tables may have no statistics
    yet, and the planner then scans a junction once per record (20,000 customers: 60 s
    instead of 1 s, bench/RESULTS.md)."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    names = set()
    for table in schema.list_tables(conn, base_id):
        names.add(table.physical_name)
        names.update(f.junction for f in table.fields if f.junction)
    for name in sorted(names):
        conn.exec_driver_sql(f"ANALYZE {quote(name)}")


class _Applier:
    def __init__(self, conn: Connection, base_id: int, new: ValidatedPack, plan: Plan,
                 prune: bool, ids: Any) -> None:
        self.conn, self.new, self.plan, self.prune, self.ids = conn, new, plan, prune, ids
        self.b = Builder(conn, base_id, new.index, ids)
        self.spec = {kind: {x["key"]: x for x in new.pack.get(kind, [])}
                     for kind in ("tables", "views", "dashboards", "automations")}
        self.kept: list[PlanItem] = []
        self.skipped: list[PlanItem] = []

    def pack_field(self, key: str) -> PackField:
        table_key, field_key = key.split(".", 1)
        return next(f for f in self.new.index.tables[table_key].fields if f.key == field_key)

    def run(self) -> None:
        for item in self.plan.of("table", "add"):
            self.b.add_table(self.spec["tables"][item.key])
        for item in self.plan.of("table", "update"):
            schema.rename_table(self.conn, self.ids.tables[item.key], item.theirs["name"])
        adds = {i.key for i in self.plan.of("field", "add")}
        new_fields = [self.pack_field(k) for k in adds]
        self.b.add_fields([f for f in new_fields if f.inverse_of is None],
                          self.new.computed_order)
        order = {f.ref: n for n, f in enumerate(self.new.computed_order)}
        updates = sorted(self.plan.of("field", "update"), key=lambda i: order.get(i.key, -1))
        for item in updates:
            self.update_field(item)
        for table_key in {k.split(".", 1)[0] for k in adds}:
            self.b.order_fields(table_key)
        self.objects("view", "views", self.b.add_view, self.update_view, schema.delete_view)
        self.objects("dashboard", "dashboards", self.b.add_dashboard, self.update_dashboard,
                     dashboards.delete_dashboard)
        self.objects("automation", "automations", self.add_automation, self.update_automation,
                     self.delete_automation)
        self.roles()
        self.remove_fields()
        for item in self.plan.of("table", "remove"):
            table_id = self.ids.tables.pop(item.key)
            has_rows = self.conn.execute(sa.select(sa.func.count()).select_from(
                sa_table(schema.get_table(self.conn, table_id)))).scalar_one() > 0
            if has_rows and not self.prune:
                self.kept.append(PlanItem("table", item.key, "keep", item.ours, None))
                continue
            schema.delete_table(self.conn, table_id)

    # --- roles --------------------------------------------------------------------------
    def roles(self) -> None:
        """Added and updated roles get the new pack's rules; a removed role's rules go
        (conflicts are left as the admin has them)."""
        specs = {r["key"]: r for r in self.new.pack.get("roles", [])}
        for item in self.plan.of("role", "add") + self.plan.of("role", "update"):
            if item.ours is not None and item.ours.get("role") != specs[item.key]["role"]:
                clear_role(self.conn, self.ids, item.ours)
            apply_role(self.conn, self.ids, specs[item.key])
        for item in self.plan.of("role", "remove"):
            if item.ours is not None:
                clear_role(self.conn, self.ids, item.ours)

    # --- fields -------------------------------------------------------------------------
    def update_field(self, item: PlanItem) -> None:
        f = self.pack_field(item.key)
        fid = self.ids.fields[item.key]
        live = schema.get_field(self.conn, fid)
        if live.name != f.name:
            schema.rename_field(self.conn, fid, f.name)
        if f.type == "link" and f.inverse_of is None and item.ours is not None and \
                item.ours.get("options") != item.theirs.get("options"):
            # the storage layer cannot change a link's target or cardinality in place
            self.skipped.append(PlanItem("field", item.key, "skipped", item.ours, item.theirs))
        if f.inverse_of is not None or f.is_primary or f.type == "link":
            return
        table = self.new.index.tables[f.table]
        if f.type == "formula":
            options: dict[str, Any] = {"formula": self.b.tr.formula(table, f.options["formula"])}
        elif f.type in ("lookup", "rollup"):
            link = self.b.tr.pack_field(table, f.options["link"])
            target = self.new.index.link_target(link)
            assert target is not None
            options = {"link_field_id": self.b.tr.field_id(table, f.options["link"]),
                       "target_field_id": self.b.tr.field_id(target, f.options["field"])}
            if f.type == "rollup":
                options["function"] = f.options.get("function", "SUM")
        else:
            options = dict(f.options)
        if live.type != f.type:
            options = _with_existing_labels(self.conn, live, f.type, options)
            schema.change_field_type(self.conn, fid, f.type, options, actor="pack-upgrade")
        elif item.ours is None or item.ours.get("options") != item.theirs.get("options"):
            schema.update_field_options(self.conn, fid, options)

    def remove_fields(self) -> None:
        removals = self.plan.of("field", "remove")
        computed_first = sorted(removals, key=lambda i: (i.base or {}).get("type") not in COMPUTED)
        for item in computed_first:
            fid = self.ids.fields.pop(item.key, None)
            if fid is None or (item.base or {}).get("inverse_of"):
                continue  # an inverse side goes with its link
            try:
                live = schema.get_field(self.conn, fid)
            except Exception:  # already gone with its link pair
                continue
            if _has_data(self.conn, live) and not self.prune:
                self.kept.append(PlanItem("field", item.key, "keep", item.ours, None))
                continue
            schema.delete_field(self.conn, fid)

    # --- views, dashboards, automations -------------------------------------------------
    def objects(self, kind: str, plural: str, add: Any, update: Any, delete: Any) -> None:
        ids = getattr(self.ids, plural)
        for item in self.plan.of(kind, "add"):
            add(self.spec[plural][item.key])
        for item in self.plan.of(kind, "update"):
            update(ids[item.key], self.spec[plural][item.key])
        for item in self.plan.of(kind, "remove"):
            delete(self.conn, ids.pop(item.key))

    def update_view(self, view_id: int, spec: dict[str, Any]) -> None:
        live = self.b.tr.view(spec)
        schema.update_view(self.conn, view_id, name=live["name"], filters=live["filters"] or {},
                           sorts=live["sorts"], hidden_fields=live["hidden_fields"],
                           kind=live["kind"], layout=live["layout"])

    def update_dashboard(self, board_id: int, spec: dict[str, Any]) -> None:
        dashboards.update_dashboard(self.conn, board_id, name=spec["name"],
                                    widgets=[self.b.tr.widget(w) for w in spec["widgets"]])

    def add_automation(self, spec: dict[str, Any]) -> None:
        import tessera.workflow as wf

        aid = self.b.add_automation(spec)
        if spec.get("enabled"):
            wf.enable_automation(self.conn, aid)

    def update_automation(self, aid: int, spec: dict[str, Any]) -> None:
        import tessera.workflow as wf

        live = self.b.tr.automation(spec)
        current = wf.get_automation(self.conn, aid)
        wf.update_automation(self.conn, aid, name=live["name"], trigger=live["trigger"],
                             actions=live["actions"], condition=live["condition"] or "")
        if spec.get("enabled") and not current["enabled"]:
            wf.enable_automation(self.conn, aid)
        elif not spec.get("enabled") and current["enabled"]:
            wf.disable_automation(self.conn, aid)

    def delete_automation(self, conn: Connection, aid: int) -> None:
        import tessera.workflow as wf

        wf.delete_automation(conn, aid)


def upgrade_pack(bind: Bind, pack: ValidatedPack | PackSource | str | Path, base_id: int, *,
                 dry_run: bool = False, prune: bool = False) -> UpgradeReport:
    """Upgrade the pack installed in ``base_id`` to ``pack`` (see docs/packs.md)."""
    new = as_validated(pack)
    with transaction(bind) as conn:
        installed = load_installed(conn, base_id)
        if installed is None:
            raise PackError("This base was not installed from a pack, so there is nothing to "
                            "upgrade; install the pack into a new base instead.",
                            "此数据库不是由应用包安装的，无法升级；请把应用包安装到新的数据库。",
                            code="pack.not_installed")
        if installed.name != new.pack["name"]:
            raise PackError(f"This base has pack {installed.name!r}, not {new.pack['name']!r}.",
                            f"此数据库安装的是应用包 {installed.name!r}，而不是 {new.pack['name']!r}。",
                            code="pack.other_pack")
        ours = export_base(conn, base_id)
        plan = merge(installed.snapshot, new.pack, ours)
        report = UpgradeReport(new.pack["name"], installed.version, new.pack["version"],
                               dry_run, list(plan.items))
        if dry_run:
            return report
        _refresh_statistics(conn, base_id)
        applier = _Applier(conn, base_id, new, plan, prune, installed.ids)
        applier.run()
        replaced = {(k.kind, k.key) for k in applier.kept + applier.skipped}
        report.items = [i for i in report.items if (i.kind, i.key) not in replaced] + \
            applier.kept + applier.skipped
        save_installed(conn, base_id, new.pack, installed.ids)
        return report
