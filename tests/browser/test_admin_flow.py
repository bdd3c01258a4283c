"""What a clinic admin does in the browser: create a table, add fields of several types,
write a formula with a mistake and fix it, retype a field seeing what will not convert,
filter/sort/group and save a view, drag a kanban card, submit the intake form, open a record,
switch language, and watch a second tab update live."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import new_page, screenshot, wait_until


@pytest.fixture
def base(sqlite_server: Any, api_for: Any) -> dict[str, Any]:
    api = api_for(sqlite_server)
    made = api("POST", "/api/v1/bases", {"name": "Smile Dental"})
    return {"api": api, "base": made, "server": sqlite_server}


def _table(base: dict[str, Any], name: str, fields: list[dict[str, Any]],
           rows: list[dict[str, Any]]) -> dict[str, Any]:
    api = base["api"]
    table = api("POST", f"/api/v1/bases/{base['base']['id']}/tables", {"name": name,
                                                                        "fields": fields})
    if rows:
        api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create",
            {"records": [{"fields": r} for r in rows]})
    return table


def _grid(page: Any, base: dict[str, Any], table_id: int, query: str = "") -> None:
    page.goto(f"{base['server'].url}/tables/{table_id}{query}")
    page.wait_for_selector("body[data-grid-ready=true]")


TIERS = {"choices": [{"label": "Lead"}, {"label": "Active"}, {"label": "Lapsed"}]}


def type_formula_with_a_mistake(page: Any) -> Any:
    """Open the designer for a formula field "Class", type a formula that names the unknown
    field {Spnd}, and wait for the error naming it; the formula editor, for the fix."""
    page.click("#btn-add-field")
    page.fill(".field-designer input[name=name]", "Class")
    page.select_option(".field-designer select[name=type]", "formula")
    editor = page.locator(".formula-input")
    editor.click()
    editor.type('IF({Spnd} >= 1000, "gold", "basic")')
    error = page.locator(".formula-errors li").first
    error.wait_for()
    assert "Spnd" in error.inner_text()
    return editor


def test_design_fields_and_formula_with_a_mistake(context, base) -> None:
    table = _table(base, "Customers", [{"name": "Spend", "type": "number"}],
                   [{"Name": "Li", "Spend": 1200}, {"Name": "Wang", "Spend": 300}])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    # a single select field through the designer
    page.click("#btn-add-field")
    page.fill(".field-designer input[name=name]", "Stage")
    page.select_option(".field-designer select[name=type]", "single_select")
    page.fill(".field-designer textarea.choices", "Lead\nActive\nLapsed")
    with page.expect_navigation():
        page.click(".field-designer button[type=submit]")
    page.wait_for_selector("body[data-grid-ready=true]")
    page.locator("[role=columnheader]", has_text="Stage").wait_for()
    # a formula with a mistake: the error points at the unknown field, then the fix previews
    editor = type_formula_with_a_mistake(page)
    assert page.locator(".formula-highlight .tok-bad").first.inner_text().startswith("{Spnd")
    screenshot(page, "formula-error")
    page.click(".field-designer button[type=submit]")  # refused: the mistake is named
    page.locator(".field-designer .error-message", has_text="Spnd").wait_for()
    editor.fill("")
    editor.type('IF({Sp')
    suggestion = page.locator(".formula-suggest li", has_text="Spend")
    suggestion.wait_for()
    page.keyboard.press("Enter")
    assert editor.input_value() == "IF({Spend}"
    editor.type(' >= 1000, "gold", "basic")')
    wait_until(page, "() => document.querySelectorAll('.formula-preview tr').length === 2")
    assert page.locator(".formula-errors li").count() == 0
    assert page.locator(".formula-preview").inner_text().split() == \
        ["#1", "gold", "#2", "basic"]
    assert page.locator(".formula-highlight .tok-function").first.inner_text() == "IF"
    screenshot(page, "formula-preview")
    with page.expect_navigation():
        page.click(".field-designer button[type=submit]")
    page.wait_for_selector("body[data-grid-ready=true]")
    page.locator("[role=columnheader]", has_text="Class").wait_for()
    rows = base["api"]("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert [r["fields"]["Class"] for r in rows] == ["gold", "basic"]


def test_function_autocomplete_shows_signature_and_description(context, base) -> None:
    table = _table(base, "Autocomplete", [], [])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    page.click("#btn-add-field")
    page.select_option(".field-designer select[name=type]", "formula")
    page.locator(".formula-input").type("ROUN")
    item = page.locator(".formula-suggest li", has_text="ROUND(").first
    item.wait_for()
    assert "number" in item.inner_text() and item.locator(".desc").inner_text() != ""


def test_suggestions_survive_leaving_and_coming_back(context, base) -> None:
    """Focus leaves the formula input (a click on OK, say) and comes straight back: what is
    typed next still gets its suggestions, not hidden by the first blur's delayed close."""
    table = _table(base, "Autocomplete", [{"name": "Spend", "type": "number"}], [])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    page.click("#btn-add-field")
    page.select_option(".field-designer select[name=type]", "formula")
    editor = page.locator(".formula-input")
    editor.click()
    page.evaluate("() => { const i = document.querySelector('.formula-input');"
                  " i.blur(); i.focus(); }")
    editor.press_sequentially("{Sp")
    page.locator(".formula-suggest li", has_text="Spend").wait_for()
    page.wait_for_timeout(400)  # longer than the close delay after a blur
    assert page.locator(".formula-suggest li", has_text="Spend").is_visible()


