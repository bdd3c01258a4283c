"""Trash: deleting a record, field, table or view through the API or UI keeps a snapshot here
that ``restore`` puts back; items older than ``KEEP_DAYS`` are purged by the workflow worker.

Why snapshots rather than soft-delete flags: every read path (grid, API, formulas compiled to
SQL, exports, access rules) would otherwise have to learn to skip deleted rows. A snapshot
keeps them all unchanged.

- records: the delete is an ordinary RecordService delete whose change set (in
  record_history) already holds every deleted value and link; restoring is ``undo`` of that
  change set, which re-inserts the records with their ids and links.
- views: the view's settings.
- fields and tables: definitions, values by record id and the pairs of every link touching
  them. Restored fields get new ids; formulas, lookups and rollups that referred to the old
  ids (marked broken by the delete) are rewritten to the new ids and recomputed, and views'
  filters, sorts and hidden fields are remapped.
- bases: the one exception — a base is too large to snapshot and nothing outside it refers to
  it, so it stays in place, *closed*: every access check (tessera/access/scope.py) answers 404
  for a base with a ``base`` trash item, listings leave it out, its automations are switched
  off (the snapshot lists which were on) and queued runs skip. Restoring removes the item
  and switches those automations back on: tables, fields, views, records, links, formulas,
  roles and rules come back exactly as they were, ids included. Purging deletes the base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import schema_ops as schema
from tessera.access.scope import base_in_trash
from tessera.auth import audit
from tessera.auth.models import TRASH
from tessera.auth.principal import SYSTEM, Principal
from tessera.compute.definitions import COMPUTED_TYPES
from tessera.errors import NotFoundError, TesseraError
from tessera.fields.sqltypes import utcnow
from tessera.records import RecordService, read_links
from tessera.schema.catalog import Bind, F, FieldInfo, transaction

__all__ = ["TrashItem", "KEEP_DAYS", "delete_records", "delete_view", "delete_field",
           "delete_table", "delete_base", "base_in_trash", "list_items", "get_item", "restore", "purge", "purge_expired",
           "RESTORERS"]

KEEP_DAYS = 30


@dataclass(frozen=True)
class TrashItem:
    id: int
    kind: str
    base_id: int | None
    table_id: int | None
    target_id: int
    label: str
    deleted_by: str
    deleted_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "base_id": self.base_id,
                "table_id": self.table_id, "target_id": self.target_id, "label": self.label,
                "deleted_by": self.deleted_by, "deleted_at": self.deleted_at.isoformat(),
                "purge_after": (self.deleted_at + timedelta(days=KEEP_DAYS)).isoformat()}


class RestoreConflict(TesseraError):
    http_status = 409
    code = "restore_conflict"


def _item(row: sa.Row) -> TrashItem:
    return TrashItem(id=row.id, kind=row.kind, base_id=row.base_id, table_id=row.table_id,
                     target_id=row.target_id, label=row.label, deleted_by=row.deleted_by,
                     deleted_at=row.deleted_at)


def _keep(conn: Connection, principal: Principal, kind: str, *, base_id: int | None,
          table_id: int | None, target_id: int, label: str, snapshot: dict[str, Any]) -> int:
    return int(conn.execute(TRASH.insert().values(
        kind=kind, base_id=base_id, table_id=table_id, target_id=target_id, label=label[:300],
        snapshot=snapshot, deleted_by=principal.username[:150], deleted_at=utcnow()))
        .inserted_primary_key[0])


# ----- delete into the trash ----------------------------------------------------------------
def delete_records(bind: Bind, table_id: int, record_ids: Sequence[int], *,
                   principal: Principal = SYSTEM) -> int:
    """Delete records (one trash item for the whole call); returns the trash item id."""
    with transaction(bind) as conn:
        table = schema.get_table(conn, table_id)
        service = RecordService(conn, principal=principal)  # the caller's permissions apply
        service.bulk_delete(table_id, list(record_ids), actor=principal.username)
        label = (f"{table.name} #{record_ids[0]}" if len(record_ids) == 1
                 else f"{table.name}: {len(record_ids)} records")
        return _keep(conn, principal, "record", base_id=table.base_id, table_id=table.id,
                     target_id=record_ids[0] if record_ids else 0, label=label,
                     snapshot={"change_set_id": service.last_change_set_id,
                               "record_ids": list(record_ids)})


def delete_view(bind: Bind, view_id: int, *, principal: Principal = SYSTEM) -> int:
    with transaction(bind) as conn:
        view = schema.get_view(conn, view_id)
        table = schema.get_table(conn, view.table_id)
        snapshot = {"name": view.name, "filters": view.filters, "sorts": view.sorts,
                    "hidden_fields": list(view.hidden_fields), "position": view.position,
                    "kind": view.kind, "layout": view.layout}
        schema.delete_view(conn, view_id)
        return _keep(conn, principal, "view", base_id=table.base_id, table_id=table.id,
                     target_id=view_id, label=f"{table.name} / {view.name}", snapshot=snapshot)


def _owner(conn: Connection, field: FieldInfo) -> FieldInfo:
    owner = field.options.get("owner_field_id") or field.id
    return field if owner == field.id else schema.get_field(conn, owner)


def _link_snapshot(conn: Connection, field: FieldInfo) -> dict[str, Any]:
    """A link pair seen from its owner ("src") side: definition and every (src, dst) pair."""
    owner = _owner(conn, field)
    inverse_id = owner.options.get("inverse_field_id")
    inverse = schema.get_field(conn, inverse_id) if inverse_id else None
    source = schema.get_table(conn, owner.table_id)
    ids = conn.execute(sa.select(source.sa_table.c.id)).scalars().all()
    pairs = [[src, dst] for src, targets in read_links(conn, owner, list(ids)).items()
             for dst in targets]
    return {"owner_id": owner.id, "table_id": owner.table_id, "name": owner.name,
            "target_table_id": owner.options["target_table_id"],
            "many": bool(owner.options.get("many", True)),
            "inverse_id": inverse.id if inverse else None,
            "inverse_name": inverse.name if inverse else None,
            "inverse_many": bool(inverse.options.get("many", True)) if inverse else True,
            "pairs": pairs}


def _field_snapshot(conn: Connection, field: FieldInfo, *, values: bool) -> dict[str, Any]:
    snap: dict[str, Any] = {"id": field.id, "name": field.name, "type": field.type,
                            "options": field.options, "position": field.position,
                            "is_primary": field.is_primary}
    if values and field.column and not field.read_only:
        table = schema.get_table(conn, field.table_id)
        t = table.sa_table
        snap["values"] = {str(rid): field.field_type.to_json(v, field) for rid, v in
                          conn.execute(sa.select(t.c.id, t.c[field.column]))}
    return snap


def delete_field(bind: Bind, field_id: int, *, principal: Principal = SYSTEM) -> int:
    with transaction(bind) as conn:
        field = schema.get_field(conn, field_id)
        table = schema.get_table(conn, field.table_id)
        if field.type == "link":
            snapshot = {"link": _link_snapshot(conn, field)}
        else:
            snapshot = {"field": _field_snapshot(conn, field, values=True)}
        schema.delete_field(conn, field_id)
        return _keep(conn, principal, "field", base_id=table.base_id, table_id=table.id,
                     target_id=field_id, label=f"{table.name} / {field.name}", snapshot=snapshot)


def delete_table(bind: Bind, table_id: int, *, principal: Principal = SYSTEM) -> int:
    with transaction(bind) as conn:
        table = schema.get_table(conn, table_id)
        links = {}
        for f in _all_link_fields(conn):
            owner = _owner(conn, f)
            touches = table_id in (owner.table_id, owner.options.get("target_table_id"))
            if touches and owner.id not in links:
                links[owner.id] = _link_snapshot(conn, owner)
        t = table.sa_table
        ids = conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars().all()
        snapshots = RecordService(conn, principal=SYSTEM)._snapshots(conn, table, ids)  # noqa: SLF001 - same package
        link_ids = {str(i) for lk in links.values() for i in (lk["owner_id"], lk["inverse_id"])}
        snapshot = {
            "name": table.name, "position": table.position,
            "fields": [_field_snapshot(conn, f, values=False) for f in table.fields
                       if f.type != "link"],
            # link values travel as the links' pairs (restored after every record exists)
            "records": {str(rid): {k: v for k, v in snapshots[rid].items() if k not in link_ids}
                        for rid in ids},
            "links": list(links.values()),
            "views": [{"name": v.name, "filters": v.filters, "sorts": v.sorts,
                       "hidden_fields": list(v.hidden_fields), "kind": v.kind,
                       "layout": v.layout}
                      for v in schema.list_views(conn, table_id)],
        }
        schema.delete_table(conn, table_id)
        return _keep(conn, principal, "table", base_id=table.base_id, table_id=table.id,
                     target_id=table_id, label=table.name, snapshot=snapshot)


def delete_base(bind: Bind, base_id: int, *, principal: Principal = SYSTEM) -> int:
    """Close a base into the trash (see the module docstring); returns the trash item id."""
    from tessera.workflow.models import AUTOMATIONS

    with transaction(bind) as conn:
        base = schema.get_base(conn, base_id)
        if base_in_trash(conn, base_id):
            raise NotFoundError("base", base_id)
        a = AUTOMATIONS
        enabled = list(conn.execute(sa.select(a.c.id).where(
            a.c.base_id == base_id, a.c.enabled.is_(True)).order_by(a.c.id)).scalars())
        conn.execute(sa.update(a).where(a.c.base_id == base_id).values(enabled=False))
        tables = schema.list_tables(conn, base_id)
        item = _keep(conn, principal, "base", base_id=base_id, table_id=None,
                     target_id=base_id, label=base.name,
                     snapshot={"enabled_automations": enabled,
                               "tables": [t.name for t in tables]})
        audit.record(conn, principal, "base.trash", f"base {base_id}",
                     {"label": base.name, "tables": len(tables)})
        return item


def _restore_base(conn: Connection, item: sa.Row, principal: Principal) -> dict[str, Any]:
    from tessera.workflow.service import enable_automation

    enabled = list((item.snapshot or {}).get("enabled_automations") or [])
    conn.execute(TRASH.delete().where(TRASH.c.id == item.id))   # open before enabling
    for automation_id in enabled:
        try:   # a fresh baseline: what changed while closed does not fire a backlog
            enable_automation(conn, automation_id)
        except NotFoundError:
            continue
    return {"kind": "base", "base_id": item.base_id, "automations_enabled": enabled}


def _all_link_fields(conn: Connection) -> list[FieldInfo]:
    ids = conn.execute(sa.select(F.c.id).where(F.c.type == "link")).scalars().all()
    return [schema.get_field(conn, i) for i in ids]


# ----- restore ------------------------------------------------------------------------------
class _IdMap(dict[int, int]):
    """Old field id → new field id, for rewriting formulas and views."""


def _restore_records(conn: Connection, item: sa.Row, principal: Principal) -> dict[str, Any]:
    snap = item.snapshot
    table = schema.get_table(conn, item.table_id)
    t = table.sa_table
    existing = conn.execute(sa.select(t.c.id).where(t.c.id.in_(snap["record_ids"]))).first()
    if existing:
        raise RestoreConflict(f"Record {existing.id} exists again; it cannot be restored twice.",
                              f"记录 {existing.id} 已存在，不能重复恢复。")
    RecordService(conn, principal=principal).undo(snap["change_set_id"],
                                                  actor=principal.username)
    return {"kind": "record", "table_id": table.id, "record_ids": snap["record_ids"]}


def _remap_view_settings(value: Any, ids: Mapping[int, int]) -> Any:
    """Field references in filters and sorts: ints and 'f_<id>' strings under "field"."""
    if isinstance(value, list):
        return [_remap_view_settings(v, ids) for v in value]
    if isinstance(value, dict):
        out = {k: _remap_view_settings(v, ids) for k, v in value.items()}
        ref = value.get("field")
        if isinstance(ref, int) and ref in ids:
            out["field"] = ids[ref]
        elif isinstance(ref, str) and ref.startswith("f_") and ref[2:].isdigit() \
                and int(ref[2:]) in ids:
            out["field"] = f"f_{ids[int(ref[2:])]}"
        return out
    return value


def _create_view(conn: Connection, table_id: int, snap: Mapping[str, Any],
                 ids: Mapping[int, int]) -> int:
    hidden = [ids.get(h, h) for h in snap.get("hidden_fields") or []]
    view = schema.create_view(conn, table_id, snap["name"],
                              filters=_remap_view_settings(snap.get("filters"), ids),
                              sorts=_remap_view_settings(snap.get("sorts") or [], ids),
                              hidden_fields=hidden, kind=snap.get("kind") or "grid",
                              layout=_remap_layout(snap.get("layout") or {}, ids))
    return view.id


def _remap_layout(layout: Mapping[str, Any], ids: Mapping[int, int]) -> dict[str, Any]:
    """A view layout's field ids (lists and single ids) moved to the restored fields' ids."""
    return {k: [ids.get(i, i) for i in v] if isinstance(v, list) else
            ids.get(v, v) if isinstance(v, int) else v for k, v in layout.items()}


def _restore_view(conn: Connection, item: sa.Row, principal: Principal) -> dict[str, Any]:
    view_id = _create_view(conn, item.table_id, item.snapshot, {})
    return {"kind": "view", "table_id": item.table_id, "view_id": view_id}


def _free_name(conn: Connection, table_id: int, name: str) -> str:
    """The old name, or 'name (restored)' when another field took it meanwhile."""
    taken = set(conn.execute(sa.select(F.c.name).where(F.c.table_id == table_id)).scalars())
    candidate, n = name, 1
    while candidate in taken:
        candidate = f"{name} (restored)" if n == 1 else f"{name} (restored {n})"
        n += 1
    return candidate


def _user_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """What a user passes to add_field: without the derived keys the preparer recomputes."""
    derived = {"expression", "broken", "volatile", "clock_date", "result_type"}
    return {k: v for k, v in options.items() if k not in derived}


def _restore_plain_field(conn: Connection, table_id: int, snap: Mapping[str, Any],
                         ids: _IdMap, principal: Principal) -> int:
    options = _user_options(snap["options"])
    if snap["type"] in ("lookup", "rollup"):
        for key in ("link_field_id", "target_field_id"):
            if isinstance(options.get(key), int):
                options[key] = ids.get(options[key], options[key])
    if snap["type"] == "formula":
        options["formula"] = _formula_text(conn, snap["options"], ids)
    field = schema.add_field(conn, table_id, _free_name(conn, table_id, snap["name"]),
                             snap["type"], options)
    ids[int(snap["id"])] = field.id
    values = snap.get("values")
    if values:
        _write_values(conn, table_id, {int(rid): {field.id: v} for rid, v in values.items()
                                       if v is not None}, principal)
    return field.id


def _existing_ids(conn: Connection, table_id: int, record_ids: Iterable[int]) -> set[int]:
    t = schema.get_table(conn, table_id).sa_table
    wanted = sorted(set(record_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 900):
        found.update(conn.execute(sa.select(t.c.id).where(
            t.c.id.in_(wanted[start:start + 900]))).scalars())
    return found


def _write_values(conn: Connection, table_id: int, updates: Mapping[int, Mapping[int, Any]],
                  principal: Principal) -> None:
    alive = _existing_ids(conn, table_id, updates)
    rows = [(rid, dict(values)) for rid, values in sorted(updates.items()) if rid in alive]
    if rows:
        # Schema restores put back every row's value, whoever may see the row today.
        RecordService(conn, principal=SYSTEM).bulk_update(table_id, rows,
                                                          actor=principal.username)


def _restore_link(conn: Connection, snap: Mapping[str, Any], ids: _IdMap,
                  principal: Principal) -> None:
    target = snap["target_table_id"]
    source = snap["table_id"]
    options: dict[str, Any] = {"target_table_id": target, "many": snap["many"]}
    if snap.get("inverse_name"):
        options.update(inverse_name=_free_name(conn, target, snap["inverse_name"]),
                       inverse_many=snap["inverse_many"])
    field = schema.add_field(conn, source, _free_name(conn, source, snap["name"]), "link",
                             options)
    ids[int(snap["owner_id"])] = field.id
    if snap.get("inverse_id") and field.options.get("inverse_field_id"):
        ids[int(snap["inverse_id"])] = int(field.options["inverse_field_id"])
    alive_dst = _existing_ids(conn, target, (d for _, d in snap["pairs"]))
    by_source: dict[int, list[int]] = {}
    for src, dst in snap["pairs"]:
        if dst in alive_dst:
            by_source.setdefault(int(src), []).append(int(dst))
    if not snap["many"]:
        by_source = {k: v[:1] for k, v in by_source.items()}
    _write_values(conn, source, {rid: {field.id: targets} for rid, targets in by_source.items()},
                  principal)


def _formula_text(conn: Connection, options: Mapping[str, Any], ids: Mapping[int, int]) -> str:
    """A formula's text for the current schema: its id form with old ids mapped to new ones,
    shown with today's field names."""
    from tessera.compute.maintenance import display_text
    from tessera.compute.references import field_id_of, id_name, rewrite

    expression = options.get("expression")
    if not expression:
        return str(options.get("formula") or "")

    def swap(name: str) -> str:
        fid = field_id_of(name)
        return id_name(ids[fid]) if fid is not None and fid in ids else name

    remapped = rewrite(expression, swap, lambda n: (swap(n), swap))
    names = dict(conn.execute(sa.select(F.c.id, F.c.name)).all())
    return display_text(names, remapped)


