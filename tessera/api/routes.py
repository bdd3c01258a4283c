"""THE route table of the REST API: every endpoint under /api/v1, declared once.

The app's router, request validation and /api/v1/openapi.json are all generated from
``API_ROUTES``; add an endpoint here and it is served, validated and documented."""

from __future__ import annotations

from typing import Any

from tessera.api.access_routes import ACCESS_ROUTES
from tessera.api.auth_routes import AUTH_ROUTES
from tessera.api.io_routes import IO_ROUTES
from tessera.api.outreach_routes import OUTREACH_ROUTES
from tessera.api.pack_routes import PACK_ROUTES
from tessera.api.resources import bases, fields, records, tables, views
from tessera.api.schemas import (
    FIELD_TYPES,
    FIELD_VALUES,
    FILTER,
    NAME,
    RECORD_ID,
    SORT,
    VIEW_KIND,
    VIEW_LAYOUT,
    list_of,
    ref,
)
from tessera.api.spec import ApiRoute, Call, Param
from tessera.api.workflow_routes import WORKFLOW_ROUTES

__all__ = ["API_PREFIX", "API_ROUTES", "MAX_PAGE", "MAX_BULK"]

API_PREFIX = "/api/v1"
MAX_PAGE = 1000
MAX_BULK = 1000


def _obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": properties, **extra}


NAMED = _obj(["name"], {"name": NAME})
FIELD_SPEC = _obj(["name", "type"], {"name": NAME,
                                     "type": {"type": "string", "enum": FIELD_TYPES},
                                     "options": {"type": "object"}})
RECORD_BODY = _obj(["fields"], {"fields": FIELD_VALUES})
VIEW_PROPS = {"name": NAME, "filters": {"anyOf": [FILTER, {"type": "null"}]}, "sorts": SORT,
              "hidden_fields": {"type": "array", "items": {"type": "integer"}},
              "kind": VIEW_KIND, "layout": VIEW_LAYOUT}

FILTER_PARAM = Param("filter", FILTER, "a filter as JSON, e.g. "
                     '{"field": "Age", "op": ">", "value": 30}', json=True)
SORT_PARAM = Param("sort", SORT, 'sorts as JSON, e.g. [{"field": "Age", "direction": "desc"}]',
                   json=True)
LIMIT_PARAM = Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                              "default": 100}, f"rows per page (1–{MAX_PAGE})")
CURSOR_PARAM = Param("cursor", {"type": "string", "minLength": 1},
                     "next_cursor from the previous page (same filter and sort)")
KEY_PARAM = Param("key", {"type": "string", "enum": ["name", "id"], "default": "name"},
                  "key record fields by field name or by field id")
TOTAL_PARAM = Param("total", {"type": "boolean", "default": True},
                    "also count all matching rows (total)")


def openapi_document(call: Call) -> dict[str, Any]:
    from tessera.api.openapi import build_document

    return build_document()


def _r(method: str, path: str, handler: Any, summary: str, tag: str, response: Any,
       **kw: Any) -> ApiRoute:
    return ApiRoute(method, API_PREFIX + path, handler, summary, tag, response, **kw)


B, T, F, R, V = "bases", "tables", "fields", "records", "views"
TID, RID = "/tables/{table_id:int}", "/tables/{table_id:int}/records/{record_id:int}"

