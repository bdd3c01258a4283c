"""The grid's pure JavaScript helpers, run in Chromium as ES modules: TSV as Excel/WPS put it
on the clipboard, and text ↔ value per field type."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import new_page


@pytest.fixture(scope="module")
def page(browser: Any, sqlite_server: Any) -> Any:
    context = browser.new_context()
    page = new_page(context, sqlite_server)
    page.goto(sqlite_server.url + "/")
    yield page
    context.close()


def _call(page: Any, module: str, name: str, *args: Any) -> Any:
    return page.evaluate("""async ([module, name, args]) => {
        const m = await import(`/static/js/${module}.js`);
        return m[name](...args);
    }""", [module, name, list(args)])


@pytest.mark.parametrize("text, rows", [
    ("a\tb\r\nc\td", [["a", "b"], ["c", "d"]]),
    ("a\tb\nc\td\n", [["a", "b"], ["c", "d"]]),
    ('"x\ty"\t"say ""hi"""\r\n', [["x\ty", 'say "hi"']]),
    ('"two\nlines"\tz', [["two\nlines", "z"]]),
    ("\t\n", [["", ""]]),
    ("王五\t138", [["王五", "138"]]),
    ("", []),
])
def test_parse_tsv(page, text, rows) -> None:
    assert _call(page, "tsv", "parseTSV", text) == rows


@pytest.mark.parametrize("rows", [
    [["a", "b"], ["c", "d"]],
    [["x\ty", 'say "hi"'], ["two\nlines", ""]],
    [["李雷", "1,200.5"]],
])
def test_tsv_round_trip(page, rows) -> None:
    text = _call(page, "tsv", "toTSV", rows)
    assert _call(page, "tsv", "parseTSV", text) == rows


@pytest.mark.parametrize("field, text, value", [
    ({"type": "number"}, "42", "42"),
    ({"type": "number"}, "  ", None),
    ({"type": "checkbox"}, "TRUE", True),
    ({"type": "checkbox"}, "是", True),
    ({"type": "checkbox"}, "no", False),
    ({"type": "multi_select"}, "VIP, 新客，老客", ["VIP", "新客", "老客"]),
    ({"type": "link"}, "#3, 5", [3, 5]),
    ({"type": "date"}, "2026-05-01", "2026-05-01"),
])
def test_text_to_value(page, field, text, value) -> None:
    assert _call(page, "values", "fromText", {"id": 1, **field}, text) == value


@pytest.mark.parametrize("field, value, labels, text", [
    ({"type": "link"}, [1, 2], {"1": {"1": "Dr. Gao"}}, "Dr. Gao, #2"),
    ({"type": "multi_select"}, ["a", "b"], {}, "a, b"),
    ({"type": "datetime"}, "2026-01-02T03:04:05Z", {}, "2026-01-02 03:04:05"),
    ({"type": "formula"}, {"error": "#DIV/0!"}, {}, "#DIV/0!"),
    ({"type": "checkbox"}, True, {}, "✓"),
])
def test_display_text(page, field, value, labels, text) -> None:
    assert _call(page, "values", "displayText", {"id": 1, **field}, value, labels) == text
