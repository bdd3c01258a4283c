"""Who a campaign may reach: its segment (a view and/or a filter) narrowed by the audience
rules, as one SQL condition for the launch and as a Python check for the moment of sending
(a customer who opts out after the launch is still skipped).

Audience rules (all optional except ``address_field`` for channels that need an address):
``address_field`` (手机 / 邮箱; blank addresses are left out), ``consent_field`` (a checkbox
that must be ticked), ``optout_field`` (退订: must not be ticked), ``exclude`` (a list of
``{"field", "values"}``: e.g. 满意度 in [纠纷], 勿扰 in [true]), ``plan_field`` (the invitation
plan stored with each delivery for the results) and ``language_field``.

Row rules: the segment is built under its owner's access — the user the campaign's (or call
queue's) automation runs as, normally whoever created it — so a campaign never reaches a
customer its creator may not see (docs/access.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.access.context import resolve
from tessera.access.run_as import run_as_principal
from tessera.access.scope import table_scope
from tessera.auth.principal import Principal
from tessera.errors import NotFoundError
from tessera.outreach.errors import ConfigError
from tessera.query import build_filter
from tessera.schema.catalog import TableInfo, get_view, sa_table

__all__ = ["Audience", "segment_filter", "rules_filter", "owner_of", "excluded_reason"]


@dataclass(frozen=True)
class Audience:
    address_field: str | None = None
    consent_field: str | None = None
    optout_field: str | None = None
    exclude: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    plan_field: str | None = None
    language_field: str | None = None
    tasks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, table: TableInfo, raw: Mapping[str, Any] | None) -> Audience:
        raw = dict(raw or {})
        known = {"address_field", "consent_field", "optout_field", "exclude", "plan_field",
                 "language_field", "tasks"}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"Unknown audience setting(s) {sorted(unknown)}; known: "
                              f"{', '.join(sorted(known))}.",
                              f"未知受众设置 {sorted(unknown)}；可用：{'、'.join(sorted(known))}。")
        names = [raw.get(k) for k in ("address_field", "consent_field", "optout_field",
                                      "plan_field", "language_field")]
        exclude = tuple((str(e["field"]), tuple(e.get("values") or [True]))
                        for e in raw.get("exclude") or [])
        for name in [n for n in names if n] + [f for f, _ in exclude]:
            try:
                table.field(name)
            except NotFoundError as exc:
                raise ConfigError(f"The audience names the field {name!r}, which table "
                                  f"{table.name!r} does not have.",
                                  f"受众设置引用了字段「{name}」，但表「{table.name}」中没有该字段。",
                                  field=name) from exc
        return cls(*names[:3], exclude, names[3], names[4], dict(raw.get("tasks") or {}))

    def to_filter(self) -> dict[str, Any] | None:
        parts: list[dict[str, Any]] = []
        if self.address_field:
            parts.append({"field": self.address_field, "op": "is_not_empty"})
        if self.consent_field:
            parts.append({"field": self.consent_field, "op": "=", "value": True})
        if self.optout_field:
            parts.append({"field": self.optout_field, "op": "!=", "value": True})
        for name, values in self.exclude:
            parts.extend({"field": name, "op": "!=", "value": v} for v in values)
        return {"and": parts} if parts else None


def segment_filter(conn: sa.Connection, view_id: int | None,
                   segment: Mapping[str, Any] | None) -> dict[str, Any] | None:
    parts = []
    if view_id is not None:
        view = get_view(conn, view_id)
        if view.filters:
            parts.append(view.filters)
    if segment:
        parts.append(dict(segment))
    return {"and": parts} if len(parts) > 1 else (parts[0] if parts else None)


def rules_filter(conn: sa.Connection, table: TableInfo, spec: Mapping[str, Any] | None,
                 t: sa.Table | None = None, *,
                 principal: Principal | None = None) -> sa.ColumnElement[bool]:
    """``spec`` as SQL, AND the row rule of ``principal`` (default: the acting one — a
    campaign's launch runs as its creator, tessera/access/run_as.py). Fields hidden from
    them are unknown to the filter, so nobody reaches customers they may not see."""
    t = t if t is not None else sa_table(table)
    who = resolve(principal)
    if who.is_system:
        return build_filter(table, spec, dialect=conn.dialect.name, t=t)
    scope = table_scope(conn, who, table, "records.read")
    return scope.restrict(conn, t, build_filter(scope.table, spec, dialect=conn.dialect.name,
                                                t=t))


def owner_of(conn: sa.Connection, automation_id: int, base_id: int) -> Principal:
    """Who a campaign's or call queue's audience is built for: the run-as principal of its
    automation (its creator unless an owner chose otherwise; raises RunAsRefused)."""
    return run_as_principal(conn, automation_id, base_id)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "是"))


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return _truthy(value) == wanted
    if isinstance(value, list):
        return any(_same(v, wanted) for v in value)
    return value is not None and str(value).strip().lower() == str(wanted).strip().lower()


def excluded_reason(audience: Audience, fields: Mapping[str, Any]) -> str | None:
    """Why this record must not be contacted now (None: it may)."""
    if audience.address_field and not fields.get(audience.address_field):
        return "no address"
    if audience.consent_field and not _truthy(fields.get(audience.consent_field)):
        return "no consent"
    if audience.optout_field and _truthy(fields.get(audience.optout_field)):
        return "opted out"
    for name, values in audience.exclude:
        if any(_same(fields.get(name), v) for v in values):
            return f"excluded by {name}"
    return None
