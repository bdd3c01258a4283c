"""Saved view layouts in Chromium: a kanban stacked by another field is saved as a new view
and reopens stacked that way from the sidebar; a grid view opens grouped, in its saved column
order and row height, and "save view" stores a moved column back in the layout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import new_page, wait_until


@pytest.fixture
def api(sqlite_server: Any, api_for: Any) -> Any:
    return api_for(sqlite_server)


@pytest.fixture
def deals(api: Any) -> dict[str, Any]:
    base = api("POST", "/api/v1/bases", {"name": "Layouts"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {"name": "Deals", "fields": [
        {"name": "Stage", "type": "single_select", "options": {"choices": ["New", "Won"]}},
        {"name": "Region", "type": "single_select", "options": {"choices": ["North", "South"]}},
        {"name": "Amount", "type": "number"}]})
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create", {"records": [
        {"fields": {"Name": "A", "Stage": "New", "Region": "South", "Amount": 1}},
        {"fields": {"Name": "B", "Stage": "Won", "Region": "South", "Amount": 2}}]})
    return table


def _fid(table: dict[str, Any], name: str) -> int:
    return next(f["id"] for f in table["fields"] if f["name"] == name)


def test_kanban_saved_as_a_view_reopens_with_its_stack(context, sqlite_server, api,
                                                       deals) -> None:
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/tables/{deals['id']}/kanban")
    page.select_option("#stack-field", str(_fid(deals, "Region")))
    page.click("form.toolbar button[type=submit]")
    page.wait_for_url("**field=*")
    page.once("dialog", lambda dialog: dialog.accept("By region"))
    page.click("#btn-save-view")
    page.wait_for_url("**/kanban?view=*")
    [view] = api("GET", f"/api/v1/tables/{deals['id']}/views")
    assert (view["name"], view["kind"]) == ("By region", "kanban")
    assert view["layout"] == {"stack_field": _fid(deals, "Region")}
    page.goto(f"{sqlite_server.url}/tables/{deals['id']}")       # all records, then the view
    page.click(f"#view-list a[data-view-id='{view['id']}']")
    page.wait_for_url(f"**/kanban?view={view['id']}")
    stacks = page.locator(".kanban-column h2").all_inner_texts()
    assert len(stacks) == 3 and [s.split()[0] for s in stacks[:2]] == ["North", "South"]
    assert page.locator(".kanban-column[data-value=South] .kanban-card").count() == 2
    assert page.js_errors == []


def test_grid_view_opens_with_its_layout_and_saves_a_moved_column(context, sqlite_server, api,
                                                                  deals) -> None:
    ids = {n: _fid(deals, n) for n in ("Name", "Stage", "Region", "Amount")}
    view = api("POST", f"/api/v1/tables/{deals['id']}/views", {
        "name": "Grouped", "layout": {"group_by": [ids["Stage"]], "row_height": "tall",
                                      "fields": [ids["Amount"], ids["Name"], ids["Stage"],
                                                 ids["Region"]]}})
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/tables/{deals['id']}?view={view['id']}")
    page.wait_for_selector("body[data-grid-ready=true]")
    state = page.evaluate("() => ({group: window.tesseraGrid.state.groupBy, "
                          "rowH: window.tesseraGrid.rowH, "
                          "cols: window.tesseraGrid.columns.map((f) => f.name)})")
    assert state == {"group": ids["Stage"], "rowH": 64,
                     "cols": ["Amount", "Name", "Stage", "Region"]}
    assert not page.locator("#group-bar").is_hidden()
    page.evaluate(f"() => window.tesseraGrid.moveColumn({ids['Region']}, -1)")
    page.click("#btn-save-view")
    wait_until(page, "() => document.getElementById('status').textContent !== ''")
    saved = api("GET", f"/api/v1/views/{view['id']}")
    assert saved["kind"] == "grid"
    assert saved["layout"] == {"group_by": [ids["Stage"]], "row_height": "tall",
                               "fields": [ids["Amount"], ids["Name"], ids["Region"],
                                          ids["Stage"]]}
    assert page.js_errors == []
