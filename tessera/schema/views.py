"""Views: saved filters, sorts, hidden fields, kind and layout per table (validated on save)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from tessera.errors import SchemaError
from tessera.schema.catalog import Bind, V, ViewInfo, get_table, get_view, transaction
from tessera.schema.ops import _clean_name
from tessera.schema.view_layout import check_kind, clean_layout

__all__ = ["create_view", "update_view", "delete_view"]


def _validate(conn: sa.Connection, table_id: int, filters: Any, sorts: Any,
              hidden: Sequence[Any] | None) -> list[int]:
    from tessera.query import build_filter, ensure_sort_index, resolve_sort

    table = get_table(conn, table_id)
    if filters:
        build_filter(table, filters, dialect=conn.dialect.name)
    if sorts:
        resolve_sort(table, sorts)
        ensure_sort_index(conn, table_id, sorts)
    hidden_ids = [table.field(ref).id for ref in hidden or []]
    if table.primary_field and table.primary_field.id in hidden_ids:
        raise SchemaError("The primary field cannot be hidden.", "主字段不能隐藏。",
                          code="primary_hidden")
    return hidden_ids


def create_view(bind: Bind, table_id: int, name: str, *, filters: dict[str, Any] | None = None,
                sorts: list[dict[str, Any]] | None = None,
                hidden_fields: Sequence[int | str] | None = None, kind: str = "grid",
                layout: Mapping[str, Any] | None = None) -> ViewInfo:
    """``layout`` keys are described in tessera.schema.view_layout (field names or ids)."""
    with transaction(bind, write=True) as conn:
        hidden = _validate(conn, table_id, filters, sorts, hidden_fields)
        clean = clean_layout(get_table(conn, table_id), layout)
        position = conn.execute(sa.select(sa.func.count()).select_from(V)
                                .where(V.c.table_id == table_id)).scalar_one()
        view_id = conn.execute(sa.insert(V).values(
            table_id=table_id, name=_clean_name("view", name), filters=filters or None,
            sorts=sorts or [], hidden_fields=hidden, position=position,
            kind=check_kind(kind), layout=clean or None)
            .returning(V.c.id)).scalar_one()
        return get_view(conn, view_id)


def update_view(bind: Bind, view_id: int, *, name: str | None = None,
                filters: dict[str, Any] | None = None, sorts: list[dict[str, Any]] | None = None,
                hidden_fields: Sequence[int | str] | None = None, kind: str | None = None,
                layout: Mapping[str, Any] | None = None) -> ViewInfo:
    """Change the given settings (pass ``filters={}`` / ``sorts=[]`` / ``layout={}`` to clear
    them; ``None`` keeps the stored value). A layout replaces the stored one as a whole."""
    with transaction(bind, write=True) as conn:
        view = get_view(conn, view_id)
        new_filters = view.filters if filters is None else (filters or None)
        new_sorts = view.sorts if sorts is None else sorts
        new_hidden = view.hidden_fields if hidden_fields is None else hidden_fields
        hidden = _validate(conn, view.table_id, new_filters, new_sorts, new_hidden)
        clean = clean_layout(get_table(conn, view.table_id),
                             view.layout if layout is None else layout)
        conn.execute(sa.update(V).where(V.c.id == view_id).values(
            name=_clean_name("view", name) if name is not None else view.name,
            filters=new_filters, sorts=new_sorts, hidden_fields=hidden,
            kind=check_kind(view.kind if kind is None else kind), layout=clean or None))
        return get_view(conn, view_id)


def delete_view(bind: Bind, view_id: int) -> None:
    with transaction(bind, write=True) as conn:
        get_view(conn, view_id)
        conn.execute(sa.delete(V).where(V.c.id == view_id))