def _repair_dependents(conn: Connection, ids: Mapping[int, int]) -> None:
    """Computed fields elsewhere that referred to a restored field by its old id."""
    from tessera.compute.references import field_id_of, references

    old = set(ids)
    rows = conn.execute(sa.select(F.c.id, F.c.type, F.c.options)
                        .where(F.c.type.in_(COMPUTED_TYPES))).all()
    for fid, ftype, options in rows:
        if fid in ids.values():
            continue
        options = options or {}
        if ftype == "formula":
            expression = options.get("expression") or ""
            used = set()
            if expression:
                for ref in references(expression):
                    used.update(x for x in (field_id_of(ref.name), field_id_of(ref.link or ""))
                                if x is not None)
            if used & old:
                schema.update_field_options(conn, fid, {
                    "formula": _formula_text(conn, options, ids)})
        else:
            changes = {k: ids[options[k]] for k in ("link_field_id", "target_field_id")
                       if isinstance(options.get(k), int) and options[k] in ids}
            if changes:
                schema.update_field_options(conn, fid, changes)


def _restore_field(conn: Connection, item: sa.Row, principal: Principal) -> dict[str, Any]:
    ids = _IdMap()
    schema.get_table(conn, item.table_id)
    if "link" in item.snapshot:
        _restore_link(conn, item.snapshot["link"], ids, principal)
    else:
        _restore_plain_field(conn, item.table_id, item.snapshot["field"], ids, principal)
    _repair_dependents(conn, ids)
    return {"kind": "field", "table_id": item.table_id,
            "field_ids": {str(k): v for k, v in ids.items()}}


