"""The grid in Chromium: ARIA grid pattern, typing and per-type editors, errors at the cell,
TSV copy/paste, fill down, undo/redo, hide/freeze, jumping far into a big table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import new_page, screenshot, wait_until


@pytest.fixture
def clinic(sqlite_server: Any, api_for: Any) -> dict[str, Any]:
    api = api_for(sqlite_server)
    base = api("POST", "/api/v1/bases", {"name": "Clinic"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Patients",
        "fields": [{"name": "Age", "type": "number", "options": {"precision": 0}},
                   {"name": "Tier", "type": "single_select",
                    "options": {"choices": [{"label": "VIP"}, {"label": "Regular"}]}},
                   {"name": "Visit", "type": "date"},
                   {"name": "Active", "type": "checkbox"}]})
    api("POST", f"/api/v1/tables/{table['id']}/records/bulk-create", {"records": [
        {"fields": {"Name": f"P{i}", "Age": 20 + i}} for i in range(5)]})
    return {"api": api, "table": table, "server": sqlite_server}


def open_grid(context: Any, clinic: dict[str, Any]) -> Any:
    page = new_page(context, clinic["server"])
    page.goto(f"{clinic['server'].url}/tables/{clinic['table']['id']}")
    page.wait_for_selector("body[data-grid-ready=true]")
    return page


def cell(page: Any, row: int, col: int) -> Any:
    """Row and column as the user sees them: 1-based data row, 1-based field column."""
    return page.locator(f'.vg-body [role=row][aria-rowindex="{row + 1}"] '
                        f'[role=gridcell][aria-colindex="{col + 1}"]')


def values(clinic: dict[str, Any], field: str) -> list[Any]:
    page = clinic["api"]("GET", f"/api/v1/tables/{clinic['table']['id']}/records?limit=100")
    return [r["fields"][field] for r in page["rows"]]


def test_aria_grid_pattern(context, clinic) -> None:
    page = open_grid(context, clinic)
    grid = page.locator("[role=grid]")
    assert grid.get_attribute("aria-rowcount") == "6"  # header + 5 rows
    assert grid.get_attribute("aria-colcount") == "6"  # row header + 5 fields
    headers = page.locator("[role=columnheader]")
    assert headers.count() == 6
    assert [headers.nth(i).get_attribute("aria-colindex") for i in range(6)] == \
        ["1", "2", "3", "4", "5", "6"]
    assert page.locator(".vg-body [role=row]").count() == 5
    assert cell(page, 1, 1).inner_text() == "P0"
    assert cell(page, 5, 2).inner_text() == "24"
    assert page.locator("[role=gridcell][aria-selected=true]").count() == 1
    assert page.js_errors == []
    screenshot(page, "grid")


@pytest.mark.parametrize("keys, expected", [
    (["ArrowDown", "ArrowDown", "ArrowRight"], (3, 2)),
    (["Control+ArrowDown"], (5, 1)),
    (["End"], (1, 5)),
    (["Control+End", "Home"], (5, 1)),
    (["Tab", "Tab", "Shift+Tab"], (1, 2)),
])
def test_keyboard_moves_like_excel(context, clinic, keys, expected) -> None:
    page = open_grid(context, clinic)
    for key in keys:
        page.keyboard.press(key)
    active = page.locator(".vg-cell.vg-active")
    row = int(active.locator("xpath=..").get_attribute("aria-rowindex")) - 1
    col = int(active.get_attribute("aria-colindex")) - 1
    assert (row, col) == expected
    assert page.locator("[role=grid]").get_attribute("aria-activedescendant") == \
        active.get_attribute("id")


def test_typing_edits_and_errors_keep_the_text(context, clinic) -> None:
    page = open_grid(context, clinic)
    cell(page, 1, 2).click()
    page.keyboard.type("abc")  # typing starts editing: not a number
    page.keyboard.press("Enter")
    error = page.locator(".vg-editor-error")
    error.wait_for(state="visible")
    assert "Age" in error.inner_text()
    assert page.locator(".vg-editor input").input_value() == "abc"  # nothing lost
    screenshot(page, "grid-cell-error")
    page.locator(".vg-editor input").fill("41")
    page.keyboard.press("Enter")
    page.locator(".vg-editor").wait_for(state="detached")
    assert values(clinic, "Age")[0] == 41
    wait_until(page, "() => document.querySelector('.vg-cell.vg-active').id === 'vg-1-1'")
    # F2 edits the current value; Escape cancels
    page.keyboard.press("F2")
    page.keyboard.type("9")
    page.keyboard.press("Escape")
    assert values(clinic, "Age")[1] == 21


def test_select_date_and_checkbox_editors(context, clinic) -> None:
    page = open_grid(context, clinic)
    cell(page, 1, 3).dblclick()
    page.locator(".vg-editor select").select_option("VIP")
    page.locator(".vg-editor").wait_for(state="detached")
    cell(page, 1, 4).click()
    page.keyboard.press("F2")
    page.locator(".vg-editor input[type=date]").fill("2026-03-05")
    page.keyboard.press("Enter")
    page.locator(".vg-editor").wait_for(state="detached")
    cell(page, 1, 5).click()
    page.keyboard.press(" ")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                           "[aria-colindex=\"6\"]').getAttribute('aria-checked') === 'true'")
    assert values(clinic, "Tier")[0] == "VIP"
    assert values(clinic, "Visit")[0] == "2026-03-05"
    assert values(clinic, "Active")[0] is True


def _paste(page: Any, text: str) -> None:
    page.evaluate("""text => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.getElementById('grid').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", text)


