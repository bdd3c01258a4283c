"""What the schema endpoints show a principal: bases it holds a role on, tables and fields
without the fields hidden from its role. Thin helpers the API resources and pages call."""

from __future__ import annotations

from typing import Any

from tessera.access.members import bases_of, grant
from tessera.access.scope import table_scope, trashed_bases
from tessera.auth.principal import SYSTEM, Principal
from tessera.errors import NotFoundError
from tessera.schema.catalog import BaseInfo, FieldInfo, TableInfo, get_field, transaction

__all__ = ["principal_of", "visible_bases", "visible_table", "visible_field", "adopt_base",
           "list_visible_bases", "require_base", "require_record"]


def principal_of(call: Any) -> Principal:
    """The call's principal; a call made without authentication (in-process) is SYSTEM."""
    return getattr(call, "principal", None) or SYSTEM


def visible_bases(bind: Any, principal: Principal, bases: list[BaseInfo]) -> list[BaseInfo]:
    """The bases the principal holds a role on, without those in the trash."""
    reach = bases_of(bind, principal)
    with transaction(bind) as conn:
        closed = trashed_bases(conn)
    return [b for b in bases if b.id not in closed and (reach is None or b.id in reach)]


def visible_table(bind: Any, principal: Principal, table: TableInfo | int) -> TableInfo:
    with transaction(bind) as conn:
        return table_scope(conn, principal, table, "base.read").table


def visible_field(bind: Any, principal: Principal, field_id: int) -> FieldInfo:
    """A field as the principal sees it; a hidden field does not exist (404)."""
    with transaction(bind) as conn:
        field = get_field(conn, field_id)
        table = table_scope(conn, principal, field.table_id, "base.read").table
        for f in table.fields:
            if f.id == field_id:
                return f
    raise NotFoundError("field", field_id)


def adopt_base(bind: Any, principal: Principal, base_id: int) -> None:
    """The user who creates a base owns it (site admins own every base already)."""
    if principal.user_id is not None and not principal.is_admin:
        grant(bind, base_id, "owner", user_id=principal.user_id, actor=principal)


def list_visible_bases(bind: Any, principal: Principal | None = None) -> list[BaseInfo]:
    """The bases the (acting) principal holds a role on: the home page's list."""
    from tessera.access.context import resolve
    from tessera.schema.catalog import list_bases

    return visible_bases(bind, resolve(principal), list_bases(bind))


def require_base(bind: Any, action: str, base_id: int, principal: Principal | None = None) -> str:
    """Check ``action`` on a base for the (acting) principal; its role (raises 401/403)."""
    from tessera.access.context import resolve
    from tessera.access.scope import require

    with transaction(bind) as conn:
        return require(conn, resolve(principal), action, base_id)


def require_record(bind: Any, action: str, table_id: int, record_id: int,
                   principal: Principal | None = None) -> None:
    """Check ``action`` on a table and that the record is within the (acting) principal's row
    rule (403 without the role, 404 for a record it may not see)."""
    from tessera.access.context import resolve

    with transaction(bind) as conn:
        scope = table_scope(conn, resolve(principal), table_id, action)
        scope.check_visible(conn, [record_id])
        from tessera.records import RecordService

        RecordService(conn, principal=SYSTEM).get(table_id, record_id)  # 404 when deleted
