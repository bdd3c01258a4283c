"""The authorization matrix of the HTML pages and the UI's JSON endpoints: every route the app
serves outside /api/v1 × every role (plus outsider and anonymous) × own/other rows, through
the web app with API tokens. A page added without an entry in ``PAGES`` fails
``test_every_page_is_in_the_matrix``.

Letters as in test_matrix.py. Anonymous HTML requests are redirected to /login (303), other
anonymous requests get 401; a signed-in caller without the role gets 403; restricted roles get
404 for rows outside their rule."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tessera.query import count_records
from tessera.records import RecordService
from tessera.web import create_app
from tessera.web.events import _may_read

from .conftest import RESTRICTED, World

LETTERS = {"O": "owner", "A": "admin", "E": "editor", "C": "commenter", "V": "viewer",
           "X": "outsider", "N": "anonymous"}
PUBLIC = "public"
SITE_ADMIN = ""  # nobody in the matrix is a site administrator

# page name → roles allowed; ROW_PAGES: what a restricted role gets for another's row
PAGES: dict[str, str] = {
    "home": "OAECVX", "base": "OAECV", "table": "OAECV", "table_rows": "OAECV",
    "set_language": "OAECVX",
    "grid_block": "OAECV", "grid_count": "OAECV", "grid_groups": "OAECV", "grid_search": "OAECV",
    "grid_update": "OAE", "grid_create": "OAE", "grid_delete": "OAE", "grid_undo": "OAE",
    "table_events": "OAECV", "formula_functions": "OAECVX", "formula_analyze": "OA",
    "table_import": "OAECV", "table_kanban": "OAECV", "table_calendar": "OAECV",
    "table_form": "OAECV", "record_page": "OAECV", "record_comments": "OAEC",
    "dashboards": "OAECV", "automations": "OA",
    "login": PUBLIC, "setup": PUBLIC, "health": PUBLIC, "member_css": PUBLIC,
    "member_page": PUBLIC, "member_qr": PUBLIC, "logout": PUBLIC,
    "admin_audit": SITE_ADMIN, "admin_trash": SITE_ADMIN, "admin_trash_restore": SITE_ADMIN,
    "admin_trash_purge": SITE_ADMIN,
    # app pack screens: the list for everyone signed in, a base's upgrade/export for schema admins
    "packs": "OAECVX", "pack_bundled_files": "OAECVX", "pack_unzip": "OAECVX",
    "base_pack": "OA", "pack_export_file": "OA",
    # public form links are made and revoked by schema admins; the form itself is public
    "form_share": "OA", "form_revoke": "OA", "public_form": PUBLIC,
    "personal_settings": "OAECV", "outreach_callback": PUBLIC,
}
ROW_PAGES = {"record_page": 404, "record_comments": 404, "grid_update": 404, "grid_delete": 404,
             "grid_block": 200}
_n = itertools.count(1)


@dataclass
class Req:
    method: str
    path: str
    ok: int = 200
    json: Any = None
    data: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None


def _served_pages(app: Any) -> dict[str, Route]:
    return {r.name: r for r in app.routes
            if isinstance(r, Route) and not r.path.startswith("/api/")}


def _build(world: World, name: str, role: str, which: str) -> Req:
    c, b = world.customers.id, world.base_id
    def row() -> int:
        return world.own_or_other(role, which)

    def change_set() -> int:
        service = RecordService(world.engine)
        service.update(c, world.own_or_other(role, "own"), {"姓名": f"改{next(_n)}"})
        assert service.last_change_set_id is not None
        return service.last_change_set_id

    builders: dict[str, Callable[[], Req]] = {
        "home": lambda: Req("GET", "/"),
        "base": lambda: Req("GET", f"/bases/{b}"),
        "table": lambda: Req("GET", f"/tables/{c}"),
        "table_rows": lambda: Req("GET", f"/tables/{c}/rows"),
        "set_language": lambda: Req("GET", "/ui/lang/zh", ok=303),
        "grid_block": lambda: Req("GET", f"/ui/tables/{c}/grid/block", row=row()),
        "grid_count": lambda: Req("GET", f"/ui/tables/{c}/grid/count"),
        "grid_groups": lambda: Req("GET", f"/ui/tables/{c}/grid/groups",
                                   params={"field": "等级"}),
        "grid_search": lambda: Req("GET", f"/ui/tables/{c}/grid/search", params={"q": "顾客"}),
        "grid_update": lambda: Req("POST", f"/ui/tables/{c}/grid/update", json={
            "records": [{"id": row(), "fields": {"姓名": "改名"}}]}),
        "grid_create": lambda: Req("POST", f"/ui/tables/{c}/grid/create", ok=201, json={
            "records": [{"fields": {"姓名": "新", "负责人": world.person(
                role if role in world.people else "owner").user_id}}]}),
        "grid_delete": lambda: Req("POST", f"/ui/tables/{c}/grid/delete", json={"ids": [row()]}),
        "grid_undo": lambda: Req("POST", f"/ui/change-sets/{change_set()}/undo"),
        "table_events": lambda: Req("GET", f"/ui/tables/{c}/events"),
        "formula_functions": lambda: Req("GET", "/ui/formula/functions"),
        "formula_analyze": lambda: Req("POST", f"/ui/tables/{c}/formula/analyze",
                                       json={"formula": "{电话}"}),
        "table_import": lambda: Req("GET", f"/tables/{c}/import"),
        "table_kanban": lambda: Req("GET", f"/tables/{c}/kanban"),
        "table_calendar": lambda: Req("GET", f"/tables/{c}/calendar"),
        "table_form": lambda: Req("GET", f"/tables/{c}/form"),
        "record_page": lambda: Req("GET", f"/tables/{c}/records/{row()}"),
        "record_comments": lambda: Req("POST", f"/tables/{c}/records/{row()}/comments", ok=303,
                                       data={"body": "<b>请回电</b>"}),
        "dashboards": lambda: Req("GET", f"/bases/{b}/dashboards"),
        "automations": lambda: Req("GET", f"/bases/{b}/automations"),
        "login": lambda: Req("GET", "/login"),
        "setup": lambda: Req("GET", "/setup"),
        "health": lambda: Req("GET", "/health"),
        "member_css": lambda: Req("GET", "/m-static/member.css"),
        "member_page": lambda: Req("GET", "/m/not-a-token"),
        "member_qr": lambda: Req("GET", "/m/not-a-token/qr.svg"),
        "logout": lambda: Req("POST", "/logout", ok=303),
        "admin_audit": lambda: Req("GET", "/admin/audit"),
        "admin_trash": lambda: Req("GET", "/admin/trash"),
        "admin_trash_restore": lambda: Req("POST", "/admin/trash/1/restore"),
        "admin_trash_purge": lambda: Req("POST", "/admin/trash/1/purge"),
        "packs": lambda: Req("GET", "/packs"),
        "pack_bundled_files": lambda: Req("GET", "/ui/packs/bundled/clinic_crm"),
        "pack_unzip": lambda: Req("POST", "/ui/packs/unzip", ok=400, data={"x": "not a zip"}),
        "base_pack": lambda: Req("GET", f"/bases/{b}/pack"),
        "pack_export_file": lambda: Req("GET", f"/bases/{b}/pack/export.yaml"),
        "form_share": lambda: Req("POST", f"/tables/{c}/form/links", ok=303, data={"view": ""}),
        "form_revoke": lambda: Req("POST", f"/tables/{c}/form/links/987654/revoke", ok=404,
                                   data={"view": ""}),
        "public_form": lambda: Req("GET", "/f/" + "x" * 43),
        "personal_settings": lambda: Req("GET", f"/ui/tables/{c}/personal"),
        "outreach_callback": lambda: Req("POST", "/hooks/outreach/1/" + "x" * 43 + "/receipts",
                                         json={}),
    }
    return builders[name]()


def _expected(name: str, role: str, which: str, req: Req) -> int:
    rule = PAGES[name]
    if rule == PUBLIC:
        return -1
    if role not in {LETTERS[x] for x in rule}:
        if role == "anonymous":
            return 303 if req.method == "GET" else 401
        return 403
    if which == "other" and role in RESTRICTED and name in ROW_PAGES:
        return ROW_PAGES[name]
    return req.ok


@pytest.fixture(scope="module")
def app(world: World) -> Any:
    return create_app(engine=world.engine, embedded_worker=False)


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_every_page_is_in_the_matrix(app: Any) -> None:
    served = set(_served_pages(app))
    assert sorted(served - set(PAGES)) == [], "add the new pages to PAGES"
    assert sorted(set(PAGES) - served) == []


def _cases() -> Iterator[Any]:
    for name in PAGES:
        rows = ("own", "other") if name in ROW_PAGES else ("-",)
        for role in LETTERS.values():
            for which in rows:
                yield pytest.param(name, role, which, id=f"{name}-{role}-{which}")


@pytest.mark.parametrize(("name", "role", "which"), list(_cases()))
def test_page_matrix(world: World, client: TestClient, name: str, role: str,
                     which: str) -> None:
    req = _build(world, name, role, which)
    expected = _expected(name, role, which, req)
    if name == "table_events" and expected == 200:
        _may_read(world.engine, world.customers.id)  # the stream itself never ends
        return
    headers = {"Accept": "text/html" if req.method == "GET" else "application/json"}
    if role in world.people:
        headers.update(world.person(role).headers)
    response = client.request(req.method, req.path, json=req.json, data=req.data,
                              params=req.params, headers=headers)
    if expected == -1:  # public: the same answer whoever asks
        expected = client.request(req.method, req.path, json=req.json, params=req.params,
                                  headers={"Accept": headers["Accept"]}).status_code
    assert response.status_code == expected, response.text[:400]
    if expected == 303 and role == "anonymous":
        assert response.headers["location"].startswith(("/login", "/setup"))
    if req.row is not None and response.status_code == 200 and role in RESTRICTED:
        ids = {r["id"] for r in response.json()["rows"]}
        assert (req.row in ids) is (which == "own") and world.rows["other"] not in ids
        assert all(str(world.customers.field("电话").id) not in r["fields"]
                   for r in response.json()["rows"]) is (role != "editor")


@pytest.mark.parametrize(("role", "phone_shown"), [("owner", True), ("editor", True),
                                                   ("viewer", False)])
def test_grid_config_leaves_hidden_fields_out(world: World, client: TestClient, role: str,
                                              phone_shown: bool) -> None:
    text = client.get(f"/tables/{world.customers.id}", headers={
        **world.person(role).headers, "Accept": "text/html"}).text
    def named(name: str) -> bool:  # the config JSON sits in an attribute, quotes escaped
        return f'"name": "{name}"' in text or f"&#34;name&#34;: &#34;{name}&#34;" in text

    assert named("姓名") and named("电话") is phone_shown


@pytest.mark.parametrize(("role", "total"), [("owner", "all"), ("viewer", "own")])
def test_grid_groups_count_only_visible_rows(world: World, client: TestClient, role: str,
                                             total: str) -> None:
    groups = client.get(f"/ui/tables/{world.customers.id}/grid/groups", params={"field": "等级"},
                        headers=world.person(role).headers).json()["groups"]
    counted = sum(g["count"] for g in groups)
    expected = count_records(world.engine, world.customers.id,
                             principal=world.person(role).principal)
    assert counted == expected
    if total == "own":
        assert counted < count_records(world.engine, world.customers.id)