def _copy(page: Any) -> str:
    return page.evaluate("""() => {
        const data = new DataTransfer();
        document.getElementById('grid').dispatchEvent(
            new ClipboardEvent('copy', {clipboardData: data, bubbles: true, cancelable: true}));
        return data.getData('text/plain');
    }""")


def test_copy_paste_ranges_fill_down_undo_redo(context, clinic) -> None:
    page = open_grid(context, clinic)
    cell(page, 1, 1).click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowRight")
    assert _copy(page) == "P0\t20\r\nP1\t21"
    # paste a 2x2 block from Excel (quoted cell with a tab) at row 4, and two new rows
    cell(page, 4, 1).click()
    _paste(page, 'Wang\t50\r\n"Li\tLei"\t51\r\nZhao\t52\r\n')
    wait_until(page, "() => window.tesseraGrid.total === 6")
    assert values(clinic, "Name") == ["P0", "P1", "P2", "Wang", "Li\tLei", "Zhao"]
    assert values(clinic, "Age")[3:] == [50, 51, 52]
    # fill down: select Age rows 1-3, Ctrl+D copies row 1 into rows 2-3
    cell(page, 1, 2).click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Control+d")
    wait_until(page, "() => document.getElementById('status').textContent !== ''")
    page.wait_for_timeout(300)
    assert values(clinic, "Age")[:3] == [20, 20, 20]
    page.keyboard.press("Control+z")
    page.wait_for_timeout(500)
    assert values(clinic, "Age")[:3] == [20, 21, 22]
    page.keyboard.press("Control+y")
    page.wait_for_timeout(500)
    assert values(clinic, "Age")[:3] == [20, 20, 20]
    # Delete clears the selection
    page.keyboard.press("Delete")
    page.wait_for_timeout(500)
    assert values(clinic, "Age")[:3] == [None, None, None]
    assert page.js_errors == []


def test_hide_freeze_and_resize_columns(context, clinic) -> None:
    page = open_grid(context, clinic)
    page.locator('[role=columnheader][data-type=number] .vg-col-name').click()
    page.locator(".menu-hide").click()
    assert page.locator("[role=columnheader]").count() == 5
    page.locator('[role=columnheader] .vg-col-name', has_text="Name").click()
    page.locator(".menu-freeze").click()
    assert "vg-frozen" in (cell(page, 1, 1).get_attribute("class") or "")
    handle = page.locator('[role=columnheader][data-type=text] .vg-resize')
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 102, box["y"] + 5)
    page.mouse.up()
    width = page.locator('[role=columnheader][data-type=text]').bounding_box()["width"]
    assert 255 <= width <= 265
    # reorder: move Visit left of Tier (a personal order, kept like the widths)
    page.locator('[role=columnheader] .vg-col-name', has_text="Visit").click()
    page.locator(".menu-move-left").click()
    names = page.locator("[role=columnheader] .vg-col-name").all_inner_texts()
    assert names == ["Name", "Visit", "Tier", "Active"]
    assert page.locator('[role=columnheader]', has_text="Visit").get_attribute(
        "aria-colindex") == "3"
    page.evaluate("() => window.tesseraGrid.prefsQueue")  # the personal settings are saved
    page.reload()
    page.wait_for_selector("body[data-grid-ready=true]")
    assert page.locator('[role=columnheader][data-type=text]').bounding_box()["width"] == width
    assert page.locator("[role=columnheader] .vg-col-name").all_inner_texts() == \
        ["Name", "Visit", "Tier", "Active"]  # hidden columns are personal settings too


