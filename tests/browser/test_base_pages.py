"""Base-level pages in Chromium: create a base and a table from the browser, import an xlsx
through the wizard (preview, rejected rows, key) and dashboards drawn as SVG. The automation
editor has its own file (test_automation_editor.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tessera.dashboards import create_dashboard
from tests.browser.conftest import new_page, screenshot, wait_until


@pytest.fixture
def api(sqlite_server: Any, api_for: Any) -> Any:
    return api_for(sqlite_server)


def test_create_base_and_table_from_the_browser(context, sqlite_server) -> None:
    page = new_page(context, sqlite_server)
    page.goto(sqlite_server.url + "/")
    page.fill("#create-base input[name=name]", "Aesthetics Center")
    page.click("#create-base button")
    page.wait_for_url("**/bases/*")
    page.fill("#create-table input[name=name]", "Clients")
    page.click("#create-table button")
    page.wait_for_url("**/tables/*")
    page.wait_for_selector("body[data-grid-ready=true]")
    assert page.locator("[role=columnheader][data-type=text]").inner_text() == "Name"
    page.click("#btn-add-row")
    wait_until(page, "() => window.tesseraGrid.total === 1")
    page.keyboard.type("Ms. Liu")
    page.keyboard.press("Enter")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                     "[aria-colindex=\"2\"]').textContent === 'Ms. Liu'")
    # a duplicate table name is refused with a message on the form
    page.go_back()
    page.fill("#create-table input[name=name]", "clients")
    page.click("#create-table button")
    page.locator("#create-table .error-message", has_text="clients").wait_for()


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_import_wizard_previews_rejects_and_imports(context, sqlite_server, api,
                                                    tmp_path) -> None:
    base = api("POST", "/api/v1/bases", {"name": "Import clinic"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Patients", "fields": [{"name": "Phone", "type": "text"},
                                       {"name": "Age", "type": "number"}]})
    api("POST", f"/api/v1/tables/{table['id']}/records",
        {"fields": {"Name": "Old", "Phone": "139", "Age": 1}})
    file = _xlsx(tmp_path / "patients.xlsx", [
        ["Name", "Phone", "Age", "Notes"],
        ["Li Lei", "138", 30, "new"], ["Han Mei", "137", "thirty", "bad age"],
        ["Old updated", "139", 41, "same phone"]])
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/tables/{table['id']}/import")
    page.set_input_files("#import-file", str(file))
    page.locator("#step-map").wait_for()
    statuses = page.locator("#import-columns tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)")
    assert statuses == ["mapped", "mapped", "mapped", "unmapped"]
    assert page.locator("#import-rows tr.import-problem").count() == 1
    assert "thirty" in page.locator("#import-rows tr.import-problem").inner_text()
    page.select_option("#import-key", "Phone")
    screenshot(page, "import-preview")
    page.click("#import-commit")
    page.locator("#step-result").wait_for()
    result = page.locator("#import-result")
    assert (result.get_attribute("data-created"), result.get_attribute("data-rejected")) == \
        ("1", "1")
    assert page.locator("#import-rejects").get_attribute("download")
    rows = api("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert sorted((r["fields"]["Name"], r["fields"]["Age"]) for r in rows) == \
        [("Li Lei", 30), ("Old updated", 41)]


def test_dashboard_widgets_are_svg_charts(context, sqlite_server, api) -> None:
    base = api("POST", "/api/v1/bases", {"name": "Dash clinic"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Customers", "fields": [
            {"name": "Stage", "type": "single_select", "options": {"choices": [
                {"label": "Lead"}, {"label": "Visited"}, {"label": "Loyal"}]}},
            {"name": "Spend", "type": "number"}]})
    stage, spend = table["fields"][1]["id"], table["fields"][2]["id"]
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create", {"records": [
        {"fields": {"Name": f"c{i}", "Stage": s, "Spend": i * 10}}
        for i, s in enumerate(["Lead"] * 5 + ["Visited"] * 3 + ["Loyal"] * 2)]})
    widgets = [
        {"type": "number", "title": "Customers", "table_id": table["id"]},
        {"type": "funnel", "title": "Lifecycle", "table_id": table["id"],
         "group_by_field_id": stage},
        {"type": "bar", "title": "Spend by stage", "table_id": table["id"],
         "group_by_field_id": stage, "aggregate": "sum", "field_id": spend},
        {"type": "pie", "title": "Share", "table_id": table["id"], "group_by_field_id": stage},
        {"type": "line", "title": "Trend", "table_id": table["id"], "group_by_field_id": stage},
    ]
    create_dashboard(sqlite_server.engine, base["id"], "Overview", widgets)
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/bases/{base['id']}/dashboards")
    assert page.locator(".widget svg").count() == 5
    assert page.locator(".widget[data-type=number] .big-number").text_content() == "10"
    funnel = page.locator(".widget[data-type=funnel] .stage")
    assert funnel.evaluate_all("g => g.map(x => [x.dataset.label, x.dataset.value])") == \
        [["Lead", "5"], ["Visited", "3"], ["Loyal", "2"]]
    bars = page.locator(".widget[data-type=bar] .bar").evaluate_all(
        "g => g.map(x => [x.dataset.label, Number(x.dataset.value)])")
    assert bars == [["Lead", 100], ["Visited", 180], ["Loyal", 170]]
    assert page.locator(".widget[data-type=pie] .slice").count() == 3
    assert page.js_errors == []
    screenshot(page, "dashboard")
