"""Bases: list, create, get, rename, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from tessera import schema_ops as schema
from tessera.api.spec import Call


def list_bases(call: Call) -> list[dict[str, Any]]:
    return [asdict(b) for b in schema.list_bases(call.engine)]


def create_base(call: Call) -> dict[str, Any]:
    return asdict(schema.create_base(call.engine, call.body["name"]))


def get_base(call: Call) -> dict[str, Any]:
    return asdict(schema.get_base(call.engine, call.path["base_id"]))


def rename_base(call: Call) -> dict[str, Any]:
    return asdict(schema.rename_base(call.engine, call.path["base_id"], call.body["name"]))


def delete_base(call: Call) -> None:
    schema.delete_base(call.engine, call.path["base_id"])
