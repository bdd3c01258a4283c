"""Relational and computed field types: link, lookup, rollup, autonumber, created/modified
time, formula. Lookup/rollup/formula values are written by the formula integration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from tessera.fields.base import VALUE_KINDS, FieldLike, FieldType, ReadOnlyType, json_for_kind
from tessera.fields.parsing import normalize

__all__ = ["LinkType", "LookupType", "RollupType", "AutonumberType", "CreatedTimeType",
           "ModifiedTimeType", "FormulaType", "SYSTEM_COLUMNS", "has_error_column",
           "error_column_name"]

SYSTEM_COLUMNS = {"autonumber": "id", "created_time": "created_at", "modified_time": "updated_at"}


class LinkType(FieldType):
    """Links to records of another table through a junction ``l_<owner field id>``.

    Options: target_table_id, many (bool), inverse_field_id (or None), owner_field_id (the field
    whose junction is used), side ("src" for the owner, "dst" for its inverse)."""

    name = "link"
    label_en, label_zh = "Link to records", "关联记录"
    kind = "list"
    sortable = False

    def default_options(self) -> dict[str, Any]:
        return {"target_table_id": None, "many": True, "inverse_field_id": None,
                "owner_field_id": None, "side": "src"}

    def sql_type(self, options: Mapping[str, Any]) -> sa.types.TypeEngine[Any] | None:
        return None

    def expected(self, field: FieldLike) -> tuple[str, str]:
        if field.options.get("many", True):
            return "record ids like 1, 2, 3", "记录编号，如 1, 2, 3"
        return "one record id", "一个记录编号"

    def parse_value(self, value: Any, field: FieldLike) -> list[int] | None:
        items = value if isinstance(value, list) else [value]
        ids: list[int] = []
        for item in items:
            if isinstance(item, bool):
                raise ValueError("bool")
            if isinstance(item, str):
                for part in normalize(item).replace("，", ",").split(","):
                    if part.strip():
                        ids.append(int(part.strip()))
            elif isinstance(item, float) and item.is_integer():
                ids.append(int(item))
            elif isinstance(item, int):
                ids.append(item)
            else:
                raise ValueError("not a record id")
        ids = list(dict.fromkeys(ids))
        if not field.options.get("many", True) and len(ids) > 1:
            raise ValueError("only one link allowed")
        return ids or None

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return list(stored or [])

    def display(self, stored: Any, field: FieldLike) -> str:
        return ", ".join(str(i) for i in stored or [])


def has_error_column(field_type: FieldType) -> bool:
    """Whether the type keeps a formula error code beside its value (``f_<id>_err``)."""
    return bool(getattr(field_type, "error_column", False))


def error_column_name(column: str) -> str:
    return column + "_err"


class _ResultKindType(ReadOnlyType):
    """Computed type whose column follows ``options.result_type``; a text column
    ``f_<id>_err`` beside it holds the Excel error code of a cell (NULL when none)."""

    default_kind = "text"
    error_column = True

    def value_kind(self, options: Mapping[str, Any]) -> str:
        kind = options.get("result_type") or self.default_kind
        return kind if kind in VALUE_KINDS else self.default_kind


class LookupType(_ResultKindType):
    """Values of ``target_field_id`` over the records linked by ``link_field_id``, materialized
    as their text joined with ", " (``ARRAYJOIN({Link}.{Field})``)."""

    name = "lookup"
    label_en, label_zh = "Lookup", "查找引用"
    default_kind = "text"

    def default_options(self) -> dict[str, Any]:
        return {"link_field_id": None, "target_field_id": None, "result_type": "text"}

    def display(self, stored: Any, field: FieldLike) -> str:
        from tessera.fields.parsing import to_text

        return to_text(stored) or ""


class RollupType(_ResultKindType):
    """An aggregate (SUM, COUNT, MAX…) of ``target_field_id`` over linked records."""

    name = "rollup"
    label_en, label_zh = "Rollup", "汇总"
    default_kind = "number"

    def default_options(self) -> dict[str, Any]:
        return {"link_field_id": None, "target_field_id": None, "function": "SUM",
                "result_type": "number"}


class FormulaType(_ResultKindType):
    """Placeholder: the formula integration computes and materializes the column."""

    name = "formula"
    label_en, label_zh = "Formula", "公式"

    def default_options(self) -> dict[str, Any]:
        return {"formula": "", "result_type": "text"}


class AutonumberType(ReadOnlyType):
    name = "autonumber"
    label_en, label_zh = "Autonumber", "自动编号"
    kind = "number"

    def sql_type(self, options: Mapping[str, Any]) -> sa.types.TypeEngine[Any] | None:
        return None

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return None if stored is None else int(stored)

    def display(self, stored: Any, field: FieldLike) -> str:
        return "" if stored is None else str(int(stored))


class CreatedTimeType(ReadOnlyType):
    name = "created_time"
    label_en, label_zh = "Created time", "创建时间"
    kind = "datetime"

    def sql_type(self, options: Mapping[str, Any]) -> sa.types.TypeEngine[Any] | None:
        return None

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return None if stored is None else json_for_kind(stored)

    def from_json(self, value: Any, field: FieldLike) -> Any:
        from tessera.fields.parsing import parse_datetime

        return None if value is None else parse_datetime(value)


class ModifiedTimeType(CreatedTimeType):
    name = "modified_time"
    label_en, label_zh = "Last modified time", "修改时间"
