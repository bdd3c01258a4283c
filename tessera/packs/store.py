"""The installed-pack record of a base: the normalized pack as installed (the "base" of an
upgrade's three-way merge) and the id map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.fields.sqltypes import utcnow
from tessera.packs.idmap import IdMap
from tessera.packs.models import INSTALLED_PACKS

__all__ = ["InstalledPack", "load_installed", "save_installed"]


@dataclass(frozen=True)
class InstalledPack:
    base_id: int
    name: str
    version: str
    snapshot: dict[str, Any]
    ids: IdMap


def load_installed(conn: Connection, base_id: int) -> InstalledPack | None:
    row = conn.execute(sa.select(INSTALLED_PACKS).where(INSTALLED_PACKS.c.base_id == base_id)).first()
    if row is None:
        return None
    return InstalledPack(row.base_id, row.name, row.version, dict(row.snapshot),
                         IdMap.from_json(row.id_map))


def save_installed(conn: Connection, base_id: int, pack: dict[str, Any], ids: IdMap) -> None:
    now = utcnow()
    values = {"name": pack["name"], "version": pack["version"], "snapshot": pack,
              "id_map": ids.to_json(), "updated_at": now}
    done = conn.execute(sa.update(INSTALLED_PACKS).where(INSTALLED_PACKS.c.base_id == base_id)
                        .values(**values)).rowcount
    if not done:
        conn.execute(sa.insert(INSTALLED_PACKS).values(base_id=base_id, installed_at=now, **values))
