"""``install``: a validated pack → a new base, in one transaction (all or nothing).

Order: base, tables, fields (links after plain fields, computed fields in dependency order),
views, dashboards, automations (off), sample data, then the automations the pack marks
``enabled`` are switched on — so sample records only set their "becomes true" baselines —,
the pack's roles become the base's access rules (row rules, field permissions:
tessera.packs.roles), and finally the installed snapshot and id map are stored for upgrades."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.packs.builder import Builder
from tessera.packs.errors import PackError
from tessera.packs.idmap import IdMap
from tessera.packs.roles import apply_role
from tessera.packs.source import PackSource, load_pack
from tessera.packs.store import save_installed
from tessera.packs.validate import ValidatedPack, validate
from tessera.schema.catalog import B, Bind, transaction

__all__ = ["InstallResult", "SampleReport", "install", "as_validated"]


@dataclass(frozen=True)
class SampleReport:
    generator: str | None
    count: int
    loaded: bool
    note_en: str = ""
    note_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"generator": self.generator, "count": self.count, "loaded": self.loaded,
                "note": self.note_en, "note_zh": self.note_zh}


@dataclass
class InstallResult:
    """What an install created. Sample-data generators receive it (``table_id``/``field_id``
    look objects up by pack key)."""

    base_id: int
    base_name: str
    pack_name: str
    version: str
    ids: IdMap
    sample: SampleReport | None = None
    pack: dict[str, Any] = field(default_factory=dict, repr=False)

    def table_id(self, table_key: str) -> int:
        return self.ids.tables[table_key]

    def field_id(self, table_key: str, field_key: str) -> int:
        return self.ids.fields[f"{table_key}.{field_key}"]

    def to_dict(self) -> dict[str, Any]:
        return {"base_id": self.base_id, "base_name": self.base_name, "pack": self.pack_name,
                "version": self.version, **self.ids.to_json(),
                "sample": self.sample.to_dict() if self.sample else None}


def as_validated(pack: ValidatedPack | PackSource | str | Path) -> ValidatedPack:
    if isinstance(pack, ValidatedPack):
        return pack
    return validate(pack if isinstance(pack, PackSource) else load_pack(pack))


def _sample_spec(pack: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return pack.get("sample_data")


def _load_sample(conn: sa.Connection, result: InstallResult, count: int | None, seed: int | None,
                 options: Mapping[str, Any]) -> SampleReport | None:
    spec = _sample_spec(result.pack)
    if count is None:
        return None
    if not spec:
        return SampleReport(None, 0, False, "This pack declares no sample data.",
                            "此应用包未提供示例数据。")
    count = int(spec.get("default", 100)) if count < 0 else count
    if count == 0:
        return SampleReport(spec["generator"], 0, False, "No sample records were requested.",
                            "未要求生成示例数据。")
    try:
        from tessera.samples import get_generator  # type: ignore[import-not-found]
    except ImportError:
        return SampleReport(spec["generator"], 0, False,
                            "Installed without sample data: the sample-data registry "
                            "(tessera.samples) is not available in this version.",
                            "已安装，但未生成示例数据：此版本没有示例数据注册表（tessera.samples）。")
    try:
        generator = get_generator(spec["generator"])
    except (KeyError, LookupError):
        return SampleReport(spec["generator"], 0, False,
                            f"Installed without sample data: no generator named "
                            f"{spec['generator']!r} is registered.",
                            f"已安装，但未生成示例数据：没有名为 {spec['generator']!r} 的生成器。")
    generator(conn, result, count, seed, {**(spec.get("options") or {}), **options})
    return SampleReport(spec["generator"], count, True)


def install(bind: Bind, pack: ValidatedPack | PackSource | str | Path, base_name: str, *,
            sample: int | None = None, seed: int | None = None,
            sample_options: Mapping[str, Any] | None = None) -> InstallResult:
    """Install ``pack`` into a new base named ``base_name``.

    ``sample``: None → no sample data; a negative number → the pack's default count. Sample
    generators get the install's Connection (write through it: a failure rolls back all)."""
    import tessera.workflow as wf

    validated = as_validated(pack)
    npack = validated.pack
    with transaction(bind) as conn:
        existing = conn.execute(sa.select(B.c.id).where(B.c.name == base_name.strip())).first()
        if existing is not None:
            raise PackError(f"A base named {base_name!r} already exists; choose another name, "
                            "or use `tessera pack upgrade` to update it.",
                            f"已存在名为 {base_name!r} 的数据库；请换一个名称，或用 "
                            "`tessera pack upgrade` 升级它。", code="pack.base_exists")
        base = schema.create_base(conn, base_name)
        ids = IdMap()
        builder = Builder(conn, base.id, validated.index, ids)
        for table in npack["tables"]:
            builder.add_table(table)
        all_fields = [f for t in validated.index.tables.values() for f in t.fields]
        builder.add_fields(all_fields, validated.computed_order)
        for key in validated.index.tables:
            builder.order_fields(key)
        for view in npack.get("views", []):
            builder.add_view(view)
        for board in npack.get("dashboards", []):
            builder.add_dashboard(board)
        for auto in npack.get("automations", []):
            builder.add_automation(auto)
        result = InstallResult(base.id, base.name, npack["name"], npack["version"], ids,
                               pack=npack)
        result.sample = _load_sample(conn, result, sample, seed, sample_options or {})
        for auto in npack.get("automations", []):
            if auto.get("enabled"):
                wf.enable_automation(conn, ids.automations[auto["key"]])
        for role in npack.get("roles", []):
            apply_role(conn, ids, role)
        save_installed(conn, base.id, npack, ids)
        return result
