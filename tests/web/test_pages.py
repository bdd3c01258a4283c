"""HTML pages: home, base and table (grid with htmx "load more"), static files, security
headers, HTML error pages and escaping of user-defined names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tessera.web.app import UI_DIR
from tessera.web.pages import GRID_PAGE_SIZE, cell_text

API = "/api/v1"
HTML = {"accept": "text/html"}


@pytest.fixture
def grid(client, table) -> dict:
    rows = [{"fields": {"Name": f"row {i:03d}", "Age": i}} for i in range(GRID_PAGE_SIZE + 30)]
    client.post(f"{API}/tables/{table['id']}/records/bulk-create", json={"records": rows})
    return table


def test_home_lists_bases_and_links_them(client, table) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'href="/bases/{table["base_id"]}">Clinic</a>' in page.text


def test_home_in_chinese(client) -> None:
    page = client.get("/", headers={**HTML, "accept-language": "zh-CN"})
    assert '<html lang="zh-CN">' in page.text and "数据库" in page.text
    assert page.headers["content-language"] == "zh"


def test_base_page_lists_tables(client, table) -> None:
    page = client.get(f"/bases/{table['base_id']}", headers=HTML)
    assert page.status_code == 200
    assert f'href="/tables/{table["id"]}">Customers</a>' in page.text


def test_table_page_is_the_grid_and_rows_load_more_without_js(client, grid) -> None:
    page = client.get(f"/tables/{grid['id']}", headers=HTML)
    assert page.status_code == 200
    assert 'role="grid"' in page.text and 'src="/static/js/table_page.js"' in page.text
    assert f"&#34;tableId&#34;: {grid['id']}" in page.text  # the grid's config, escaped
    first = client.get(f"/tables/{grid['id']}/rows", headers=HTML)
    assert first.text.count("<tr data-record-id=") == GRID_PAGE_SIZE
    assert "<td>row 000</td>" in first.text and "row 100" not in first.text
    match = re.search(r'hx-get="([^"]+)"', first.text)
    assert match is not None
    more = client.get(match.group(1).replace("&amp;", "&"), headers=HTML)
    assert more.status_code == 200
    assert more.text.count("<tr data-record-id=") == 30
    assert "<td>row 100</td>" in more.text and "<td>row 129</td>" in more.text
    assert "hx-get" not in more.text  # the last page has no "load more"
    assert "<html" not in more.text  # a partial, not a page


def test_user_names_are_escaped(client) -> None:
    client.post(f"{API}/bases", json={"name": "<script>alert(1)</script>"})
    page = client.get("/", headers=HTML)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_security_headers_on_pages_and_api(client) -> None:
    for path in ("/", f"{API}/bases", "/static/vendor/htmx.min.js", "/missing"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_pages_use_no_inline_scripts_or_cdn(client, grid) -> None:
    for path in ("/", f"/bases/{grid['base_id']}", f"/tables/{grid['id']}"):
        text = client.get(path, headers=HTML).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
        assert re.findall(r'(?:src|href)="https?://', text) == []
        assert 'src="/static/vendor/htmx.min.js"' in text


def test_static_files_are_served(client) -> None:
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
    assert client.get("/static/css/tessera.css").status_code == 200
    assert (UI_DIR / "static" / "vendor" / "htmx.min.js").stat().st_size > 10_000


@pytest.mark.parametrize("path", ["/bases/999", "/tables/999", "/nowhere"])
def test_missing_pages_are_html_404(client, path) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="error-message"' in page.text


def test_missing_page_without_html_accept_is_json(client) -> None:
    response = client.get("/tables/999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "✓"), (False, ""), (42.0, "42"), (2.5, "2.5"), (["a", "b"], "a, b"),
    ([1, 2], "1, 2"), ("x", "x"),
])
def test_cell_text(value, text) -> None:
    assert cell_text(value) == text


def test_templates_exist_for_every_page() -> None:
    for name in ("base.html", "pages/home.html", "pages/base.html", "pages/table.html",
                 "partials/_rows.html", "errors/error.html"):
        assert (Path(UI_DIR) / "templates" / name).is_file(), name
