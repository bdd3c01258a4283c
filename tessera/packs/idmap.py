"""The map from pack keys to the ids of live objects, stored with an installed pack.

Fields are keyed ``table_key.field_key``; the inverse side of a link is a field of its
target table under its ``inverse_key``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["IdMap", "KINDS"]

KINDS = ("tables", "fields", "views", "dashboards", "automations")


@dataclass
class IdMap:
    tables: dict[str, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    dashboards: dict[str, int] = field(default_factory=dict)
    automations: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {k: dict(getattr(self, k)) for k in KINDS}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> IdMap:
        data = data or {}
        return cls(**{k: {str(a): int(b) for a, b in (data.get(k) or {}).items()} for k in KINDS})

    def key_of(self, kind: str, object_id: int) -> str | None:
        return next((k for k, v in getattr(self, kind).items() if v == object_id), None)
