"""The app pack screens: ``/packs`` lists the packs installed in the bases the user sees (with
versions) and the bundled packs of apps/, and installs one (bundled or uploaded) into a new base
with a sample size and specialty; ``/bases/{id}/pack`` previews an upgrade (the plan and its
conflicts) before applying it, and exports the base as a downloadable pack (.zip or pack.yaml).

The pages are shells: ui/static/js/packs.js sends the pack's text to the packs REST API
(tessera/api/pack_routes.py), so the browser does exactly what an API client can. This module
adds only what a browser needs besides: the bundled packs' text, taking an uploaded zip apart
(tessera.web.pack_archive) and the export as a file download."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.access.api_views import list_visible_bases, require_base
from tessera.errors import NotFoundError
from tessera.web.pack_archive import MAX_ZIP_BYTES, pack_zip, read_pack_zip
from tessera.web.responses import json_response
from tessera.web.ui_i18n import threaded_page

__all__ = ["PACK_PAGE_ROUTES", "APPS_DIR", "bundled_packs", "installed_packs"]

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"


def _localized(value: Any, locale: str) -> str:
    if isinstance(value, dict):
        return str(value.get("zh-CN" if locale == "zh" else "en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


@functools.lru_cache(maxsize=32)
def _pack_data(pack_file: Path, mtime_ns: int) -> dict[str, Any] | None:
    """The parsed pack.yaml of a bundled pack, cached until the file changes (parsing the
    clinic pack with positions takes ~0.1–0.5 s: too slow for every page view)."""
    from tessera.packs import PackValidationError, load_pack

    try:
        return load_pack(pack_file.parent).data
    except PackValidationError:
        return None  # a broken bundled pack is reported by `tessera pack validate`, not here


def bundled_packs(locale: str, apps_dir: Path = APPS_DIR) -> list[dict[str, Any]]:
    """The pack folders shipped in apps/: name, version, title, description and sample-data
    choices (default count, specialties), read from each pack.yaml."""
    out = []
    for folder in sorted(p for p in apps_dir.iterdir() if (p / "pack.yaml").is_file()):
        data = _pack_data(folder / "pack.yaml", (folder / "pack.yaml").stat().st_mtime_ns)
        if data is None:
            continue
        sample = data.get("sample_data") or {}
        specialty = (sample.get("options") or {}).get("specialty")
        out.append({"folder": folder.name, "name": data.get("name"),
                    "version": str(data.get("version")),
                    "title": _localized(data.get("title"), locale) or folder.name,
                    "description": _localized(data.get("description"), locale),
                    "sample_default": sample.get("default"),
                    "specialties": specialty if isinstance(specialty, list) else
                    [specialty] if specialty else []})
    return out


def installed_packs(engine: Any) -> list[dict[str, Any]]:
    """One row per visible base installed from a pack: base, pack, version, dates."""
    from tessera.packs.models import INSTALLED_PACKS as P

    bases = {b.id: b.name for b in list_visible_bases(engine)}
    if not bases:
        return []
    with engine.begin() as conn:
        rows = conn.execute(sa.select(P.c.base_id, P.c.name, P.c.version, P.c.installed_at,
                                      P.c.updated_at).where(P.c.base_id.in_(list(bases)))
                            .order_by(P.c.base_id)).all()
    return [{"base_id": r.base_id, "base_name": bases[r.base_id], "pack": r.name,
             "version": r.version, "installed_at": str(r.installed_at)[:16],
             "updated_at": str(r.updated_at)[:16]} for r in rows]


def _packs_context(engine: Any, locale: str) -> dict[str, Any]:
    bundled = bundled_packs(locale)
    config = {"locale": locale, "bundled": bundled, "maxZip": MAX_ZIP_BYTES}
    return {"installed": installed_packs(engine), "bundled": bundled,
            "config": json.dumps(config, ensure_ascii=False)}


def _base_pack_context(engine: Any, base_id: int, locale: str) -> dict[str, Any]:
    from tessera.packs.store import load_installed

    with engine.begin() as conn:
        base = schema.get_base(conn, base_id)
        require_base(conn, "schema.write", base_id)  # upgrading and exporting are schema work
        installed = load_installed(conn, base_id)
    bundled = [b for b in bundled_packs(locale) if installed and b["name"] == installed.name]
    pack = {"name": installed.name, "version": installed.version} if installed else None
    config = {"locale": locale, "baseId": base_id, "installed": pack, "bundled": bundled,
              "maxZip": MAX_ZIP_BYTES}
    return {"base": base, "installed": pack, "bundled": bundled,
            "config": json.dumps(config, ensure_ascii=False)}


async def bundled_files(request: Request) -> Response:
    """``GET /ui/packs/bundled/{folder}``: the text of a bundled pack and its locale files."""
    folder = request.path_params["folder"]
    names = {p.name for p in APPS_DIR.iterdir() if (p / "pack.yaml").is_file()}
    if folder not in names:  # only the listed folders: never a path from the request
        raise NotFoundError("pack", folder)
    root = APPS_DIR / folder
    locales = {p.stem: p.read_text(encoding="utf-8")
               for p in sorted((root / "locales").glob("*.yaml"))}
    return json_response({"text": (root / "pack.yaml").read_text(encoding="utf-8"),
                          "locales": locales})


async def read_upload(request: Request) -> Response:
    """``POST /ui/packs/unzip`` (the zip as the body): pack.yaml's text and its locales."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_ZIP_BYTES:
            break  # read_pack_zip refuses it with the size in the message
    files = await run_in_threadpool(read_pack_zip, data)
    return json_response(files.to_dict())


def _export(engine: Any, base_id: int) -> tuple[dict[str, Any], str]:
    from tessera.packs.export import dump_pack, export_base

    require_base(engine, "schema.write", base_id)  # an export lists every field and formula
    pack = export_base(engine, base_id)
    return pack, dump_pack(pack)


def _download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store"})


async def export_download(request: Request) -> Response:
    """``GET /bases/{id}/pack/export.zip`` or ``.yaml``: the base as a pack file."""
    base_id, kind = request.path_params["base_id"], request.path_params["kind"]
    if kind not in ("zip", "yaml"):
        raise NotFoundError("pack export format", kind)
    pack, text = await run_in_threadpool(_export, request.app.state.engine, base_id)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{pack['name']}-{pack['version']}")
    if kind == "yaml":
        return _download(text.encode("utf-8"), "pack.yaml", "application/yaml")
    return _download(pack_zip(slug, {"pack.yaml": text}), f"{slug}.zip", "application/zip")


PACK_PAGE_ROUTES = [
    Route("/packs", threaded_page("pages/packs.html", _packs_context), name="packs"),
    Route("/bases/{base_id:int}/pack",
          threaded_page("pages/packs_base.html", _base_pack_context, "base_id"),
          name="base_pack"),
    Route("/bases/{base_id:int}/pack/export.{kind:str}", export_download,
          name="pack_export_file"),
    Route("/ui/packs/bundled/{folder:str}", bundled_files, name="pack_bundled_files"),
    Route("/ui/packs/unzip", read_upload, methods=["POST"], name="pack_unzip"),
]
