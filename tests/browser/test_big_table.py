"""Scrolling and jumping far into a big table in Chromium, on SQLite and PostgreSQL: the
grid reads position-indexed keyset blocks, so row 15,000 shows without reading the rows
before it, in id order and in a sorted view."""

from __future__ import annotations

from typing import Any

import pytest

from tessera import schema_ops as schema
from tessera.records import RecordService
from tests.browser.conftest import new_page, screenshot, wait_until

ROWS = 20_000


@pytest.fixture
def big(backend_server: Any) -> dict[str, Any]:
    engine = backend_server.engine
    base = schema.create_base(engine, "Big clinic")
    table = schema.create_table(engine, base.id, "Visits")
    schema.add_field(engine, table.id, "Amount", "number")
    service = RecordService(engine)
    for start in range(0, ROWS, 5000):
        service.bulk_create(table.id, [{"Name": f"v{i:05d}", "Amount": (i * 7919) % 10007}
                                       for i in range(start, start + 5000)])
    return {"server": backend_server, "table_id": table.id}


def _row_text(page: Any, rowindex: int, colindex: int) -> str:
    return page.evaluate("""([r, c]) => {
        const cell = document.querySelector(
            `.vg-body [role=row][aria-rowindex="${r}"] [role=gridcell][aria-colindex="${c}"]`);
        return cell ? cell.textContent : null;
    }""", [rowindex, colindex])


@pytest.mark.parametrize("view, target, expected", [
    (None, 15_000, "v14999"),
    ("amount-desc", 15_000, None),
])
def test_jump_far_into_a_big_table(context, big, view, target, expected) -> None:
    server, table_id = big["server"], big["table_id"]
    if view:
        created = schema.create_view(server.engine, table_id, "By amount",
                                     sorts=[{"field": "Amount", "direction": "desc"}])
        # the 15,000th row by amount desc, then id: computed independently in Python
        amounts = sorted((-(i * 7919 % 10007), i) for i in range(ROWS))
        expected = f"v{amounts[target - 1][1]:05d}"
        query = f"?view={created.id}"
    else:
        query = ""
    page = new_page(context, server)
    page.goto(f"{server.url}/tables/{table_id}{query}")
    page.wait_for_selector("body[data-grid-ready=true]")
    assert page.locator("[role=grid]").get_attribute("aria-rowcount") == str(ROWS + 1)
    page.fill("#goto-row", str(target))
    page.press("#goto-row", "Enter")
    wait_until(page, "([r]) => { const c = document.querySelector("
               "`.vg-body [aria-rowindex=\"${r}\"] [aria-colindex=\"2\"]`);"
               " return c && c.textContent !== ''; }", arg=[target + 1])
    assert _row_text(page, target + 1, 2) == expected
    # keyboard keeps working down there: the next row, then the very end
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+ArrowDown")
    wait_until(page, "([r]) => { const c = document.querySelector("
               "`.vg-body [aria-rowindex=\"${r}\"] [aria-colindex=\"2\"]`);"
               " return c && c.textContent !== ''; }", arg=[ROWS + 1])
    assert page.js_errors == []
    screenshot(page, f"big-table-{view or 'id'}")
