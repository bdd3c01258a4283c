"""Schema operations: bases, tables, fields (incl. paired links) and views.

Each call runs in one transaction (metadata rows and DDL together). Renames touch metadata
only; physical names come from ids (see naming.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.errors import NameConflictError, SchemaError
from tessera.fields import get_field_type
from tessera.fields.computed import error_column_name, has_error_column
from tessera.schema import ddl, hooks
from tessera.schema.catalog import (
    B,
    BaseInfo,
    Bind,
    F,
    FieldInfo,
    T,
    TableInfo,
    get_base,
    get_field,
    get_table,
    list_tables,
    transaction,
)
from tessera.schema.naming import column_name

__all__ = ["FieldSpec", "create_base", "rename_base", "delete_base", "create_table",
           "rename_table", "delete_table", "add_field", "rename_field", "update_field_options",
           "delete_field", "reorder_fields", "set_primary_field"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    options: Mapping[str, Any] | None = None


def _clean_name(kind: str, name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 200:
        zh = {"base": "数据库", "table": "表", "field": "字段", "view": "视图"}.get(kind, kind)
        raise SchemaError(f"A {kind} name must have 1 to 200 characters.",
                          f"{zh}名称须为 1 到 200 个字符。", code="invalid_name")
    return cleaned


# --- bases ------------------------------------------------------------------------------
def create_base(bind: Bind, name: str) -> BaseInfo:
    with transaction(bind, write=True) as conn:
        base_id = conn.execute(sa.insert(B).values(name=_clean_name("base", name))
                               .returning(B.c.id)).scalar_one()
        return get_base(conn, base_id)


def rename_base(bind: Bind, base_id: int, name: str) -> BaseInfo:
    with transaction(bind, write=True) as conn:
        get_base(conn, base_id)
        conn.execute(sa.update(B).where(B.c.id == base_id).values(name=_clean_name("base", name)))
        return get_base(conn, base_id)


def delete_base(bind: Bind, base_id: int) -> None:
    with transaction(bind, write=True) as conn:
        get_base(conn, base_id)
        for table in list_tables(conn, base_id):
            delete_table(conn, table.id)
        conn.execute(sa.delete(B).where(B.c.id == base_id))


# --- tables -----------------------------------------------------------------------------
def _check_table_name(conn: sa.Connection, base_id: int, name: str, exclude: int | None) -> str:
    name = _clean_name("table", name)
    rows = conn.execute(sa.select(T.c.id, T.c.name).where(T.c.base_id == base_id)).all()
    if any(r.name.casefold() == name.casefold() and r.id != exclude for r in rows):
        raise NameConflictError("table", name)
    return name


def create_table(bind: Bind, base_id: int, name: str, *, primary_field: str = "Name",
                 fields: Sequence[FieldSpec] = ()) -> TableInfo:
    with transaction(bind, write=True) as conn:
        get_base(conn, base_id)
        name = _check_table_name(conn, base_id, name, None)
        position = conn.execute(sa.select(sa.func.count()).select_from(T)
                                .where(T.c.base_id == base_id)).scalar_one()
        table_id = conn.execute(sa.insert(T).values(base_id=base_id, name=name,
                                                    position=position)
                                .returning(T.c.id)).scalar_one()
        ddl.create_user_table(conn, table_id)
        first = add_field(conn, table_id, primary_field, "text")
        conn.execute(sa.update(F).where(F.c.id == first.id).values(is_primary=True))
        for spec in fields:
            add_field(conn, table_id, spec.name, spec.type, dict(spec.options or {}))
        return get_table(conn, table_id)


def rename_table(bind: Bind, table_id: int, name: str) -> TableInfo:
    with transaction(bind, write=True) as conn:
        table = get_table(conn, table_id)
        name = _check_table_name(conn, table.base_id, name, table_id)
        conn.execute(sa.update(T).where(T.c.id == table_id).values(name=name))
        return get_table(conn, table_id)


def delete_table(bind: Bind, table_id: int) -> None:
    """Drop the table, its links (both sides) and links from other tables pointing at it."""
    with transaction(bind, write=True) as conn:
        table = get_table(conn, table_id)
        incoming = [f for f in _all_link_fields(conn)
                    if f.options.get("target_table_id") == table_id or f.table_id == table_id]
        dropped: set[int] = set()
        for f in incoming:
            if f.id not in dropped:
                dropped |= _delete_link(conn, f)
        ddl.drop_user_table(conn, table.id)
        conn.execute(sa.delete(F).where(F.c.table_id == table_id))
        conn.execute(sa.delete(T).where(T.c.id == table_id))
        for f in table.fields:
            if f.id not in dropped:
                hooks.emit(conn, hooks.FieldEvent("deleted", f))


def _all_link_fields(conn: sa.Connection) -> list[FieldInfo]:
    ids = conn.execute(sa.select(F.c.id).where(F.c.type == "link")).scalars().all()
    return [get_field(conn, i) for i in ids]


# --- fields -----------------------------------------------------------------------------
def _check_field_name(conn: sa.Connection, table_id: int, name: str, exclude: int | None) -> str:
    name = _clean_name("field", name)
    rows = conn.execute(sa.select(F.c.id, F.c.name).where(F.c.table_id == table_id)).all()
    if any(r.name.casefold() == name.casefold() and r.id != exclude for r in rows):
        raise NameConflictError("field", name)
    return name


def _insert_field(conn: sa.Connection, table_id: int, name: str, type_: str,
                  options: dict[str, Any]) -> int:
    position = conn.execute(sa.select(sa.func.coalesce(sa.func.max(F.c.position) + 1, 0))
                            .where(F.c.table_id == table_id)).scalar_one()
    return conn.execute(sa.insert(F).values(table_id=table_id, name=name, type=type_,
                                            options=options, position=position,
                                            is_primary=False)
                        .returning(F.c.id)).scalar_one()


def add_field(bind: Bind, table_id: int, name: str, type: str,
              options: Mapping[str, Any] | None = None) -> FieldInfo:
    field_type = get_field_type(type)
    with transaction(bind, write=True) as conn:
        get_table(conn, table_id)
        name = _check_field_name(conn, table_id, name, None)
        opts = field_type.normalize_options(options)
        if type == "link":
            return _add_link(conn, table_id, name, opts)
        opts = hooks.prepare_options(conn, table_id, type, opts, None)
        field_id = _insert_field(conn, table_id, name, type, opts)
        _add_columns(conn, table_id, field_id, type, opts)
        field = get_field(conn, field_id)
        hooks.emit(conn, hooks.FieldEvent("added", field))
        return get_field(conn, field_id)


def _add_columns(conn: sa.Connection, table_id: int, field_id: int, type_: str,
                 opts: Mapping[str, Any]) -> None:
    """The field's column and, for computed types, its error-code column."""
    field_type = get_field_type(type_)
    sql_type = field_type.sql_type(opts)
    if sql_type is not None:
        ddl.add_column(conn, table_id, column_name(field_id), sql_type)
        if has_error_column(field_type):
            ddl.add_column(conn, table_id, error_column_name(column_name(field_id)), sa.Text())


