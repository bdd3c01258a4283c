"""Live updates across processes in Chromium: a change another process commits (a separate
Python process writing through the storage API, or the ``tessera import`` CLI) appears in an
open grid within a second, on SQLite and PostgreSQL, without losing the cell being edited."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.browser.conftest import new_page, screenshot, wait_until
from tests.web.test_ui_live import other_process

ROOT = Path(__file__).resolve().parents[2]


def _open(context: Any, server: Any, table_id: int) -> Any:
    page = new_page(context, server)
    page.goto(f"{server.url}/tables/{table_id}")
    page.wait_for_selector("body[data-grid-ready=true]")
    wait_until(page, "() => document.body.dataset.live === 'ready'")
    return page


def _cell_text(page: Any, row: int, col: int) -> str:
    return page.evaluate(
        "([r, c]) => { const el = document.querySelector("
        "`.vg-body [aria-rowindex=\"${r}\"] [aria-colindex=\"${c}\"]`);"
        " return el ? el.textContent : null; }", [row + 1, col + 1])


def test_a_change_from_another_process_appears_within_a_second(context, backend_server,
                                                               api_for, backend) -> None:
    api = api_for(backend_server)
    base = api("POST", "/api/v1/bases", {"name": "Front desk"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables",
                {"name": "Callbacks", "fields": [{"name": "Note", "type": "text"}]})
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create",
        {"records": [{"fields": {"Name": n, "Note": "-"}} for n in ("Li", "Wang", "Zhao")]})
    page = _open(context, backend_server, table["id"])
    # someone is typing in row 3 when the other process changes row 1
    page.locator('.vg-body [aria-rowindex="4"] [aria-colindex="3"]').click()
    page.keyboard.type("half-typed")
    # the page notes (wall clock, ms) when the cell shows the other process's text
    page.evaluate("""() => { window.seenAt = null; const timer = setInterval(() => {
        const el = document.querySelector('.vg-body [aria-rowindex="2"] [aria-colindex="3"]');
        if (el && el.textContent === 'called back') { window.seenAt = Date.now(); clearInterval(timer); }
      }, 10); }""")
    url = backend_server.engine.url.render_as_string(hide_password=False)
    committed = other_process(url, table["id"], 1, "called back")
    seen = wait_until(page, "() => window.seenAt", timeout_s=5) / 1000
    assert seen - committed < 1.0, f"{seen - committed:.2f} s after the commit"
    assert _cell_text(page, 1, 2) == "called back"
    assert page.locator(".vg-editor input").input_value() == "half-typed"
    screenshot(page, f"live-other-process-{backend}")


def test_a_cli_import_shows_up_in_the_open_grid(context, sqlite_server, api_for,
                                                tmp_path) -> None:
    api = api_for(sqlite_server)
    base = api("POST", "/api/v1/bases", {"name": "Import live"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables",
                {"name": "Leads", "fields": [{"name": "Phone", "type": "phone"}]})
    page = _open(context, sqlite_server, table["id"])
    assert page.evaluate("() => window.tesseraGrid.total") == 0
    sheet = tmp_path / "leads.csv"
    sheet.write_text("Name,Phone\nChen,13800000001\nSun,13800000002\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    url = sqlite_server.engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-m", "tessera", "--db", url, "import", str(base["id"]),
                    str(table["id"]), str(sheet)], check=True, env=env, cwd=ROOT, timeout=120,
                   capture_output=True)
    wait_until(page, "() => window.tesseraGrid.total === 2", timeout_s=3)
    assert _cell_text(page, 2, 1) == "Sun"
