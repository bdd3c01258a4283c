"""Bases: list, create, get, rename, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from tessera import schema_ops as schema
from tessera.access.api_views import adopt_base, principal_of, visible_bases
from tessera.api.spec import Call


def list_bases(call: Call) -> list[dict[str, Any]]:
    bases = schema.list_bases(call.engine)
    return [asdict(b) for b in visible_bases(call.engine, principal_of(call), bases)]


def create_base(call: Call) -> dict[str, Any]:
    with call.engine.begin() as conn:
        base = schema.create_base(conn, call.body["name"])
        adopt_base(conn, principal_of(call), base.id)
        return asdict(base)


def get_base(call: Call) -> dict[str, Any]:
    return asdict(schema.get_base(call.engine, call.path["base_id"]))


def rename_base(call: Call) -> dict[str, Any]:
    return asdict(schema.rename_base(call.engine, call.path["base_id"], call.body["name"]))


def delete_base(call: Call) -> None:
    from tessera import trash

    trash.delete_base(call.engine, call.path["base_id"], principal=principal_of(call))
