"""Personal grid settings follow the user to another browser (Chromium): hidden and frozen
columns, widths, order and row height chosen in one browser context come back in a fresh
one (no shared localStorage), while another user's grid stays as it was."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import new_page, wait_until


def _open(context: Any, server: Any, table_id: int) -> Any:
    page = new_page(context, server)
    page.goto(f"{server.url}/tables/{table_id}")
    page.wait_for_selector("body[data-grid-ready=true]")
    return page


def _headers(page: Any) -> list[str]:
    return page.locator("[role=columnheader] .vg-col-name").all_inner_texts()


def test_settings_follow_the_user_to_another_browser(browser, sqlite_server, api_for) -> None:
    api = api_for(sqlite_server)
    base = api("POST", "/api/v1/bases", {"name": "Personal"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Patients", "fields": [{"name": "Age", "type": "number"},
                                       {"name": "Phone", "type": "phone"},
                                       {"name": "City", "type": "text"}]})
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create",
        {"records": [{"fields": {"Name": f"P{i}", "Age": 30 + i}} for i in range(3)]})
    first = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    second = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        page = _open(first, sqlite_server, table["id"])
        for _ in range(2):  # City moves left of Phone, then of Age
            page.locator("[role=columnheader] .vg-col-name", has_text="City").click()
            page.locator(".menu-move-left").click()
        page.locator("[role=columnheader] .vg-col-name", has_text="Phone").click()
        page.locator(".menu-hide").click()
        page.select_option("#row-height", "64")
        handle = page.locator('[role=columnheader][data-type=number] .vg-resize')
        box = handle.bounding_box()
        x, y = box["x"] + 2, box["y"] + 5
        page.mouse.move(x, y), page.mouse.down(), page.mouse.move(x + 80, y), page.mouse.up()
        width = page.locator("[role=columnheader][data-type=number]").bounding_box()["width"]
        page.evaluate("() => window.tesseraGrid.prefsQueue")
        assert width > 200
        assert page.evaluate("() => localStorage.length") == 0  # kept on the server
        expected = ["Name", "City", "Age"]
        assert _headers(page) == expected

        other = _open(second, sqlite_server, table["id"])  # the same user, another browser
        assert _headers(other) == expected
        assert other.locator("[role=columnheader][data-type=number]").bounding_box()[
            "width"] == width
        assert other.locator(".vg-body [aria-rowindex='2']").bounding_box()["height"] == 64
        wait_until(other, "() => document.querySelector('#row-height').value === '64'")
    finally:
        first.close()
        second.close()
