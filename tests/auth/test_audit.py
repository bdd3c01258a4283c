"""The audit log: sign-ins, sign-outs, schema changes, exports, tokens and trash are recorded
with who/when/what; admins read it (API and page), filtered and keyset paged, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from tessera.auth import audit
from tessera.auth.bootstrap import bearer
from tessera.auth.principal import Principal
from tessera.auth.tokens import create_token

from .conftest import HTML, meta_token, sign_in

ROOT = Principal(user_id=1, username="root", is_admin=True)


def _actions(engine, **filters) -> list[tuple[str, str]]:
    return [(e.action, e.username) for e in audit.list_entries(engine, **filters).entries]


def test_sign_in_failure_success_and_sign_out_are_recorded(browser, engine, alice) -> None:
    sign_in(browser, "alice", "not her password")
    sign_in(browser, "alice")
    token = meta_token(browser.get("/", headers=HTML).text)
    browser.post("/logout", data={"csrf_token": token})
    assert _actions(engine) == [("logout", "alice"), ("login.success", "alice"),
                                ("login.failure", "anonymous")]
    failure = audit.list_entries(engine, action="login.failure").entries[0]
    assert failure.target == "alice" and failure.detail == {"ip": "testclient"}


def test_schema_changes_exports_and_tokens_through_the_api(admin_api, engine) -> None:
    base = admin_api.post("/api/v1/bases", json={"name": "Clinic"}).json()
    table = admin_api.post(f"/api/v1/bases/{base['id']}/tables", json={"name": "客户"}).json()
    field = admin_api.post(f"/api/v1/tables/{table['id']}/fields",
                           json={"name": "电话", "type": "text"}).json()
    admin_api.patch(f"/api/v1/fields/{field['id']}", json={"name": "手机"})
    admin_api.post(f"/api/v1/tables/{table['id']}/export", json={"format": "csv"})
    admin_api.delete(f"/api/v1/fields/{field['id']}")
    made = admin_api.post("/api/v1/tokens", json={"name": "sync"}).json()
    admin_api.delete(f"/api/v1/tokens/{made['id']}")
    got = _actions(engine)
    assert [a for a, _ in got] == [
        "token.revoke", "token.create", "schema.delete_field", "export",
        "schema.update_field", "schema.add_field", "schema.create_table",
        "schema.create_base"]
    assert {u for _, u in got} == {"root"}
    add = audit.list_entries(engine, action="schema.add_field").entries[0]
    assert add.target == f"table {table['id']}"
    assert add.detail["body"] == {"name": "电话", "type": "text"}
    assert add.detail["id"] == field["id"]


@pytest.mark.parametrize("filters, expected", [
    ({}, ["c", "b", "a"]),
    ({"username": "bob"}, ["b"]),
    ({"action": "schema.*"}, ["b", "a"]),
    ({"action": "schema.x"}, ["a"]),
    ({"action": "schema"}, []),
])
def test_filters(engine, filters, expected) -> None:
    audit.record(engine, ROOT, "schema.x", "a")
    audit.record(engine, Principal(user_id=2, username="bob"), "schema.y", "b")
    audit.record(engine, ROOT, "export", "c")
    assert [e.target for e in audit.list_entries(engine, **filters).entries] == expected


def test_keyset_pages_and_date_filters(engine) -> None:
    for n in range(7):
        audit.record(engine, ROOT, "export", f"t{n}")
    seen, cursor = [], None
    while True:
        page = audit.list_entries(engine, limit=3, cursor=cursor)
        seen += [e.target for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"t{n}" for n in reversed(range(7))]
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert audit.list_entries(engine, since=tomorrow).entries == []
    assert len(audit.list_entries(engine, until=tomorrow).entries) == 7


def test_audit_api_and_page_are_for_admins_only(app, admin_api, engine, alice) -> None:
    audit.record(engine, ROOT, "export", "<script>alert(1)</script>", {"x": "<b>"})
    api = admin_api.get("/api/v1/audit?action=export&limit=1")
    assert api.status_code == 200 and api.json()["entries"][0]["action"] == "export"
    assert admin_api.get("/api/v1/audit?since=yesterday").status_code == 400
    assert admin_api.get("/api/v1/audit?cursor=abc").status_code == 400
    page = admin_api.get("/admin/audit?action=export", headers=HTML)
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(create_token(engine, "alice")[1])) as as_alice:
        assert as_alice.get("/api/v1/audit").status_code == 403
        assert as_alice.get("/admin/audit", headers=HTML).status_code == 403
        assert as_alice.get("/admin/trash", headers=HTML).status_code == 403


def test_permission_changes_can_be_recorded_by_other_areas(engine) -> None:
    """The access layer calls ``record`` in its own transaction."""
    with engine.begin() as conn:
        audit.record(conn, ROOT, "access.grant", "base 1", {"user": "alice", "role": "editor"})
    [entry] = audit.list_entries(engine, action="access.*").entries
    assert entry.detail == {"user": "alice", "role": "editor"} and entry.username == "root"