def test_retype_shows_values_that_will_not_convert(context, base) -> None:
    table = _table(base, "Retype", [{"name": "Code", "type": "text"}],
                   [{"Name": "a", "Code": "12"}, {"Name": "b", "Code": "x9"},
                    {"Name": "c", "Code": "7"}])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    page.locator("[role=columnheader] .vg-col-name", has_text="Code").click()
    page.click(".menu-edit")
    page.select_option(".field-designer select[name=type]", "number")
    report = page.locator(".conversion-report")
    wait_until(page, "() => document.querySelector('.conversion-report').dataset.rejected")
    assert report.get_attribute("data-rejected") == "1"
    assert '"x9"' in report.inner_text()
    with page.expect_navigation():
        page.click(".field-designer button[type=submit]")
    page.wait_for_selector("body[data-grid-ready=true]")
    rows = base["api"]("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert [r["fields"]["Code"] for r in rows] == [12, None, 7]


def test_filter_sort_group_and_save_a_view(context, base) -> None:
    table = _table(base, "Leads", [{"name": "Age", "type": "number"},
                                   {"name": "Stage", "type": "single_select", "options": TIERS}],
                   [{"Name": n, "Age": a, "Stage": s} for n, a, s in [
                       ("A", 30, "Lead"), ("B", 45, "Active"), ("C", 52, "Active"),
                       ("D", 61, "Lapsed"), ("E", 38, "Lead")]])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    # filter: Age > 35 AND (Stage = Active OR Stage = Lapsed)
    page.click("#btn-filter")
    page.click(".filter-group .add-condition")
    cond = page.locator(".filter-condition").nth(0)
    cond.locator(".filter-field").select_option(label="Age")
    cond.locator(".filter-op").select_option(">")
    cond.locator(".filter-value").fill("35")
    page.click(".filter-group .add-group")
    inner = page.locator(".filter-group .filter-group")
    inner.locator(".filter-mode").select_option("or")
    for stage in ("Active", "Lapsed"):
        inner.locator(".add-condition").click()
        row = inner.locator(".filter-condition").last
        row.locator(".filter-field").select_option(label="Stage")
        row.locator(".filter-op").select_option("=")
        row.locator(".filter-value").select_option(stage)
    page.click(".panel .apply")
    wait_until(page, "() => window.tesseraGrid.total === 3")
    # sort by Age descending
    page.click("#btn-sort")
    page.click(".add-sort")
    page.locator(".sort-row .sort-field").select_option(label="Age")
    page.locator(".sort-row .sort-dir").select_option("desc")
    page.click(".panel .apply")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                     "[aria-colindex=\"2\"]').textContent === 'D'")
    # group by Stage: counts per group, sorted by the group first
    page.click("#btn-group")
    page.locator(".group-field").select_option(label="Stage")
    page.click(".panel .apply")
    page.locator(".group-chip").first.wait_for()
    assert page.locator(".group-chip").all_inner_texts() == \
        ["Active (2) Σ Age 97", "Lapsed (1) Σ Age 61"]
    names = [page.locator(f'.vg-body [aria-rowindex="{i}"] [aria-colindex="2"]').inner_text()
             for i in (2, 3, 4)]
    assert names == ["C", "B", "D"]
    screenshot(page, "view-grouped")
    # hide the Age column through the panel
    page.click("#btn-hide")
    page.get_by_role("checkbox", name="Age", exact=True).uncheck()
    page.click(".panel .apply")
    assert "Age" not in page.locator("[role=columnheader] .vg-col-name").all_inner_texts()
    # save as a view, reload it: filter, sort and hidden fields come back from the server
    page.once("dialog", lambda d: d.accept("Active patients over 35"))
    page.click("#btn-save-view")
    page.wait_for_url(re.compile(r"\?view=\d+"))
    page.wait_for_selector("body[data-grid-ready=true]")
    assert page.locator("#view-list a[aria-current=page]").inner_text() == \
        "Active patients over 35"
    wait_until(page, "() => window.tesseraGrid.total === 3")
    assert "Age" not in page.locator("[role=columnheader] .vg-col-name").all_inner_texts()
    views = base["api"]("GET", f"/api/v1/tables/{table['id']}/views")
    assert views[0]["hidden_fields"] == [table["fields"][1]["id"]]
    assert views[0]["sorts"][0]["direction"] == "desc"
    assert "or" in str(views[0]["filters"])