def test_link_picker_and_multi_select_editors(context, clinic) -> None:
    api, table = clinic["api"], clinic["table"]
    doctors = api("POST", f"/api/v1/bases/{table['base_id']}/tables", {"name": "Doctors"})
    api("POST", f"/api/v1/tables/{doctors['id']}/records/bulk-create", {"records": [
        {"fields": {"Name": n}} for n in ("Dr. Gao", "Dr. Hu", "Dr. Guo")]})
    api("POST", f"/api/v1/tables/{table['id']}/fields",
        {"name": "Doctor", "type": "link", "options": {"target_table_id": doctors["id"]}})
    api("POST", f"/api/v1/tables/{table['id']}/fields",
        {"name": "Tags", "type": "multi_select",
         "options": {"choices": [{"label": "新客"}, {"label": "复诊"}, {"label": "VIP"}]}})
    page = open_grid(context, clinic)
    cell(page, 1, 6).click()
    page.keyboard.press("Enter")
    search = page.locator(".vg-editor input[type=search]")
    search.fill("hu")
    wait_until(page, "() => document.querySelectorAll('.vg-results li').length === 1")
    assert page.locator(".vg-results li").inner_text() == "Dr. Hu"
    page.keyboard.press("Enter")  # picks the first result
    page.locator(".vg-chip", has_text="Dr. Hu").wait_for()
    page.keyboard.press("Enter")  # empty search: commits
    page.locator(".vg-editor").wait_for(state="detached")
    wait_until(page, "() => document.querySelector('.vg-body [aria-rowindex=\"2\"] "
                     "[aria-colindex=\"7\"]').textContent === 'Dr. Hu'")
    cell(page, 1, 7).click()
    page.keyboard.press("F2")
    page.locator(".vg-checklist label", has_text="复诊").locator("input").check()
    page.locator(".vg-checklist label", has_text="VIP").locator("input").check()
    page.click(".vg-editor .vg-ok")
    page.locator(".vg-editor").wait_for(state="detached")
    assert values(clinic, "Doctor")[0] == [2]
    assert values(clinic, "Tags")[0] == ["复诊", "VIP"]
    screenshot(page, "grid-link-and-tags")


def test_row_height_and_chinese_errors(browser, clinic) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        page = open_grid(context, clinic)
        assert page.locator("#btn-filter").inner_text() == "筛选"
        page.select_option("#row-height", "64")
        assert page.locator(".vg-body [aria-rowindex='2']").bounding_box()["height"] == 64
        cell(page, 1, 2).click()
        page.keyboard.type("abc")
        page.keyboard.press("Enter")
        error = page.locator(".vg-editor-error")
        error.wait_for(state="visible")
        assert "字段「Age」" in error.inner_text()
    finally:
        context.close()


def test_input_method_typing_starts_editing(context, clinic) -> None:
    page = open_grid(context, clinic)
    cell(page, 2, 1).click()
    # what Chromium sends when a pinyin input method starts composing
    page.evaluate("""() => document.getElementById('grid').dispatchEvent(new KeyboardEvent(
        'keydown', {key: 'Process', keyCode: 229, bubbles: true, cancelable: true}))""")
    editor = page.locator(".vg-editor input")
    editor.wait_for()
    assert editor.input_value() == ""
    page.keyboard.insert_text("张三")  # the composed text lands in the editor
    page.keyboard.press("Enter")
    page.locator(".vg-editor").wait_for(state="detached")
    assert values(clinic, "Name")[1] == "张三"
