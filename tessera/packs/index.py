"""A lookup structure over a normalized pack: tables by key, fields by name or key, the
inverse side of each link placed in its target table, and the JSON path of everything (so a
finding can be reported at its place in pack.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PackField", "PackTable", "PackIndex", "Path_"]

Path_ = tuple[str | int, ...]


@dataclass
class PackField:
    table: str  # table key
    key: str
    name: str
    type: str
    options: dict[str, Any]
    path: Path_
    is_primary: bool = False
    inverse_of: tuple[str, str] | None = None  # (table key, link key) of the owning link

    @property
    def ref(self) -> str:
        """``table_key.field_key``: the field's entry in an install's id map."""
        return f"{self.table}.{self.key}"


@dataclass
class PackTable:
    key: str
    name: str
    path: Path_
    fields: list[PackField] = field(default_factory=list)

    def field(self, ref: str | None) -> PackField | None:
        """By name (exact, then case-insensitive, like the storage layer), then by key."""
        if not isinstance(ref, str):
            return None
        text = ref.strip()
        for f in self.fields:
            if f.name == text:
                return f
        for f in self.fields:
            if f.name.casefold() == text.casefold():
                return f
        return next((f for f in self.fields if f.key == text), None)


@dataclass
class PackIndex:
    tables: dict[str, PackTable]

    @classmethod
    def build(cls, pack: Mapping[str, Any]) -> PackIndex:
        tables: dict[str, PackTable] = {}
        for ti, t in enumerate(pack.get("tables", [])):
            table = PackTable(t["key"], t["name"], ("tables", ti))
            p = t["primary"]
            table.fields.append(PackField(t["key"], p["key"], p["name"], "text", {},
                                          ("tables", ti, "primary"), is_primary=True))
            for fi, f in enumerate(t.get("fields", [])):
                table.fields.append(PackField(t["key"], f["key"], f["name"], f["type"],
                                              dict(f.get("options") or {}),
                                              ("tables", ti, "fields", fi)))
            tables.setdefault(t["key"], table)
        for table in list(tables.values()):
            for f in list(table.fields):
                target = tables.get(f.options.get("target")) if f.type == "link" else None
                if target is not None and f.options.get("inverse_name"):
                    target.fields.append(PackField(
                        target.key, f.options["inverse_key"], f.options["inverse_name"], "link",
                        {"target": table.key, "many": f.options.get("inverse_many", True)},
                        (*f.path, "options", "inverse_name"), inverse_of=(table.key, f.key)))
        return cls(tables)

    def table(self, key: str | None) -> PackTable | None:
        return self.tables.get(key) if isinstance(key, str) else None

    def link_target(self, f: PackField) -> PackTable | None:
        return self.table(f.options.get("target")) if f.type == "link" else None
