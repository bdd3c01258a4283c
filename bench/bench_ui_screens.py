"""Browser benchmark of the app pack screens and the visual automation editor, on the clinic
pack installed with sample data, served by uvicorn and measured in Debian's Chromium.

1. /packs: navigation → the installed list and install form ready;
2. /bases/{id}/automations: navigation → the automation list loaded and the editor built
   (the clinic pack's automations, the registries' forms, the first table's records);
3. the editor's dry run before saving (draft → checked → steps shown), in the browser;
4. /bases/{id}/pack: "Preview the changes" of the bundled pack → the plan shown;
5. the export download (/bases/{id}/pack/export.zip) and the draft dry-run API, over HTTP.

Usage: .venv/bin/python bench/bench_ui_screens.py [sqlite|postgresql] [SAMPLE]
(PostgreSQL: TESSERA_BENCH_PG_URL, else a throwaway cluster is started)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera.packs import install, load_pack  # noqa: E402
from tessera.web.packs_page import APPS_DIR  # noqa: E402
from tests.browser.conftest import CHROMIUM, Api, LiveServer, create_admin, login  # noqa: E402

OUT = Path(__file__).parent / "out" / "bench_ui_screens.json"
REPEAT = 5


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _poll(page: Any, js: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {js}")
        page.wait_for_timeout(5)


def _timed_goto(page: Any, url: str, ready_js: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    _poll(page, ready_js)
    return time.perf_counter() - started


def measure(server: LiveServer, base_id: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    api = Api(server)
    automations = api("GET", f"/api/v1/bases/{base_id}/automations")
    tables = api("GET", f"/api/v1/bases/{base_id}/tables")
    first = next(a for a in automations if a["table_id"])
    table = next(t for t in tables if t["id"] == first["table_id"])
    record = api("GET", f"/api/v1/tables/{table['id']}/records?limit=1&total=false")["rows"][0]
    draft = {"table_id": first["table_id"], "trigger": first["trigger"],
             "condition": first["condition"], "actions": first["actions"],
             "record_id": record["id"]}
    results: dict[str, Any] = {"automations": len(automations), "tables": len(tables)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        login(page, server.url)
        packs = [_timed_goto(page, server.url + "/packs",
                             "() => document.querySelector('#pi-specialty-row') !== null")
                 for _ in range(REPEAT)]
        editor = [_timed_goto(page, f"{server.url}/bases/{base_id}/automations",
                              "() => document.getElementById('automations').dataset.loaded "
                              "&& document.querySelector('#a-dry-record option[value]:not([value=\"\"])')")
                  for _ in range(REPEAT)]
        page.locator(".automation .edit").first.click()
        page.wait_for_timeout(300)
        dry = []
        for _ in range(REPEAT):
            page.evaluate("() => document.getElementById('a-dry-result').replaceChildren()")
            started = time.perf_counter()
            page.click("#a-dry-run")
            _poll(page, "() => document.querySelector('#a-dry-result .ae-dry-condition') || "
                        "document.getElementById('automation-error').textContent")
            dry.append(time.perf_counter() - started)
        preview = []
        for _ in range(3):
            page.goto(f"{server.url}/bases/{base_id}/pack")
            started = time.perf_counter()
            page.click("#pu-preview")
            _poll(page, "() => document.querySelector('#pu-plan .pack-plan-head')")
            preview.append(time.perf_counter() - started)
        browser.close()
    export, api_dry = [], []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = api.client.get(f"/bases/{base_id}/pack/export.zip")
        assert response.status_code == 200, response.text
        export.append(time.perf_counter() - started)
    for _ in range(20):
        started = time.perf_counter()
        api("POST", f"/api/v1/bases/{base_id}/automations/dry-run", draft)
        api_dry.append(time.perf_counter() - started)
    api.client.close()
    results.update({
        "packs_page_ready_ms": _median_ms(packs),
        "automations_page_ready_ms": _median_ms(editor),
        "editor_dry_run_ms": _median_ms(dry),
        "upgrade_preview_ms": _median_ms(preview),
        "export_zip_ms": _median_ms(export), "export_zip_bytes": len(response.content),
        "draft_dry_run_api_ms": _median_ms(api_dry),
    })
    return results


@contextlib.contextmanager
def _pg_server() -> Iterator[str]:
    """TESSERA_BENCH_PG_URL, else a throwaway PostgreSQL cluster."""
    if os.environ.get("TESSERA_BENCH_PG_URL"):
        yield os.environ["TESSERA_BENCH_PG_URL"]
        return
    from tessera.testing.pgcluster import PgCluster

    with PgCluster() as cluster:
        yield cluster.url


def main() -> None:
    from tessera.testing.databases import migrated_engine

    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pg = stack.enter_context(_pg_server()) if backend == "postgresql" else None
        engine = stack.enter_context(migrated_engine(backend, sqlite_dir=Path(tmp),
                                                     pg_server_url=pg, prefix="bench_ui_"))
        server = LiveServer(engine.url.render_as_string(hide_password=False)).start()
        create_admin(server)  # a site admin: sees every base
        try:
            started = time.perf_counter()
            result = install(server.engine, load_pack(APPS_DIR / "clinic_crm"), "Bench clinic",
                             sample=sample)
            numbers = {"backend": backend, "sample": sample,
                       "install_s": round(time.perf_counter() - started, 2),
                       **measure(server, result.base_id), "load": os.getloadavg()}
        finally:
            server.stop()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(numbers, indent=1))
    print(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