def _drop_columns(conn: sa.Connection, field: FieldInfo) -> None:
    if field.field_type.sql_type(field.options) is not None:
        ddl.drop_column(conn, field.table_id, column_name(field.id))
        if has_error_column(field.field_type):
            ddl.drop_column(conn, field.table_id, error_column_name(column_name(field.id)))


def _add_link(conn: sa.Connection, table_id: int, name: str, opts: dict[str, Any]) -> FieldInfo:
    target = opts.get("target_table_id")
    if not isinstance(target, int):
        raise SchemaError("A link field needs options.target_table_id (the linked table's id).",
                          "关联字段需要 options.target_table_id（被关联表的编号）。",
                          code="link_target_missing")
    target_table = get_table(conn, target)
    inverse_name = opts.pop("inverse_name", None)
    inverse_many = bool(opts.pop("inverse_many", True))
    field_id = _insert_field(conn, table_id, name, "link", {})
    opts.update(owner_field_id=field_id, side="src", inverse_field_id=None,
                many=bool(opts.get("many", True)))
    if inverse_name:
        inverse_name = _check_field_name(conn, target_table.id, inverse_name, None)
        inverse_id = _insert_field(conn, target_table.id, inverse_name, "link", {
            "target_table_id": table_id, "many": inverse_many, "inverse_field_id": field_id,
            "owner_field_id": field_id, "side": "dst"})
        opts["inverse_field_id"] = inverse_id
    conn.execute(sa.update(F).where(F.c.id == field_id).values(options=opts))
    ddl.create_junction(conn, field_id, table_id, target_table.id)
    return get_field(conn, field_id)