def _restore_table(conn: Connection, item: sa.Row, principal: Principal) -> dict[str, Any]:
    snap = item.snapshot
    ids = _IdMap()
    fields = sorted(snap["fields"], key=lambda f: (not f["is_primary"], f["position"]))
    primary = fields[0]
    taken = {t.name for t in schema.list_tables(conn, item.base_id)}
    name = snap["name"] if snap["name"] not in taken else f"{snap['name']} (restored)"
    table = schema.create_table(conn, item.base_id, name, primary_field=primary["name"])
    first = table.primary_field
    assert first is not None
    if primary["type"] != "text":
        schema.change_field_type(conn, first.id, primary["type"],
                                 _user_options(primary["options"]))
    elif primary["options"]:
        schema.update_field_options(conn, first.id, _user_options(primary["options"]))
    ids[int(primary["id"])] = first.id
    plain = [f for f in fields[1:] if f["type"] not in COMPUTED_TYPES]
    for f in plain:
        ids[int(f["id"])] = schema.add_field(conn, table.id, f["name"], f["type"],
                                             _user_options(f["options"])).id
    table = schema.get_table(conn, table.id)
    writable = {f.id for f in table.fields if not f.read_only}
    rows = [({ids[int(k)]: v for k, v in values.items()
              if int(k) in ids and ids[int(k)] in writable}, int(rid))
            for rid, values in snap["records"].items()]
    if rows:
        RecordService(conn, principal=SYSTEM)._create(  # noqa: SLF001 - keeps record ids
            conn, table, [r for r, _ in rows], principal.username, bulk=True,
            fixed=[{"id": rid} for _, rid in rows])
    for link in snap["links"]:
        link = dict(link)
        for key in ("table_id", "target_table_id"):
            if link[key] == item.table_id:
                link[key] = table.id
        _restore_link(conn, link, ids, principal)
    for f in fields[1:]:
        if f["type"] in COMPUTED_TYPES:
            _restore_plain_field(conn, table.id, f, ids, principal)
    for view in snap["views"]:
        _create_view(conn, table.id, view, ids)
    _repair_dependents(conn, ids)
    return {"kind": "table", "table_id": table.id,
            "field_ids": {str(k): v for k, v in ids.items()}}


