"""A view's kind (grid, kanban, calendar, form) and layout, checked against its table.

The layout is stored as JSON on the view (``views.layout``) so new presentation settings do not
need a migration each; this module is the one place that decides which keys exist and what
they may point at, so the API, the pack installer and the UI all store the same shape:

``group_by``     list of field ids the grid groups by (outermost first), up to 3
``fields``       list of field ids: the column / card order (fields left out come after)
``stack_field``  field id of the single select a kanban stacks its cards by
``date_field``   field id of the date or datetime field a calendar places records on
``row_height``   ``short`` | ``medium`` | ``tall`` | ``extra`` (grid row height)

Field references may be given as ids or names; they are stored as ids, so renaming a field
keeps the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import NotFoundError, SchemaError
from tessera.schema.catalog import FieldInfo, TableInfo

__all__ = ["VIEW_KINDS", "ROW_HEIGHTS", "LAYOUT_KEYS", "MAX_GROUP_LEVELS", "clean_layout",
           "check_kind"]

VIEW_KINDS = ("grid", "kanban", "calendar", "form")
ROW_HEIGHTS = ("short", "medium", "tall", "extra")
LAYOUT_KEYS = ("group_by", "fields", "stack_field", "date_field", "row_height")
MAX_GROUP_LEVELS = 3
STACK_TYPES = ("single_select",)
DATE_TYPES = ("date", "datetime")


def check_kind(kind: Any) -> str:
    if kind not in VIEW_KINDS:
        raise SchemaError(
            f"Unknown view kind {kind!r}; use one of: {', '.join(VIEW_KINDS)}.",
            f"未知的视图类型 {kind!r}，请使用以下之一：{'、'.join(VIEW_KINDS)}。",
            code="view_kind")
    return str(kind)


def _field(table: TableInfo, key: str, ref: Any) -> FieldInfo:
    try:
        if isinstance(ref, bool) or not isinstance(ref, (int, str)):
            raise NotFoundError("field", ref)
        return table.field(ref)
    except NotFoundError:
        raise SchemaError(
            f"layout.{key}: table {table.name!r} has no field {ref!r}; pick one of its fields.",
            f"layout.{key}：表「{table.name}」中没有字段 {ref!r}，请选择该表中的字段。",
            code="layout_field", details={"key": key, "field": ref}) from None


def _field_list(table: TableInfo, key: str, refs: Any) -> list[int]:
    if not isinstance(refs, list):
        raise SchemaError(f"layout.{key} must be a list of fields.",
                          f"layout.{key} 必须是字段列表。", code="layout_invalid")
    ids = [_field(table, key, r).id for r in refs]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"layout.{key} names a field twice; list each field once.",
                          f"layout.{key} 中有重复的字段，每个字段只能列出一次。",
                          code="layout_invalid")
    return ids


def _typed(table: TableInfo, key: str, ref: Any, types: tuple[str, ...],
           what_en: str, what_zh: str) -> int:
    field = _field(table, key, ref)
    if field.type not in types:
        raise SchemaError(
            f"layout.{key}: field {field.name!r} is a {field.type} field; {what_en}.",
            f"layout.{key}：字段「{field.name}」是 {field.type} 类型，{what_zh}。",
            code="layout_field_type", details={"key": key, "field": field.name})
    return field.id


def _group_by(table: TableInfo, refs: Any) -> list[int]:
    ids = _field_list(table, "group_by", refs)
    if len(ids) > MAX_GROUP_LEVELS:
        raise SchemaError(f"layout.group_by has {len(ids)} fields; group by at most "
                          f"{MAX_GROUP_LEVELS}.",
                          f"layout.group_by 有 {len(ids)} 个字段，最多按 {MAX_GROUP_LEVELS} "
                          "个字段分组。", code="layout_invalid")
    for fid in ids:
        field = table.field(fid)
        if field.column is None or not field.field_type.sortable:
            raise SchemaError(
                f"layout.group_by: field {field.name!r} ({field.type}) cannot be grouped; "
                "pick a field that holds one value per record.",
                f"layout.group_by：字段「{field.name}」（{field.type}）不能分组，"
                "请选择每条记录只有一个值的字段。",
                code="layout_field_type", details={"key": "group_by", "field": field.name})
    return ids


def clean_layout(table: TableInfo, layout: Mapping[str, Any] | None) -> dict[str, Any]:
    """The layout with field references resolved to ids; raises SchemaError (zh/en) for
    unknown keys, fields of other tables and fields of the wrong type."""
    if layout is None:
        return {}
    if not isinstance(layout, Mapping):
        raise SchemaError("layout must be an object.", "layout 必须是对象。",
                          code="layout_invalid")
    unknown = sorted(set(layout) - set(LAYOUT_KEYS))
    if unknown:
        raise SchemaError(
            f"layout has unknown keys {unknown}; allowed: {', '.join(LAYOUT_KEYS)}.",
            f"layout 含有未知的键 {unknown}，允许的键：{'、'.join(LAYOUT_KEYS)}。",
            code="layout_invalid")
    out: dict[str, Any] = {}
    if layout.get("group_by"):
        out["group_by"] = _group_by(table, layout["group_by"])
    if layout.get("fields"):
        out["fields"] = _field_list(table, "fields", layout["fields"])
    if layout.get("stack_field") is not None:
        out["stack_field"] = _typed(table, "stack_field", layout["stack_field"], STACK_TYPES,
                                    "a kanban stacks by a single select field",
                                    "看板只能按单选字段分列")
    if layout.get("date_field") is not None:
        out["date_field"] = _typed(table, "date_field", layout["date_field"], DATE_TYPES,
                                   "a calendar needs a date or datetime field",
                                   "日历需要日期或日期时间字段")
    if layout.get("row_height") is not None:
        if layout["row_height"] not in ROW_HEIGHTS:
            raise SchemaError(
                f"layout.row_height {layout['row_height']!r} is unknown; use one of: "
                f"{', '.join(ROW_HEIGHTS)}.",
                f"layout.row_height {layout['row_height']!r} 无效，请使用以下之一："
                f"{'、'.join(ROW_HEIGHTS)}。", code="layout_invalid")
        out["row_height"] = layout["row_height"]
    return out
