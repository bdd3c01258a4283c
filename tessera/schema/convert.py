"""Changing a field's type: convert existing values in Python batches, never losing any.

Values that do not convert are set to empty and kept in ``conversion_rejects`` (record id,
field id, original API value, reason) and in record history; the report lists them. A preview
returns the same report without writing anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import history as hist
from tessera import models as m
from tessera.errors import FieldValueError, SchemaError
from tessera.fields import get_field_type
from tessera.fields.computed import error_column_name, has_error_column
from tessera.fields.sqltypes import utcnow
from tessera.schema import ddl, hooks
from tessera.schema.catalog import Bind, F, FieldInfo, get_field, get_table, sa_table, transaction
from tessera.schema.naming import column_name

__all__ = ["ConversionReject", "ConversionReport", "preview_type_change", "change_field_type",
           "list_conversion_rejects"]

R = m.ConversionRejectRow.__table__
_BATCH = 1000


@dataclass(frozen=True)
class ConversionReject:
    record_id: int
    original_value: Any
    reason: str


@dataclass(frozen=True)
class ConversionReport:
    field_id: int
    from_type: str
    to_type: str
    options: dict[str, Any]
    total: int
    converted: int
    rejected: tuple[ConversionReject, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = [asdict(r) for r in self.rejected]
        return data


def _plan(conn: Connection, field: FieldInfo, new_type: str,
          options: Mapping[str, Any] | None) -> tuple[ConversionReport, dict[int, Any]]:
    """The conversion of every value; ``user`` fields resolve usernames on ``conn``."""
    from tessera.fields.user import user_directory

    with user_directory(conn):
        return _plan_values(conn, field, new_type, options)


def _plan_values(conn: Connection, field: FieldInfo, new_type: str,
                 options: Mapping[str, Any] | None) -> tuple[ConversionReport, dict[int, Any]]:
    new_ft = get_field_type(new_type)
    if "link" in (field.type, new_type) and field.type != new_type:
        raise SchemaError("Link fields cannot change type; add a new field and copy values.",
                          "关联字段不能修改类型，请新建字段并复制数据。", code="link_retype")
    if field.is_primary and new_ft.value_kind(new_ft.normalize_options(options)) == "list":
        raise SchemaError("The primary field cannot hold a list; choose a single-value type.",
                          "主字段不能是多值类型，请选择单值类型。", code="primary_field")
    table = get_table(conn, field.table_id)
    t = sa_table(table)
    old_ft = field.field_type
    rows = conn.execute(sa.select(t.c.id, t.c[field.column]).order_by(t.c.id)).all() \
        if field.column else []
    portables = [(rid, old_ft.portable(v, field) if v is not None else None, v)
                 for rid, v in rows]
    opts = new_ft.normalize_options(options)
    if options is None or "choices" not in options:
        opts = new_ft.conversion_options([p for _, p, _ in portables if p is not None], opts)
    target = replace(field, type=new_type, options=opts)
    values: dict[int, Any] = {}
    rejected: list[ConversionReject] = []
    for rid, _portable, stored in portables:
        if stored is None:
            values[rid] = None
            continue
        original = old_ft.to_json(stored, field)
        if new_ft.read_only:
            rejected.append(ConversionReject(rid, original, "computed fields take no input"))
            continue
        try:
            values[rid] = new_ft.convert(stored, old_ft, field, target)
        except FieldValueError as exc:
            rejected.append(ConversionReject(rid, original, exc.message_en))
    converted = sum(1 for _, p, s in portables if s is not None) - len(rejected)
    report = ConversionReport(field.id, field.type, new_type, opts, len(rows), converted,
                              tuple(rejected))
    return report, values


def preview_type_change(bind: Bind, field_id: int, new_type: str,
                        options: Mapping[str, Any] | None = None) -> ConversionReport:
    """What ``change_field_type`` would do, without changing anything."""
    with transaction(bind) as conn:
        field = get_field(conn, field_id)
        report, _ = _plan(conn, field, new_type, _prepared(conn, field, new_type, options))
        return report


def _prepared(conn: Connection, field: FieldInfo, new_type: str,
              options: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Options completed by the schema hooks (computed types check their definition here)."""
    new_ft = get_field_type(new_type)
    if not has_error_column(new_ft):
        return options
    return hooks.prepare_options(conn, field.table_id, new_type,
                                 new_ft.normalize_options(options), field.id)


def change_field_type(bind: Bind, field_id: int, new_type: str,
                      options: Mapping[str, Any] | None = None, *,
                      actor: str | None = None) -> ConversionReport:
    with transaction(bind, write=True) as conn:
        field = get_field(conn, field_id)
        options = _prepared(conn, field, new_type, options)
        report, values = _plan(conn, field, new_type, options)
        new_ft = get_field_type(new_type)
        new_sql = new_ft.sql_type(report.options)
        table = get_table(conn, field.table_id)
        own_column = field.column == column_name(field.id)
        temp = column_name(field.id) + "_new"
        if new_sql is not None:
            ddl.add_column(conn, field.table_id, temp, new_sql)
            t = sa.Table(table.physical_name, sa.MetaData(), sa.Column("id", sa.Integer),
                         sa.Column(temp, new_sql))
            statement = sa.update(t).where(t.c.id == sa.bindparam("_rid")).values(
                {temp: sa.bindparam("_val")})
            batch = [{"_rid": rid, "_val": v} for rid, v in values.items() if v is not None]
            for start in range(0, len(batch), _BATCH):
                conn.execute(statement, batch[start:start + _BATCH])
        if own_column:
            ddl.drop_column(conn, field.table_id, column_name(field.id))
            if has_error_column(field.field_type):
                ddl.drop_column(conn, field.table_id, error_column_name(column_name(field.id)))
        if new_sql is not None:
            ddl.rename_column(conn, field.table_id, temp, column_name(field.id))
            if has_error_column(new_ft):
                ddl.add_column(conn, field.table_id, error_column_name(column_name(field.id)),
                               sa.Text())
        conn.execute(sa.update(F).where(F.c.id == field_id).values(type=new_type,
                                                                   options=report.options))
        hooks.emit(conn, hooks.FieldEvent("retyped", get_field(conn, field_id), field))
        if report.rejected:
            now = utcnow()
            conn.execute(sa.insert(R), [
                {"table_id": field.table_id, "field_id": field.id, "record_id": r.record_id,
                 "from_type": field.type, "to_type": new_type, "original_value": r.original_value,
                 "reason": r.reason, "created_at": now} for r in report.rejected])
            cs = hist.new_change_set(conn, field.table_id, actor, "retype")
            hist.write_history(conn, cs, field.table_id, actor, [
                hist.HistoryRow(r.record_id, field.id, "retype", r.original_value, None)
                for r in report.rejected])
        return report


def list_conversion_rejects(bind: Bind, field_id: int) -> list[ConversionReject]:
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(R).where(R.c.field_id == field_id).order_by(R.c.id)).all()
    return [ConversionReject(r.record_id, r.original_value, r.reason) for r in rows]