Restorer = Callable[[Connection, sa.Row, Principal], dict[str, Any]]
RESTORERS: dict[str, Restorer] = {
    "record": _restore_records,
    "view": _restore_view,
    "field": _restore_field,
    "table": _restore_table,
    "base": _restore_base,
}


# ----- reading, restoring, purging ----------------------------------------------------------
def list_items(bind: Bind, *, base_id: int | None = None, kind: str | None = None,
               limit: int = 500) -> list[TrashItem]:
    query = sa.select(TRASH).order_by(TRASH.c.id.desc()).limit(limit)
    if base_id is not None:
        query = query.where(TRASH.c.base_id == base_id)
    if kind:
        query = query.where(TRASH.c.kind == kind)
    with transaction(bind) as conn:
        return [_item(r) for r in conn.execute(query)]


def _row(conn: Connection, item_id: int) -> sa.Row:
    row = conn.execute(sa.select(TRASH).where(TRASH.c.id == item_id)).first()
    if row is None:
        raise NotFoundError("trash item", item_id)
    return row


def get_item(bind: Bind, item_id: int) -> TrashItem:
    with transaction(bind) as conn:
        return _item(_row(conn, item_id))


def restore(bind: Bind, item_id: int, *, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Put an item back (in one transaction) and remove it from the trash."""
    with transaction(bind) as conn:
        row = _row(conn, item_id)
        if row.base_id is not None:
            schema.get_base(conn, row.base_id)
            if row.kind != "base" and base_in_trash(conn, row.base_id):
                raise RestoreConflict(
                    "Its base is in the trash; restore the base first.",
                    "它所在的数据库在回收站中，请先恢复该数据库。")
        if row.kind in ("record", "view", "field"):
            schema.get_table(conn, row.table_id)
        result = RESTORERS[row.kind](conn, row, principal)
        conn.execute(TRASH.delete().where(TRASH.c.id == item_id))
        audit.record(conn, principal, "trash.restore", f"{row.kind} {row.target_id}",
                     {"label": row.label, **result})
        return result


def purge(bind: Bind, item_id: int, *, principal: Principal = SYSTEM) -> None:
    with transaction(bind) as conn:
        row = _row(conn, item_id)
        conn.execute(TRASH.delete().where(TRASH.c.id == item_id))
        if row.kind == "base":
            _purge_base(conn, row.base_id)
        audit.record(conn, principal, "trash.purge", f"{row.kind} {row.target_id}",
                     {"label": row.label})


def purge_expired(bind: Bind, *, now: datetime | None = None, days: int = KEEP_DAYS) -> int:
    """Delete items older than ``days`` (run by the workflow worker); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with transaction(bind) as conn:
        bases = list(conn.execute(sa.select(TRASH.c.base_id).where(
            TRASH.c.deleted_at < cutoff, TRASH.c.kind == "base")).scalars())
        purged = int(conn.execute(TRASH.delete().where(TRASH.c.deleted_at < cutoff)).rowcount)
        for base_id in bases:
            _purge_base(conn, base_id)
        return purged


def _purge_base(conn: Connection, base_id: int) -> None:
    """Delete a closed base for good, with the trash items of its tables, fields and rows."""
    conn.execute(TRASH.delete().where(TRASH.c.base_id == base_id))
    try:
        schema.delete_base(conn, base_id)
    except NotFoundError:
        return