def test_a_slow_answer_does_not_close_the_next_panel(context, base) -> None:
    """The sort panel's OK waits for the grid's answer; a panel opened meanwhile (group by)
    stays open when that answer arrives."""
    table = _table(base, "Leads", [{"name": "Age", "type": "number"}],
                   [{"Name": n, "Age": a} for n, a in [("A", 30), ("B", 45)]])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    slow: list[Any] = []
    released: list[bool] = []

    def hold(route: Any) -> None:
        if released:
            route.continue_()
        else:
            slow.append(route)

    page.click("#btn-sort")
    page.click(".add-sort")
    page.locator(".sort-row .sort-field").select_option(label="Age")
    page.locator(".sort-row .sort-dir").select_option("desc")
    page.route(re.compile(r"/grid/block\?"), hold)
    page.click(".panel .apply")
    deadline = time.monotonic() + 10
    while not slow and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert slow, "the sort did not ask the server for rows"
    page.click("#btn-group")
    page.locator(".group-field").wait_for()
    for route in slow:
        route.continue_()
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                     "[aria-colindex=\"2\"]').textContent === 'B'")
    page.wait_for_timeout(300)  # the OK handler runs once the answer is drawn
    assert page.locator(".group-field").is_visible()


def test_kanban_drag_changes_the_select(context, base) -> None:
    table = _table(base, "Pipeline", [{"name": "Stage", "type": "single_select",
                                       "options": TIERS}],
                   [{"Name": "Zhou", "Stage": "Lead"}, {"Name": "Sun", "Stage": "Lead"}])
    page = new_page(context, base["server"])
    page.goto(f"{base['server'].url}/tables/{table['id']}/kanban")
    lead = page.locator('.kanban-column[data-value="Lead"]')
    active = page.locator('.kanban-column[data-value="Active"]')
    assert lead.locator(".count").inner_text() == "2"
    page.drag_and_drop('.kanban-card:has-text("Zhou")', '.kanban-column[data-value="Active"]')
    active.locator(".kanban-card", has_text="Zhou").wait_for()
    wait_until(page, "() => document.querySelector('.kanban-card[data-moved]')")
    screenshot(page, "kanban")
    rows = base["api"]("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert [r["fields"]["Stage"] for r in rows] == ["Active", "Lead"]
    assert active.locator(".count").inner_text() == "1"
    # keyboard: a focused card moves with the arrow keys
    card = page.locator(".kanban-card", has_text="Sun")
    card.focus()
    page.keyboard.press("ArrowRight")
    active.locator(".kanban-card", has_text="Sun").wait_for()
    wait_until(page, "() => document.querySelectorAll('.kanban-card[data-moved]').length === 2")
    rows = base["api"]("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert [r["fields"]["Stage"] for r in rows] == ["Active", "Active"]


def test_intake_form_validates_and_saves(context, base) -> None:
    table = _table(base, "Intake", [{"name": "Phone", "type": "phone"},
                                    {"name": "Age", "type": "number"},
                                    {"name": "Source", "type": "single_select",
                                     "options": {"choices": [{"label": "WeChat"},
                                                             {"label": "Referral"}]}}], [])
    page = new_page(context, base["server"])
    page.goto(f"{base['server'].url}/tables/{table['id']}/form")
    page.fill(f"input[name=f_{table['fields'][0]['id']}]", "Chen Jing")
    age = f"input[name=f_{table['fields'][2]['id']}]"
    page.fill(age, "forty")
    page.select_option(f"select[name=f_{table['fields'][3]['id']}]", "WeChat")
    page.click(".intake-form button[type=submit]")
    page.locator(".field-error").wait_for()
    assert page.locator(age).get_attribute("aria-invalid") == "true"
    assert page.locator(age).input_value() == "forty"  # what was typed is kept
    screenshot(page, "form-error")
    page.fill(age, "40")
    page.click(".intake-form button[type=submit]")
    page.locator(".form-thanks").wait_for()
    rows = base["api"]("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
    assert [(r["fields"]["Name"], r["fields"]["Age"], r["fields"]["Source"]) for r in rows] == \
        [("Chen Jing", 40, "WeChat")]


def test_record_page_history_and_links(context, base) -> None:
    api = base["api"]
    doctors = _table(base, "Doctors", [], [{"Name": "Dr. Gao"}])
    visits = _table(base, "Visits", [{"name": "Note", "type": "text"}], [])
    link = api("POST", f"/api/v1/tables/{visits['id']}/fields",
               {"name": "Doctor", "type": "link", "options": {"target_table_id": doctors["id"]}})
    rid = api("POST", f"/api/v1/tables/{visits['id']}/records",
              {"fields": {"Note": "first", link["name"]: [1]}})["id"]
    api("PATCH", f"/api/v1/tables/{visits['id']}/records/{rid}", {"fields": {"Note": "second"}})
    page = new_page(context, base["server"])
    page.goto(f"{base['server'].url}/tables/{visits['id']}/records/{rid}")
    assert page.locator("dd[data-field=Note]").inner_text() == "second"
    linked = page.locator("a.linked-record")
    assert linked.inner_text() == "Dr. Gao"
    assert page.locator("#history tr[data-action=update]").count() == 1
    assert "first" in page.locator("#history tr[data-action=update]").inner_text()
    page.fill(".comment-form textarea", "Called back, booked for Friday")
    with page.expect_navigation():
        page.click(".comment-form button[type=submit]")
    assert page.locator(".comment p").inner_text() == "Called back, booked for Friday"
    assert "admin" in page.locator(".comment .meta").inner_text()
    linked.click()
    page.wait_for_url(re.compile(rf"/tables/{doctors['id']}/records/1$"))


def test_calendar_by_date_field(context, base) -> None:
    table = _table(base, "Followups", [{"name": "Due", "type": "date"}],
                   [{"Name": "Recall Li", "Due": "2026-05-12"},
                    {"Name": "Recall Wang", "Due": "2026-06-01"}])
    page = new_page(context, base["server"])
    page.goto(f"{base['server'].url}/tables/{table['id']}/calendar?month=2026-05")
    assert page.locator('td[data-date="2026-05-12"] .event').inner_text() == "Recall Li"
    assert page.locator(".event").count() == 1
    page.click("a.next-month")
    page.locator('td[data-date="2026-06-01"] .event').wait_for()


def test_language_switch_is_remembered(context, base) -> None:
    table = _table(base, "Lang", [], [])
    page = new_page(context, base["server"])
    _grid(page, base, table["id"])
    assert page.locator("#btn-filter").inner_text() == "Filter"
    page.click("#lang-switch")
    page.wait_for_selector("body[data-grid-ready=true]")
    assert page.locator("#btn-filter").inner_text() == "筛选"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.goto(f"{base['server'].url}/bases/{base['base']['id']}")
    assert "表" in page.locator("h2").first.inner_text()


def test_second_tab_updates_live_without_losing_an_edit(context, base) -> None:
    table = _table(base, "Live", [{"name": "Note", "type": "text"}],
                   [{"Name": "Li", "Note": "a"}, {"Name": "Wang", "Note": "b"}])
    first = new_page(context, base["server"])
    second = context.new_page()
    _grid(first, base, table["id"])
    _grid(second, base, table["id"])
    wait_until(second, "() => document.body.dataset.live === 'ready'")
    # the second tab is typing in row 2 when the first tab changes row 1
    second.locator('.vg-body [aria-rowindex="3"] [aria-colindex="3"]').click()
    second.keyboard.type("half-typed")
    first.locator('.vg-body [aria-rowindex="2"] [aria-colindex="3"]').click()
    first.keyboard.type("changed")
    started = time.monotonic()
    first.keyboard.press("Enter")
    wait_until(second, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                       "[aria-colindex=\"3\"]').textContent === 'changed'", timeout_s=3)
    assert time.monotonic() - started < 1.5
    assert second.locator(".vg-editor input").input_value() == "half-typed"
    # a record created elsewhere appears too
    base["api"]("POST", f"/api/v1/tables/{table['id']}/records", {"fields": {"Name": "Zhao"}})
    wait_until(second, "() => window.tesseraGrid.total === 3", timeout_s=3)
    screenshot(second, "live-update")