API_ROUTES: tuple[ApiRoute, ...] = (
    _r("GET", "/openapi.json", openapi_document, "This OpenAPI 3.1 document", "meta",
       {"type": "object"}, errors=()),
    # bases
    _r("GET", "/bases", bases.list_bases, "List bases", B, list_of("Base"), errors=()),
    _r("POST", "/bases", bases.create_base, "Create a base", B, ref("Base"), status=201,
       body=NAMED, errors=(400,)),
    _r("GET", "/bases/{base_id:int}", bases.get_base, "Get a base", B, ref("Base"),
       errors=(404,)),
    _r("PATCH", "/bases/{base_id:int}", bases.rename_base, "Rename a base", B, ref("Base"),
       body=NAMED),
    _r("DELETE", "/bases/{base_id:int}", bases.delete_base,
       "Delete a base with all its tables", B, None, status=204, errors=(404,)),
    # tables
    _r("GET", "/bases/{base_id:int}/tables", tables.list_tables, "List a base's tables", T,
       list_of("Table"), errors=(404,)),
    _r("POST", "/bases/{base_id:int}/tables", tables.create_table, "Create a table", T,
       ref("Table"), status=201, errors=(400, 404, 409),
       body=_obj(["name"], {"name": NAME, "primary_field": NAME,
                            "fields": {"type": "array", "items": FIELD_SPEC}})),
    _r("GET", TID, tables.get_table, "Get a table with its fields", T, ref("Table"),
       errors=(404,)),
    _r("PATCH", TID, tables.rename_table, "Rename a table", T, ref("Table"), body=NAMED,
       errors=(400, 404, 409)),
    _r("DELETE", TID, tables.delete_table, "Delete a table and links to it", T, None,
       status=204, errors=(404,)),
    # fields
    _r("GET", TID + "/fields", fields.list_fields, "List a table's fields", F,
       list_of("Field"), errors=(404,)),
    _r("POST", TID + "/fields", fields.create_field, "Add a field", F, ref("Field"),
       status=201, body=FIELD_SPEC, errors=(400, 404, 409)),
    _r("GET", "/fields/{field_id:int}", fields.get_field, "Get a field", F, ref("Field"),
       errors=(404,)),
    _r("PATCH", "/fields/{field_id:int}", fields.update_field,
       "Rename a field, change its options or change its type (converting values)", F,
       _obj(["field", "conversion"], {"field": ref("Field"),
                                      "conversion": {"anyOf": [ref("ConversionReport"),
                                                               {"type": "null"}]}}),
       body=_obj([], {"name": NAME, "type": {"type": "string", "enum": FIELD_TYPES},
                      "options": {"type": "object"}}, minProperties=1),
       errors=(400, 404, 409)),
    _r("POST", "/fields/{field_id:int}/conversion-preview", fields.preview_field_conversion,
       "Preview a type change: how many values convert and which are rejected", F,
       ref("ConversionReport"),
       body=_obj(["type"], {"type": {"type": "string", "enum": FIELD_TYPES},
                            "options": {"type": "object"}})),
    _r("DELETE", "/fields/{field_id:int}", fields.delete_field, "Delete a field", F, None,
       status=204),
    # records
    _r("GET", TID + "/records", records.list_records,
       "List records with filters, sorts and keyset pagination", R, ref("RecordPage"),
       params=(FILTER_PARAM, SORT_PARAM, LIMIT_PARAM, CURSOR_PARAM, KEY_PARAM, TOTAL_PARAM)),
    _r("GET", TID + "/records/count", records.count_records, "Count records matching a filter",
       R, ref("Count"), params=(FILTER_PARAM,)),
    _r("POST", TID + "/records", records.create_record, "Create a record", R, ref("Record"),
       status=201, body=RECORD_BODY, errors=(400, 404, 422)),
    _r("POST", TID + "/records/bulk-create", records.bulk_create_records,
       f"Create up to {MAX_BULK} records in one transaction", R, ref("RecordIds"), status=201,
       body=_obj(["records"], {"records": {"type": "array", "minItems": 1, "maxItems": MAX_BULK,
                                           "items": RECORD_BODY}}),
       errors=(400, 404, 422)),
    _r("POST", TID + "/records/bulk-update", records.bulk_update_records,
       f"Update up to {MAX_BULK} records in one transaction", R, ref("RecordIds"),
       body=_obj(["records"], {"records": {
           "type": "array", "minItems": 1, "maxItems": MAX_BULK,
           "items": _obj(["id", "fields"], {"id": RECORD_ID, "fields": FIELD_VALUES})}}),
       errors=(400, 404, 422)),
    _r("POST", TID + "/records/bulk-delete", records.bulk_delete_records,
       f"Delete up to {MAX_BULK} records in one transaction", R, ref("RecordIds"),
       body=_obj(["ids"], {"ids": {"type": "array", "minItems": 1, "maxItems": MAX_BULK,
                                   "items": RECORD_ID}})),
    _r("GET", RID, records.get_record, "Get a record", R, ref("Record"), params=(KEY_PARAM,)),
    _r("PATCH", RID, records.update_record, "Update some fields of a record", R,
       ref("Record"), body=RECORD_BODY, errors=(400, 404, 422)),
    _r("DELETE", RID, records.delete_record, "Delete a record", R, None, status=204,
       errors=(404,)),
    _r("GET", RID + "/history", records.record_history,
       "A record's change history, newest first", R, list_of("HistoryEntry"), errors=(404,)),
    # views
    _r("GET", TID + "/views", views.list_views, "List a table's views", V, list_of("View"),
       errors=(404,)),
    _r("POST", TID + "/views", views.create_view, "Create a view", V, ref("View"), status=201,
       body=_obj(["name"], VIEW_PROPS), errors=(400, 404, 409)),
    _r("GET", "/views/{view_id:int}", views.get_view, "Get a view", V, ref("View"),
       errors=(404,)),
    _r("PATCH", "/views/{view_id:int}", views.update_view,
       "Change a view's name, filters, sorts, hidden fields, kind or layout", V, ref("View"),
       body=_obj([], VIEW_PROPS, minProperties=1), errors=(400, 404, 409)),
    _r("DELETE", "/views/{view_id:int}", views.delete_view, "Delete a view", V, None,
       status=204, errors=(404,)),
    _r("GET", "/views/{view_id:int}/records", views.list_view_records,
       "List records through a view (its filters, sorts and visible fields)", V,
       ref("RecordPage"), params=(FILTER_PARAM, LIMIT_PARAM, CURSOR_PARAM, KEY_PARAM)),
    *IO_ROUTES,  # import wizard and export (tessera/api/io_routes.py)
)
API_ROUTES += WORKFLOW_ROUTES  # the workflow engine's routes (tessera/api/workflow_routes.py)
API_ROUTES += AUTH_ROUTES  # users, tokens, audit log, trash, settings (tessera/api/auth_routes.py)
API_ROUTES += PACK_ROUTES  # app packs and dashboards (tessera/api/pack_routes.py)
API_ROUTES += OUTREACH_ROUTES  # reaching customers (tessera/api/outreach_routes.py)
API_ROUTES += ACCESS_ROUTES  # members, row rules, field permissions (tessera/api/access_routes.py)
