"""The ``editable`` field permission (issue 7): a commenter or viewer may update exactly the
fields marked editable for its role, on the rows its row rule shows, through the REST API, the
grid's endpoints and undo; anything else (another field, create, delete, another's row, a table
without editable fields) is refused like before. Editors are unaffected. The grid page marks
the cells a role cannot write, and kanban drags only when the stack field is writable.

The world (tests/access/conftest.py) gets two fields on 顾客: 状态 (a single select) editable
for commenters (and, changing nothing, for editors), 备注 editable for viewers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tessera import access
from tessera import schema_ops as schema
from tessera.access.scope import writable_fields
from tessera.errors import SchemaError
from tessera.query import count_records
from tessera.records import RecordService
from tessera.web import create_app

from .conftest import World

P = "/api/v1"


@pytest.fixture(scope="module")
def editable(world: World) -> World:
    status = schema.add_field(world.engine, world.customers.id, "状态", "single_select",
                              {"choices": [{"label": "待办"}, {"label": "已联系"}]})
    note = schema.add_field(world.engine, world.customers.id, "备注", "text")
    access.set_field_permission(world.engine, status.id, "commenter", "editable")
    access.set_field_permission(world.engine, status.id, "editor", "editable")
    access.set_field_permission(world.engine, note.id, "viewer", "editable")
    world.customers = schema.get_table(world.engine, world.customers.id)
    return world


@pytest.fixture(scope="module")
def client(editable: World) -> Iterator[TestClient]:
    app = create_app(engine=editable.engine, embedded_worker=False)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _row(world: World, role: str, which: str) -> int:
    return world.own_or_other(role, which)


def _fields(world: World, rid: int) -> dict[str, Any]:
    return RecordService(world.engine).get(world.customers.id, rid)["fields"]


def _call(client: TestClient, world: World, role: str, method: str, path: str,
          body: Any = None, lang: str = "en") -> Any:
    return client.request(method, path, json=body, headers={
        **world.person(role).headers, "Accept": "application/json", "Accept-Language": lang})


# role, row, fields written, expected status, what the 403 names (en, zh)
UPDATES = [
    ("commenter", "own", {"状态": "已联系"}, 200, None),
    ("viewer", "own", {"备注": "已回电"}, 200, None),
    ("editor", "own", {"状态": "已联系", "备注": "改", "姓名": "改名"}, 200, None),
    ("commenter", "own", {"姓名": "改名"}, 403, ("姓名: not editable", "您的角色不能修改该字段")),
    ("commenter", "own", {"状态": "已联系", "等级": "A"}, 403, ("等级: not editable", "等级")),
    ("commenter", "own", {"备注": "x"}, 403, ("备注: not editable", "备注")),
    ("viewer", "own", {"状态": "已联系"}, 403, ("状态: not editable", "状态")),
    ("commenter", "other", {"状态": "已联系"}, 404, None),   # outside the row rule
    ("viewer", "other", {"备注": "x"}, 404, None),
    ("editor", "own", {"等级": "A"}, 403, ("等级: read-only", "只读")),  # editable changes nothing
]


def _ids(cases: list[Any]) -> list[str]:
    return [f"{c[0]}-{c[1]}-{'+'.join(c[2])}-{c[3]}" for c in cases]


@pytest.mark.parametrize(("role", "which", "values", "status", "names"), UPDATES,
                         ids=_ids(UPDATES))
@pytest.mark.parametrize("path", ["api", "api_bulk", "grid"])
def test_updates(editable: World, client: TestClient, path: str, role: str, which: str,
                 values: dict[str, Any], status: int, names: tuple[str, str] | None) -> None:
    w, rid = editable, _row(editable, role, which)
    before = _fields(w, rid)
    c = w.customers.id
    requests = {
        "api": ("PATCH", f"{P}/tables/{c}/records/{rid}", {"fields": values}),
        "api_bulk": ("POST", f"{P}/tables/{c}/records/bulk-update",
                     {"records": [{"id": rid, "fields": values}]}),
        "grid": ("POST", f"/ui/tables/{c}/grid/update", {"records": [{"id": rid,
                                                                      "fields": values}]}),
    }
    method, url, body = requests[path]
    response = _call(client, w, role, method, url, body)
    assert response.status_code == status, response.text
    after = _fields(w, rid)
    if status == 200:
        assert {k: after[k] for k in values} == values
        return
    assert after == before                                   # nothing written
    if names is not None:
        en = response.json()["error"]
        zh = _call(client, w, role, method, url, body, lang="zh-CN").json()["error"]
        assert en["code"] == zh["code"] == "forbidden"
        assert names[0] in en["message"] and "Ask the base's owner" in en["message"]
        assert names[1] in zh["message"] and "所有者申请权限" in zh["message"]


# writes a commenter still may not make, though it may update 状态
REFUSED = [
    ("create", "POST", f"{P}/tables/{{c}}/records", {"fields": {"状态": "待办"}}),
    ("bulk create", "POST", f"{P}/tables/{{c}}/records/bulk-create",
     {"records": [{"fields": {"状态": "待办"}}]}),
    ("delete", "DELETE", f"{P}/tables/{{c}}/records/{{rid}}", None),
    ("bulk delete", "POST", f"{P}/tables/{{c}}/records/bulk-delete", {"ids": ["{rid}"]}),
    ("grid create", "POST", "/ui/tables/{c}/grid/create", {"records": [{"fields": {"状态": "待办"}}]}),
    ("grid delete", "POST", "/ui/tables/{c}/grid/delete", {"ids": ["{rid}"]}),
    ("no editable field in this table", "PATCH", f"{P}/tables/{{v}}/records/{{visit}}",
     {"fields": {"主题": "改"}}),
]


@pytest.mark.parametrize(("what", "method", "path", "body"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize("role", ["commenter", "viewer"])
def test_other_writes_stay_refused(editable: World, client: TestClient, role: str, what: str,
                                   method: str, path: str, body: Any) -> None:
    w, rid = editable, _row(editable, role, "own")
    visit = RecordService(w.engine).create(w.visits.id, {"主题": "回访"})["id"]
    ids = {"c": w.customers.id, "v": w.visits.id, "rid": rid, "visit": visit}
    url = path.format(**ids)
    if body is not None:
        body = json.loads(json.dumps(body, ensure_ascii=False).replace('"{rid}"', str(rid)))
    count, before = count_records(w.engine, w.customers.id), _fields(w, rid)
    response = _call(client, w, role, method, url, body)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden" and "may not change records" in error["message"]
    assert count_records(w.engine, w.customers.id) == count      # nothing created or deleted
    assert _fields(w, rid) == before


def test_bulk_update_with_a_row_outside_the_rule_writes_nothing(editable: World,
                                                                client: TestClient) -> None:
    w = editable
    own, other = _row(w, "commenter", "own"), _row(w, "commenter", "other")
    response = _call(client, w, "commenter", "POST",
                     f"{P}/tables/{w.customers.id}/records/bulk-update", {
        "records": [{"id": own, "fields": {"状态": "已联系"}},
                    {"id": other, "fields": {"状态": "已联系"}}]})
    assert response.status_code == 404
    assert _fields(w, own)["状态"] is None and _fields(w, other)["状态"] is None


@pytest.mark.parametrize(("values", "status"), [({"状态": "已联系"}, 200), ({"姓名": "改"}, 403)])
def test_undo_of_a_commenters_own_edit(editable: World, client: TestClient,
                                       values: dict[str, Any], status: int) -> None:
    """Undo (and redo) of an editable field's change is an update; undoing a change to any
    other field is refused (here the system renamed the commenter's own customer)."""
    w, rid = editable, _row(editable, "commenter", "own")
    if status == 200:
        made = _call(client, w, "commenter", "POST", f"/ui/tables/{w.customers.id}/grid/update",
                     {"records": [{"id": rid, "fields": values}]}).json()["change_set_id"]
    else:
        service = RecordService(w.engine)
        service.update(w.customers.id, rid, values)
        made = service.last_change_set_id
    before = _fields(w, rid)
    undone = _call(client, w, "commenter", "POST", f"/ui/change-sets/{made}/undo")
    assert undone.status_code == status, undone.text
    if status == 200:
        assert _fields(w, rid)["状态"] is None
        redo = _call(client, w, "commenter", "POST",
                     f"/ui/change-sets/{undone.json()['change_set_id']}/undo")
        assert redo.status_code == 200 and _fields(w, rid)["状态"] == "已联系"
    else:
        assert _fields(w, rid) == before


def test_undo_of_a_create_stays_refused(editable: World, client: TestClient) -> None:
    w = editable
    service = RecordService(w.engine)
    service.create(w.customers.id, {"姓名": "新", "负责人": w.person("commenter").user_id})
    undone = _call(client, w, "commenter", "POST",
                   f"/ui/change-sets/{service.last_change_set_id}/undo")
    assert undone.status_code == 403


# role → the fields of 顾客 it may write (what the grid opens an editor on)
WRITABLE = {
    "owner": {"姓名", "负责人", "等级", "电话", "状态", "备注"},
    "admin": {"姓名", "负责人", "等级", "电话", "状态", "备注"},
    "editor": {"姓名", "负责人", "电话", "状态", "备注"},   # 等级 is read-only for editors
    "commenter": {"状态"},
    "viewer": {"备注"},
    "outsider": set(),
}


@pytest.mark.parametrize(("role", "names"), sorted(WRITABLE.items()))
def test_writable_fields(editable: World, role: str, names: set[str]) -> None:
    w = editable
    with w.engine.begin() as conn:
        ids = writable_fields(conn, w.person(role).principal, w.customers.id)
    by_id = {f.id: f.name for f in w.customers.fields}
    assert {by_id[i] for i in ids} == names


def _page_config(response: Any) -> dict[str, Any]:
    found = re.search(r'data-config="([^"]*)"', response.text)
    assert found is not None, response.text[:300]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize(("role", "names"), [(r, n) for r, n in sorted(WRITABLE.items())
                                             if r != "outsider"])
def test_grid_page_marks_what_the_role_may_write(editable: World, client: TestClient,
                                                  role: str, names: set[str]) -> None:
    response = client.get(f"/tables/{editable.customers.id}",
                          headers={**editable.person(role).headers, "Accept": "text/html"})
    assert response.status_code == 200
    fields = _page_config(response)["fields"]
    assert {f["name"] for f in fields if f["writable"]} == names


@pytest.mark.parametrize(("role", "draggable"), [("editor", True), ("commenter", True),
                                                 ("viewer", False)])
def test_kanban_drags_only_a_writable_stack(editable: World, client: TestClient, role: str,
                                            draggable: bool) -> None:
    response = client.get(f"/tables/{editable.customers.id}/kanban",
                          headers={**editable.person(role).headers, "Accept": "text/html"})
    assert response.status_code == 200
    board = re.search(r'<div class="kanban" id="kanban"[^>]*>', response.text)
    assert board is not None
    assert ('data-readonly="true"' not in board.group(0)) is draggable


def test_field_permission_api_sets_and_lists_editable(editable: World,
                                                      client: TestClient) -> None:
    w = editable
    field = schema.add_field(w.engine, w.visits.id, f"结果{w.visits.id}", "long_text")
    owner = w.person("owner")
    set_ = client.put(f"{P}/fields/{field.id}/permissions/commenter", json={"mode": "editable"},
                      headers=owner.headers)
    assert set_.status_code == 200, set_.text
    assert set_.json()["field_permissions"]["commenter"] == {str(field.id): "editable"}
    listed = client.get(f"{P}/tables/{w.visits.id}/access", headers=owner.headers).json()
    assert listed["field_permissions"]["commenter"][str(field.id)] == "editable"
    cleared = client.put(f"{P}/fields/{field.id}/permissions/commenter", json={"mode": None},
                         headers=owner.headers)
    assert "commenter" not in cleared.json()["field_permissions"]


@pytest.mark.parametrize(("kind", "role", "mode", "fragment"), [
    ("formula", "commenter", "editable", "computed"),
    ("text", "owner", "editable", "Owners see and change everything"),
    ("text", "commenter", "writable", "use hidden, read_only or editable"),
])
def test_bad_editable_permissions_are_explained(editable: World, kind: str, role: str,
                                                mode: str, fragment: str) -> None:
    w = editable
    options = {"formula": "{主题} & \"!\""} if kind == "formula" else {}
    field = schema.add_field(w.engine, w.visits.id, f"字段{kind}{role}{mode}", kind, options)
    with pytest.raises(SchemaError) as info:
        access.set_field_permission(w.engine, field.id, role, mode)
    assert fragment in info.value.message_en and info.value.message_zh
    assert access.field_permissions(w.engine, w.visits.id, role).get(field.id) is None
