"""Records: list (filters, sorts, keyset pagination), count, get, create, update, delete,
bulk create/update/delete, and the history of one record."""

from __future__ import annotations

from typing import Any

from tessera import trash
from tessera.access.api_views import principal_of
from tessera.api.resources._query import query_params_errors
from tessera.api.spec import Call
from tessera.errors import NotFoundError
from tessera.query import count_records as _count
from tessera.query import query_records
from tessera.records import RecordService


def _service(call: Call) -> RecordService:
    return RecordService(call.engine, locale=call.locale, principal=principal_of(call))


def list_records(call: Call) -> dict[str, Any]:
    q = call.query
    with query_params_errors(q):
        page = query_records(call.engine, call.path["table_id"], filter=q.get("filter"),
                             sort=q.get("sort"), limit=q.get("limit", 100),
                             cursor=q.get("cursor"), key=q.get("key", "name"),
                             with_total=q.get("total", True), principal=principal_of(call))
    return page.to_dict()


def count_records(call: Call) -> dict[str, Any]:
    with query_params_errors(call.query):
        return {"count": _count(call.engine, call.path["table_id"],
                                filter=call.query.get("filter"), principal=principal_of(call))}


def get_record(call: Call) -> dict[str, Any]:
    return _service(call).get(call.path["table_id"], call.path["record_id"],
                              key=call.query.get("key", "name"))


def create_record(call: Call) -> dict[str, Any]:
    return _service(call).create(call.path["table_id"], call.body["fields"])


def update_record(call: Call) -> dict[str, Any]:
    return _service(call).update(call.path["table_id"], call.path["record_id"],
                                 call.body["fields"])


def delete_record(call: Call) -> None:
    trash.delete_records(call.engine, call.path["table_id"], [call.path["record_id"]],
                         principal=call.principal)  # kept in the trash for 30 days


def bulk_create_records(call: Call) -> dict[str, Any]:
    rows = [r["fields"] for r in call.body["records"]]
    return {"ids": _service(call).bulk_create(call.path["table_id"], rows)}


def bulk_update_records(call: Call) -> dict[str, Any]:
    updates = [(r["id"], r["fields"]) for r in call.body["records"]]
    _service(call).bulk_update(call.path["table_id"], updates)
    return {"ids": [record_id for record_id, _ in updates]}


def bulk_delete_records(call: Call) -> dict[str, Any]:
    ids = call.body["ids"]
    trash.delete_records(call.engine, call.path["table_id"], ids, principal=call.principal)
    return {"ids": ids}


def record_history(call: Call) -> list[dict[str, Any]]:
    table_id, record_id = call.path["table_id"], call.path["record_id"]
    entries = _service(call).history(table_id, record_id)
    if not entries:  # never existed here: say so rather than return an empty history
        raise NotFoundError("record", record_id)
    return [e.to_dict() for e in entries]
