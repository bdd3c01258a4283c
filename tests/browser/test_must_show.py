"""The issue's "Must show" flow as ONE clinic admin's session on one table, in Chromium: log in,
create a base and a table, add fields of several types in the designer, type and paste data,
write a formula with a mistake, see the error, fix it, filter/sort/group and save a view, drag
a kanban card, submit the intake form, import an xlsx, and see a second tab update live —
with a screenshot of each key screen (tests/browser/artifacts/journey-*.png).

Each step is also tested in depth elsewhere (test_admin_flow.py, test_grid.py,
test_base_pages.py, test_automation_editor.py for building an automation and its run)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.browser.conftest import new_page, screenshot, wait_until
from tests.browser.test_admin_flow import type_formula_with_a_mistake
from tests.browser.test_grid import _paste
from tests.browser.test_grid import cell as _cell


def _add_field(page: Any, name: str, kind: str, choices: list[str] | None = None) -> None:
    page.click("#btn-add-field")
    page.fill(".field-designer input[name=name]", name)
    page.select_option(".field-designer select[name=type]", kind)
    if choices:
        page.fill(".field-designer textarea.choices", "\n".join(choices))
    with page.expect_navigation():
        page.click(".field-designer button[type=submit]")
    page.wait_for_selector("body[data-grid-ready=true]")


def _records(api: Any, table_id: int) -> list[dict[str, Any]]:
    return [r["fields"] for r in api("GET", f"/api/v1/tables/{table_id}/records?limit=100")["rows"]]


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_clinic_admin_journey(context, sqlite_server, api_for, tmp_path) -> None:
    api = api_for(sqlite_server)
    url = sqlite_server.url
    page = new_page(context, sqlite_server)  # signs in through the /login form
    page.goto(url + "/")
    assert "/login" not in page.url

    # a base and a table, from the browser
    page.fill("#create-base input[name=name]", "Journey Clinic")
    page.click("#create-base button")
    page.wait_for_url("**/bases/*")
    page.fill("#create-table input[name=name]", "Patients")
    page.click("#create-table button")
    page.wait_for_url(re.compile(r"/tables/\d+$"))
    page.wait_for_selector("body[data-grid-ready=true]")
    table_id = int(page.url.rsplit("/", 1)[1])

    # fields of several types through the designer
    _add_field(page, "Spend", "number")
    _add_field(page, "Stage", "single_select", ["Lead", "Active", "Lapsed"])
    _add_field(page, "Visit", "date")
    assert page.locator("[role=columnheader] .vg-col-name").all_inner_texts() == \
        ["Name", "Spend", "Stage", "Visit"]
    screenshot(page, "journey-1-fields")

    # type into a new row, then paste a block from Excel over it and below
    page.click("#btn-add-row")
    wait_until(page, "() => window.tesseraGrid.total === 1", timeout_s=20)
    # the new row's first cell is active once the grid has the focus back from the button
    wait_until(page, "() => document.activeElement === window.tesseraGrid.root")
    page.keyboard.type("Li")
    page.keyboard.press("Enter")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                     "[aria-colindex=\"2\"]').textContent === 'Li'")
    _cell(page, 1, 2).click()
    _paste(page, "1200\tLead\t2026-12-01\r\n300\tLead\t2026-12-02\r\n800\tActive\t2026-12-03\r\n")
    wait_until(page, "() => window.tesseraGrid.total === 3")
    _cell(page, 2, 1).click()
    page.keyboard.type("Wang")
    page.keyboard.press("Enter")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"3\"] "
                     "[aria-colindex=\"2\"]').textContent === 'Wang'")
    page.keyboard.type("Zhao")  # Enter moved down a row, like Excel
    page.keyboard.press("Enter")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"4\"] "
                     "[aria-colindex=\"2\"]').textContent === 'Zhao'")
    rows = _records(api, table_id)
    assert [(r["Name"], r["Spend"], r["Stage"], r["Visit"]) for r in rows] == [
        ("Li", 1200, "Lead", "2026-12-01"), ("Wang", 300, "Lead", "2026-12-02"),
        ("Zhao", 800, "Active", "2026-12-03")]
    screenshot(page, "journey-2-data")

    # a formula with a mistake: the error names it; fixed, it previews on the real rows
    editor = type_formula_with_a_mistake(page)
    screenshot(page, "journey-3-formula-error")
    editor.fill("")
    editor.type('IF({Spend} >= 1000, "gold", "basic")')
    wait_until(page, "() => document.querySelectorAll('.formula-preview tr').length === 3")
    assert page.locator(".formula-errors li").count() == 0
    with page.expect_navigation():
        page.click(".field-designer button[type=submit]")
    page.wait_for_selector("body[data-grid-ready=true]")
    assert [r["Class"] for r in _records(api, table_id)] == ["gold", "basic", "basic"]

    # filter Spend > 500, sort by Spend descending, group by Stage, save as a view
    page.click("#btn-filter")
    page.click(".filter-group .add-condition")
    condition = page.locator(".filter-condition").nth(0)
    condition.locator(".filter-field").select_option(label="Spend")
    condition.locator(".filter-op").select_option(">")
    condition.locator(".filter-value").fill("500")
    page.click(".panel .apply")
    wait_until(page, "() => window.tesseraGrid.total === 2")
    page.click("#btn-sort")
    page.click(".add-sort")
    page.locator(".sort-row .sort-field").select_option(label="Spend")
    page.locator(".sort-row .sort-dir").select_option("desc")
    page.click(".panel .apply")
    page.click("#btn-group")
    page.locator(".group-field").select_option(label="Stage")
    page.click(".panel .apply")
    page.locator(".group-chip").first.wait_for()
    assert page.locator(".group-chip").all_inner_texts()[0].startswith("Active (1)")
    page.once("dialog", lambda d: d.accept("Big spenders"))
    page.click("#btn-save-view")
    page.wait_for_url(re.compile(r"\?view=\d+"))
    page.wait_for_selector("body[data-grid-ready=true]")
    wait_until(page, "() => window.tesseraGrid.total === 2")
    screenshot(page, "journey-4-saved-view")
    views = api("GET", f"/api/v1/tables/{table_id}/views")
    assert [v["name"] for v in views] == ["Big spenders"]

    # drag Wang's card from Lead to Active on the kanban
    page.goto(f"{url}/tables/{table_id}/kanban")
    page.drag_and_drop('.kanban-card:has-text("Wang")', '.kanban-column[data-value="Active"]')
    wait_until(page, "() => document.querySelector('.kanban-card[data-moved]')")
    assert [r["Stage"] for r in _records(api, table_id)] == ["Lead", "Active", "Active"]
    screenshot(page, "journey-5-kanban")

    # the intake form
    ids = {f["name"]: f["id"] for f in api("GET", f"/api/v1/tables/{table_id}")["fields"]}
    page.goto(f"{url}/tables/{table_id}/form")
    page.fill(f"#f_{ids['Name']}", "Sun")
    page.fill(f"#f_{ids['Spend']}", "650")
    page.select_option(f"#f_{ids['Stage']}", "Lead")
    page.click(".intake-form button[type=submit]")
    page.locator(".form-thanks").wait_for()
    screenshot(page, "journey-6-form-sent")

    # import an xlsx through the wizard
    sheet = _xlsx(tmp_path / "more.xlsx", [["Name", "Spend", "Stage"], ["Qian", 90, "Lapsed"],
                                            ["Zhou", 2100, "Active"]])
    page.goto(f"{url}/tables/{table_id}/import")
    page.set_input_files("#import-file", str(sheet))
    page.locator("#step-map").wait_for()
    screenshot(page, "journey-7-import-preview")
    page.click("#import-commit")
    page.locator("#step-result").wait_for()
    assert page.locator("#import-result").get_attribute("data-created") == "2"
    assert [r["Name"] for r in _records(api, table_id)] == \
        ["Li", "Wang", "Zhao", "Sun", "Qian", "Zhou"]

    # a second tab follows a change made in the first within a second
    page.goto(f"{url}/tables/{table_id}")
    page.wait_for_selector("body[data-grid-ready=true]")
    second = context.new_page()
    second.goto(f"{url}/tables/{table_id}")
    second.wait_for_selector("body[data-grid-ready=true]")
    wait_until(second, "() => document.body.dataset.live === 'ready'")
    _cell(page, 1, 1).click()
    page.keyboard.type("Li Na")
    started = time.monotonic()
    page.keyboard.press("Enter")
    wait_until(second, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                       "[aria-colindex=\"2\"]').textContent === 'Li Na'", timeout_s=3)
    assert time.monotonic() - started < 1.5
    screenshot(second, "journey-8-second-tab-live")
    assert page.js_errors == []
