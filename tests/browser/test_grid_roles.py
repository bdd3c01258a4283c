"""The grid for a commenter with an ``editable`` field (issue 7): that field's cells open their
editor and save; the other cells are marked read-only, open no editor and say why; the toolbar's
"+ Row" and "+ Field" are disabled for it with the reason as their title."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot, wait_until
from tests.browser.test_grid import cell

CALLER = ("caller_grid", "caller-grid-pw-1")


def _sign_in(context: Any, server: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    page.goto(server.url + "/login")
    page.fill("input[name=username]", CALLER[0])
    page.fill("input[name=password]", CALLER[1])
    page.click("form.auth-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_commenter_edits_only_the_editable_field(context, sqlite_server, api_for) -> None:
    from tessera.auth.users import create_user

    api = api_for(sqlite_server)
    create_user(sqlite_server.engine, *CALLER)
    base = api("POST", "/api/v1/bases", {"name": "Calls"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Tasks", "fields": [{"name": "Due", "type": "date"},
                                    {"name": "Result", "type": "text"}]})
    result = next(f for f in table["fields"] if f["name"] == "Result")
    api("POST", f"/api/v1/bases/{base['id']}/members", {"role": "commenter", "user": CALLER[0]})
    api("PUT", f"/api/v1/fields/{result['id']}/permissions/commenter", {"mode": "editable"})
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create",
        {"records": [{"fields": {"Name": "Call Li"}}]})

    page = _sign_in(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/tables/{table['id']}")
    page.wait_for_selector("body[data-grid-ready=true]")
    assert cell(page, 1, 1).get_attribute("aria-readonly") == "true"      # Name
    assert cell(page, 1, 2).get_attribute("aria-readonly") == "true"      # Due
    assert cell(page, 1, 3).get_attribute("aria-readonly") is None        # Result: editable
    # the toolbar offers neither a new row nor a new field to a commenter, and says why
    for button, why in (("#btn-add-row", "may not add rows"), ("#btn-add-field", "may not add fields")):
        assert page.locator(button).is_disabled()
        assert why in page.locator(button).get_attribute("title")

    cell(page, 1, 1).click()
    page.keyboard.press("Enter")
    wait_until(page, "() => document.getElementById('status').textContent.includes('role')")
    assert page.locator(".vg-editor").count() == 0
    assert "may not change this field" in page.locator("#status").inner_text()

    cell(page, 1, 3).click()
    page.keyboard.type("booked for Monday")
    page.keyboard.press("Enter")
    page.locator(".vg-editor").wait_for(state="detached")
    rows = api("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert rows[0]["fields"]["Result"] == "booked for Monday"
    assert rows[0]["fields"]["Name"] == "Call Li"
    screenshot(page, "grid-commenter-editable")
    assert page.js_errors == []
