"""JSON Schemas of the API's resources (OpenAPI components) and request bodies.

Request-body schemas are self-contained (no ``$ref``) because they are also what
``jsonschema`` validates requests against; response schemas refer to the components."""

from __future__ import annotations

from typing import Any

from tessera.fields import REGISTRY

__all__ = ["COMPONENTS", "ref", "list_of", "FIELD_TYPES", "NAME", "FILTER", "SORT",
           "FIELD_VALUES", "RECORD_ID", "VIEW_KIND", "VIEW_LAYOUT"]

JsonSchema = dict[str, Any]


def ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


def list_of(name: str) -> JsonSchema:
    return {"type": "array", "items": ref(name)}


FIELD_TYPES = sorted(REGISTRY)
NAME: JsonSchema = {"type": "string", "minLength": 1, "maxLength": 200,
                    "description": "a display name (1–200 characters)"}
FIELD_REF: JsonSchema = {"type": ["string", "integer"],
                         "description": "a field name, field id, or 'f_<id>'"}
FILTER: JsonSchema = {
    "type": "object",
    "description": 'a condition {"field", "op", "value"} or a group {"and": [...]} / {"or": [...]}',
}
SORT: JsonSchema = {
    "type": "array",
    "items": {"type": "object", "required": ["field"], "additionalProperties": False,
              "properties": {"field": FIELD_REF,
                             "direction": {"type": "string", "enum": ["asc", "desc"]}}},
}
VIEW_KIND: JsonSchema = {"type": "string", "enum": ["grid", "kanban", "calendar", "form"],
                         "description": "how the view is shown (default grid)"}
VIEW_LAYOUT: JsonSchema = {
    "type": "object", "additionalProperties": False,
    "description": "presentation settings (see docs/storage.md, views); field references "
                   "are stored and returned as field ids",
    "properties": {
        "group_by": {"type": "array", "items": FIELD_REF, "maxItems": 3,
                     "description": "fields the grid groups by, outermost first"},
        "fields": {"type": "array", "items": FIELD_REF,
                   "description": "column / card order (unlisted fields follow)"},
        "stack_field": {**FIELD_REF, "description": "the single select a kanban stacks by"},
        "date_field": {**FIELD_REF, "description": "the date/datetime field of a calendar"},
        "row_height": {"type": "string", "enum": ["short", "medium", "tall", "extra"]},
    },
}
FIELD_VALUES: JsonSchema = {"type": "object",
                            "description": "values keyed by field name, field id or 'f_<id>'"}
RECORD_ID: JsonSchema = {"type": "integer", "minimum": 1, "maximum": 2**53}
_TIME = {"type": "string", "description": "UTC time, YYYY-MM-DDTHH:MM:SSZ"}
_OPTIONS = {"type": "object", "description": "type-specific options (see docs/storage.md)"}

COMPONENTS: dict[str, JsonSchema] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": "object"}}}},
    },
    "Base": {"type": "object", "required": ["id", "name"],
             "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "Field": {
        "type": "object",
        "required": ["id", "table_id", "name", "type", "options", "position", "is_primary",
                     "read_only"],
        "properties": {"id": {"type": "integer"}, "table_id": {"type": "integer"},
                       "name": {"type": "string"},
                       "type": {"type": "string", "enum": FIELD_TYPES},
                       "options": _OPTIONS, "position": {"type": "integer"},
                       "is_primary": {"type": "boolean"}, "read_only": {"type": "boolean"}},
    },
    "Table": {
        "type": "object", "required": ["id", "base_id", "name", "position", "fields"],
        "properties": {"id": {"type": "integer"}, "base_id": {"type": "integer"},
                       "name": {"type": "string"}, "position": {"type": "integer"},
                       "fields": list_of("Field")},
    },
    "View": {
        "type": "object",
        "required": ["id", "table_id", "name", "filters", "sorts", "hidden_fields", "position",
                     "kind", "layout"],
        "properties": {"id": {"type": "integer"}, "table_id": {"type": "integer"},
                       "name": {"type": "string"}, "filters": {"type": ["object", "null"]},
                       "sorts": {"type": "array", "items": {"type": "object"}},
                       "hidden_fields": {"type": "array", "items": {"type": "integer"}},
                       "position": {"type": "integer"}, "kind": VIEW_KIND,
                       "layout": VIEW_LAYOUT},
    },
    "Record": {
        "type": "object", "required": ["id", "created_at", "updated_at", "fields"],
        "properties": {"id": {"type": "integer"}, "created_at": _TIME, "updated_at": _TIME,
                       "fields": {"type": "object",
                                  "description": "values keyed by field name (or id with key=id)"}},
    },
    "RecordPage": {
        "type": "object", "required": ["rows", "next_cursor", "total"],
        "properties": {"rows": list_of("Record"),
                       "next_cursor": {"type": ["string", "null"],
                                       "description": "pass as cursor for the next page"},
                       "total": {"type": ["integer", "null"]}},
    },
    "Count": {"type": "object", "required": ["count"],
              "properties": {"count": {"type": "integer"}}},
    "RecordIds": {"type": "object", "required": ["ids"],
                  "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}},
    "HistoryEntry": {
        "type": "object",
        "required": ["id", "change_set_id", "record_id", "field_id", "field_name", "action",
                     "old_value", "new_value", "actor", "created_at"],
        "properties": {"id": {"type": "integer"}, "change_set_id": {"type": "integer"},
                       "record_id": {"type": "integer"},
                       "field_id": {"type": ["integer", "null"]},
                       "field_name": {"type": ["string", "null"]},
                       "action": {"type": "string",
                                  "enum": ["create", "update", "delete", "undo", "retype"]},
                       "old_value": {}, "new_value": {}, "actor": {"type": ["string", "null"]},
                       "created_at": {"type": "string"}},
    },
    "ConversionReport": {
        "type": "object",
        "required": ["field_id", "from_type", "to_type", "options", "total", "converted",
                     "rejected"],
        "properties": {
            "field_id": {"type": "integer"}, "from_type": {"type": "string"},
            "to_type": {"type": "string"}, "options": _OPTIONS, "total": {"type": "integer"},
            "converted": {"type": "integer"},
            "rejected": {"type": "array", "items": {
                "type": "object", "required": ["record_id", "original_value", "reason"],
                "properties": {"record_id": {"type": "integer"}, "original_value": {},
                               "reason": {"type": "string"}}}},
        },
    },
}
