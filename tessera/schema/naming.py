"""Physical names of user data, derived from stable ids only (never from labels)."""

from __future__ import annotations

__all__ = ["table_name", "column_name", "junction_name", "index_name"]


def table_name(table_id: int) -> str:
    return f"t_{int(table_id)}"


def column_name(field_id: int) -> str:
    return f"f_{int(field_id)}"


def junction_name(owner_field_id: int) -> str:
    return f"l_{int(owner_field_id)}"


def index_name(table_id: int, columns: list[str]) -> str:
    return f"ix_t{int(table_id)}__" + "__".join(columns)
