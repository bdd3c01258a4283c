"""The public intake form in Chromium: an admin shares the form by link from the form page, a
visitor who never signed in fills it in (errors at the field, typed text kept) and sends it,
and once the admin revokes the link the visitor's page says the form is closed."""

from __future__ import annotations

import re

from tests.browser.conftest import new_page, screenshot


def test_share_fill_in_without_login_and_revoke(browser, context, sqlite_server,
                                                api_for) -> None:
    api = api_for(sqlite_server)
    base = api("POST", "/api/v1/bases", {"name": "Smile Dental"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "New leads", "fields": [
            {"name": "Phone", "type": "phone"}, {"name": "Age", "type": "number"},
            {"name": "Source", "type": "single_select",
             "options": {"choices": [{"label": "WeChat"}, {"label": "Referral"}]}}]})
    admin = new_page(context, sqlite_server)
    admin.goto(f"{sqlite_server.url}/tables/{table['id']}/form")
    with admin.expect_navigation():
        admin.click("#btn-share-form")
    link = admin.locator("a.public-link").first
    href = link.get_attribute("href")
    assert re.search(r"/f/[A-Za-z0-9_-]{40,}$", href)
    screenshot(admin, "form-share")

    visitor_context = browser.new_context(locale="zh-CN", viewport={"width": 800, "height": 900})
    try:
        visitor = visitor_context.new_page()
        visitor.goto(href)
        assert visitor.url == href  # no detour through /login
        ids = [f["id"] for f in table["fields"]]
        visitor.fill(f"#f_{ids[0]}", "陈静")
        visitor.fill(f"#f_{ids[1]}", "13800000000")
        visitor.fill(f"#f_{ids[2]}", "四十")
        visitor.select_option(f"#f_{ids[3]}", "WeChat")
        visitor.click(".intake-form button[type=submit]")
        error = visitor.locator(f"#f_{ids[2]}-error")
        error.wait_for()
        assert visitor.locator(f"#f_{ids[2]}").input_value() == "四十"
        screenshot(visitor, "public-form-error-zh")
        visitor.fill(f"#f_{ids[2]}", "40")
        visitor.click(".intake-form button[type=submit]")
        visitor.locator(".form-thanks").wait_for()
        assert "谢谢" in visitor.locator(".form-thanks").inner_text()
        screenshot(visitor, "public-form-sent-zh")
        rows = api("GET", f"/api/v1/tables/{table['id']}/records")["rows"]
        assert [(r["fields"]["Name"], r["fields"]["Age"], r["fields"]["Source"])
                for r in rows] == [("陈静", 40, "WeChat")]
        # the admin revokes the link: the visitor's next visit finds the form closed
        admin.reload()
        with admin.expect_navigation():
            admin.click(".form-links .revoke-link")
        assert admin.locator("a.public-link").count() == 0
        response = visitor.goto(href)
        assert response is not None and response.status == 410
        assert visitor.locator(".form-gone").is_visible()
    finally:
        visitor_context.close()
