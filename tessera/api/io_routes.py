"""REST endpoints of the import wizard (upload → preview → commit) and of export, declared
as ``ApiRoute`` entries (``IO_ROUTES``) that tessera/api/routes.py adds to its route table.

The route table speaks JSON, so files travel base64-encoded in JSON bodies: an upload is kept
under ``upload_dir()`` between the preview and the commit, and the commit returns the reject
report (if any) the same way; export returns the file's bytes as ``content_base64``.

Extension points: ``EXPORT_ROW_FILTERS`` — callables ``(call, table) -> filter JSON | None``
that the access-rule layer appends to restrict the rows a user may export (each result is
ANDed with the view's filters). Imports write with the ``import:`` actor, so record automations
stay quiet unless the body says ``"run_automations": true``."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tessera.access.api_views import principal_of
from tessera.api.spec import ApiRoute, Call
from tessera.errors import NotFoundError
from tessera.io import ImportOptions, export_records, import_file, preview_import
from tessera.io.errors import ImportFileError
from tessera.io.readers import EXTENSIONS
from tessera.schema.catalog import TableInfo, get_table, get_view

__all__ = ["IO_ROUTES", "EXPORT_ROW_FILTERS", "upload_dir", "MAX_UPLOAD_BYTES"]

API_PREFIX = "/api/v1"   # = tessera.api.routes.API_PREFIX (importing it here would be circular)
MAX_UPLOAD_BYTES = 200 << 20
TAG = "import-export"

EXPORT_ROW_FILTERS: list[Callable[[Call, TableInfo], Mapping[str, Any] | None]] = []

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


def upload_dir() -> Path:
    """Where uploads wait for their commit: $TESSERA_UPLOAD_DIR or the system temp dir."""
    path = Path(os.environ.get("TESSERA_UPLOAD_DIR") or
                Path(tempfile.gettempdir()) / "tessera-uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _decode(content: str) -> bytes:
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImportFileError("content_base64 is not valid base64.",
                              "content_base64 不是有效的 base64。",
                              code="import_upload_invalid") from exc
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_UPLOAD_BYTES >> 20} MB; import it with the "
            "`tessera import` command instead.",
            f"文件超过 {MAX_UPLOAD_BYTES >> 20} MB，请改用 `tessera import` 命令导入。",
            code="import_upload_too_large")
    return data


def _data_file(table_id: int, upload_id: str) -> Path:
    if _UPLOAD_ID.fullmatch(upload_id):
        for suffix in EXTENSIONS:
            path = upload_dir() / f"{table_id}-{upload_id}{suffix}"
            if path.exists():
                return path
    raise NotFoundError("upload", upload_id)


def _options(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"sheet": body.get("sheet"), "key": body.get("key"),
            "links": dict(body.get("links") or {})}


def upload_import_file(call: Call) -> dict[str, Any]:
    table_id = call.path["table_id"]
    name = Path(call.body["filename"]).name
    suffix = Path(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ImportFileError(f"{name}: upload an {', '.join(EXTENSIONS)} file.",
                              f"{name}：请上传 {'、'.join(EXTENSIONS)} 文件。",
                              code="import_unsupported_file")
    upload_id = secrets.token_hex(16)
    path = upload_dir() / f"{table_id}-{upload_id}{suffix}"
    path.write_bytes(_decode(call.body["content_base64"]))
    (upload_dir() / f"{table_id}-{upload_id}.name").write_text(name, encoding="utf-8")
    try:
        preview = preview_import(call.engine, table_id, path, limit=call.body.get("limit", 20),
                                 **_options(call.body))
    except BaseException:
        _discard(path)
        raise
    return {"upload_id": upload_id, **preview.to_dict(), "file": name}


def preview_import_upload(call: Call) -> dict[str, Any]:
    table_id = call.path["table_id"]
    path = _data_file(table_id, call.path["upload_id"])
    preview = preview_import(call.engine, table_id, path, limit=call.body.get("limit", 20),
                             **_options(call.body))
    return {"upload_id": call.path["upload_id"], **preview.to_dict(),
            "file": _original_name(path)}


def _original_name(path: Path) -> str:
    marker = path.with_suffix(".name")
    return marker.read_text(encoding="utf-8") if marker.exists() else path.name


def _discard(path: Path) -> None:
    for p in (path, path.with_suffix(".name")):
        p.unlink(missing_ok=True)


def commit_import_upload(call: Call) -> dict[str, Any]:
    table_id = call.path["table_id"]
    path = _data_file(table_id, call.path["upload_id"])
    name = _original_name(path)
    rejects = path.with_name(path.stem + ".rejects.xlsx")
    body = call.body
    options = ImportOptions(create_fields=body.get("create_fields", False),
                            all_or_nothing=body.get("all_or_nothing", False),
                            run_automations=body.get("run_automations", False),
                            reject_report=rejects, **_options(body))
    try:
        result = import_file(call.engine, table_id, path, options)
    finally:
        _discard(path)
    summary = result.to_dict()
    summary["file"] = name
    summary["reject_report"] = None
    if result.reject_report is not None:
        summary["reject_report"] = {
            "filename": Path(name).stem + ".rejects.xlsx",
            "content_base64": base64.b64encode(result.reject_report.read_bytes()).decode()}
        result.reject_report.unlink(missing_ok=True)
    return summary


def export_table_file(call: Call) -> dict[str, Any]:
    table_id = call.path["table_id"]
    return _export(call, get_table(call.engine, table_id).name, table_id=table_id)


def export_view_file(call: Call) -> dict[str, Any]:
    view = get_view(call.engine, call.path["view_id"])
    return _export(call, view.name, view_id=view.id)


def _export(call: Call, title: str, *, table_id: int | None = None,
            view_id: int | None = None) -> dict[str, Any]:
    fmt = call.body.get("format", "xlsx")

    def row_filter(table: TableInfo) -> Mapping[str, Any] | None:
        parts = [f for f in (hook(call, table) for hook in EXPORT_ROW_FILTERS) if f]
        return {"and": parts} if len(parts) > 1 else (parts[0] if parts else None)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        result = export_records(call.engine, path, table_id=table_id, view_id=view_id,
                                row_filter=row_filter, principal=principal_of(call))
        content = base64.b64encode(path.read_bytes()).decode()
    return {"filename": f"{title}.{fmt}", "rows": result.rows,
            "columns": result.columns, "content_base64": content,
            "media_type": _MEDIA[fmt]}


_MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "csv": "text/csv; charset=utf-8"}


def _obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": properties}


_STR = {"type": "string", "minLength": 1}
_MAPPING_PROPS = {
    "sheet": _STR, "key": _STR,
    "links": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1},
              "description": "link field → field of the linked table to find records by"},
}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}
_PREVIEW = {"type": "object", "required": ["upload_id", "file", "columns", "rows"],
            "properties": {"upload_id": {"type": "string"}, "file": {"type": "string"},
                           "sheet": {"type": ["string", "null"]},
                           "columns": {"type": "array", "items": {"type": "object"}},
                           "inferred_types": {"type": "object"},
                           "rows": {"type": "array", "items": {"type": "object"}}}}
_FILE = {"type": "object", "required": ["filename", "content_base64"],
         "properties": {"filename": {"type": "string"}, "content_base64": {"type": "string"}}}
_RESULT = {"type": "object", "required": ["created", "updated", "rejected", "committed"],
           "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"},
                          "rejected": {"type": "integer"}, "committed": {"type": "boolean"},
                          "reject_report": {"anyOf": [_FILE, {"type": "null"}]}}}
_EXPORT_BODY = _obj([], {"format": {"type": "string", "enum": ["xlsx", "csv"],
                                    "default": "xlsx"}})
_EXPORTED = {"type": "object", "required": ["filename", "rows", "content_base64"],
             "properties": {"filename": {"type": "string"}, "rows": {"type": "integer"},
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "content_base64": {"type": "string"},
                            "media_type": {"type": "string"}}}

_T = API_PREFIX + "/tables/{table_id:int}"
_U = _T + "/imports/{upload_id}"

IO_ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", _T + "/imports", upload_import_file,
             "Upload an .xlsx/.xlsm/.csv file (base64) and preview its mapping and first rows",
             TAG, _PREVIEW, status=201, errors=(400, 404),
             body=_obj(["filename", "content_base64"], {
                 "filename": _STR, "content_base64": {"type": "string"}, "limit": _LIMIT,
                 **_MAPPING_PROPS})),
    ApiRoute("POST", _U + "/preview", preview_import_upload,
             "Preview an uploaded file again with another sheet, key or link fields", TAG,
             _PREVIEW, body=_obj([], {"limit": _LIMIT, **_MAPPING_PROPS}), errors=(400, 404)),
    ApiRoute("POST", _U + "/commit", commit_import_upload,
             "Import an uploaded file: upsert by key, reject report for the rows that failed",
             TAG, _RESULT, errors=(400, 404), body=_obj([], {
                 **_MAPPING_PROPS, "create_fields": {"type": "boolean"},
                 "all_or_nothing": {"type": "boolean"},
                 "run_automations": {"type": "boolean"}})),
    ApiRoute("POST", _T + "/export", export_table_file,
             "Export a table as .xlsx or .csv (UTF-8 with BOM), base64 in JSON", TAG,
             _EXPORTED, body=_EXPORT_BODY, errors=(400, 404)),
    ApiRoute("POST", API_PREFIX + "/views/{view_id:int}/export", export_view_file,
             "Export a view (its filters, sorts and visible fields) as .xlsx or .csv", TAG,
             _EXPORTED, body=_EXPORT_BODY, errors=(400, 404)),
)