def _delete_link(conn: sa.Connection, field: FieldInfo) -> set[int]:
    owner = field.options.get("owner_field_id") or field.id
    owner_field = get_field(conn, owner) if owner != field.id else field
    pair = {owner_field.id}
    if owner_field.options.get("inverse_field_id"):
        pair.add(owner_field.options["inverse_field_id"])
    removed = [get_field(conn, i) for i in sorted(pair)]
    ddl.drop_junction(conn, owner)
    conn.execute(sa.delete(F).where(F.c.id.in_(pair)))
    for f in removed:
        hooks.emit(conn, hooks.FieldEvent("deleted", f))
    return pair


def rename_field(bind: Bind, field_id: int, name: str) -> FieldInfo:
    with transaction(bind, write=True) as conn:
        field = get_field(conn, field_id)
        name = _check_field_name(conn, field.table_id, name, field_id)
        conn.execute(sa.update(F).where(F.c.id == field_id).values(name=name))
        hooks.emit(conn, hooks.FieldEvent("renamed", get_field(conn, field_id), field))
        return get_field(conn, field_id)


def update_field_options(bind: Bind, field_id: int, options: Mapping[str, Any]) -> FieldInfo:
    """Change options without changing the type (select choices, precision, symbol…)."""
    with transaction(bind, write=True) as conn:
        field = get_field(conn, field_id)
        if field.type == "link":
            raise SchemaError("A link's target cannot be changed; delete it and add a new link.",
                              "关联字段的目标表不能修改，请删除后重新添加。",
                              code="link_immutable")
        opts = field.field_type.normalize_options({**field.options, **options})
        opts = hooks.prepare_options(conn, field.table_id, field.type, opts, field.id)
        kind_changes = field.field_type.sql_type(opts) is not None and \
            field.field_type.value_kind(opts) != field.value_kind
        if kind_changes and not has_error_column(field.field_type):
            raise SchemaError("This option changes the stored kind; use change_field_type.",
                              "该选项会改变存储类型，请使用修改字段类型。",
                              code="options_change_kind")
        if kind_changes:  # a computed field's result type changed: new, empty columns
            _drop_columns(conn, field)
            _add_columns(conn, field.table_id, field.id, field.type, opts)
        conn.execute(sa.update(F).where(F.c.id == field_id).values(options=opts))
        hooks.emit(conn, hooks.FieldEvent("options_changed", get_field(conn, field_id), field))
        return get_field(conn, field_id)


def delete_field(bind: Bind, field_id: int) -> None:
    with transaction(bind, write=True) as conn:
        field = get_field(conn, field_id)
        if field.is_primary:
            raise SchemaError("The primary field cannot be deleted; make another field primary "
                              "first.", "主字段不能删除，请先将其他字段设为主字段。",
                              code="primary_field")
        if field.type == "link":
            _delete_link(conn, field)
            return
        _drop_columns(conn, field)
        conn.execute(sa.delete(F).where(F.c.id == field_id))
        hooks.emit(conn, hooks.FieldEvent("deleted", field))


def reorder_fields(bind: Bind, table_id: int, field_ids: Sequence[int]) -> TableInfo:
    with transaction(bind, write=True) as conn:
        table = get_table(conn, table_id)
        known = {f.id for f in table.fields}
        order = [i for i in field_ids if i in known] + [f.id for f in table.fields
                                                        if f.id not in field_ids]
        for position, fid in enumerate(order):
            conn.execute(sa.update(F).where(F.c.id == fid).values(position=position))
        return get_table(conn, table_id)


def set_primary_field(bind: Bind, field_id: int) -> FieldInfo:
    with transaction(bind, write=True) as conn:
        field = get_field(conn, field_id)
        if field.type in ("link", "multi_select", "lookup"):
            raise SchemaError("A list-valued field cannot be the primary field.",
                              "多值字段不能作为主字段。", code="primary_field")
        conn.execute(sa.update(F).where(F.c.table_id == field.table_id).values(is_primary=False))
        conn.execute(sa.update(F).where(F.c.id == field_id).values(is_primary=True))
        return get_field(conn, field_id)
