"""A view's kind and layout through the REST API: accepted on create and update, returned
(with field ids), refused with a zh/en error when invalid, and described in OpenAPI."""

from __future__ import annotations

import pytest

from tessera.api.openapi import build_document

API = "/api/v1"


def _ids(table: dict) -> dict[str, int]:
    return {f["name"]: f["id"] for f in table["fields"]}


@pytest.fixture
def dated(client, table) -> dict:
    made = client.post(f"{API}/tables/{table['id']}/fields", json={"name": "Visit",
                                                                  "type": "date"})
    assert made.status_code == 201, made.text
    return client.get(f"{API}/tables/{table['id']}").json()


@pytest.mark.parametrize("kind, layout, stored", [
    (None, None, {}),
    ("grid", {"group_by": ["Tier"], "fields": ["Age", "Name"], "row_height": "short"},
     {"group_by": ["Tier"], "fields": ["Age", "Name"], "row_height": "short"}),
    ("kanban", {"stack_field": "Tier"}, {"stack_field": "Tier"}),
    ("calendar", {"date_field": "Visit"}, {"date_field": "Visit"}),
    ("form", {"fields": ["Name", "Age"]}, {"fields": ["Name", "Age"]}),
])
def test_create_and_read_kind_and_layout(client, dated, kind, layout, stored) -> None:
    ids = _ids(dated)
    body = {"name": "V", **({"kind": kind} if kind else {}),
            **({"layout": layout} if layout else {})}
    made = client.post(f"{API}/tables/{dated['id']}/views", json=body)
    assert made.status_code == 201, made.text
    view = made.json()
    expected = {k: ([ids[n] for n in v] if isinstance(v, list) else
                    (v if k == "row_height" else ids[v])) for k, v in stored.items()}
    assert (view["kind"], view["layout"]) == (kind or "grid", expected)
    assert client.get(f"{API}/views/{view['id']}").json() == view
    assert client.get(f"{API}/tables/{dated['id']}/views").json() == [view]


@pytest.mark.parametrize("patch, kind, layout_keys", [
    ({"kind": "calendar", "layout": {"date_field": "Visit"}}, "calendar", {"date_field"}),
    ({"layout": {}}, "kanban", set()),
    ({"name": "Renamed"}, "kanban", {"stack_field"}),
])
def test_patch_kind_and_layout(client, dated, patch, kind, layout_keys) -> None:
    view = client.post(f"{API}/tables/{dated['id']}/views", json={
        "name": "Board", "kind": "kanban", "layout": {"stack_field": "Tier"}}).json()
    updated = client.patch(f"{API}/views/{view['id']}", json=patch)
    assert updated.status_code == 200, updated.text
    assert updated.json()["kind"] == kind and set(updated.json()["layout"]) == layout_keys


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "gallery"}, 400, "invalid_request"),             # not in the JSON Schema enum
    ({"layout": {"colour": "red"}}, 400, "invalid_request"),  # additionalProperties: false
    ({"kind": "kanban", "layout": {"stack_field": "Age"}}, 400, "layout_field_type"),
    ({"kind": "calendar", "layout": {"date_field": "Tier"}}, 400, "layout_field_type"),
    ({"layout": {"group_by": ["Missing"]}}, 400, "layout_field"),
])
def test_invalid_kind_or_layout_is_refused(client, dated, body, status, code) -> None:
    response = client.post(f"{API}/tables/{dated['id']}/views", json={"name": "V", **body})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    zh = client.post(f"{API}/tables/{dated['id']}/views", json={"name": "V", **body},
                     headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == status
    assert zh.json()["error"]["message"] != response.json()["error"]["message"]
    assert client.get(f"{API}/tables/{dated['id']}/views").json() == []


def test_openapi_documents_kind_and_layout() -> None:
    doc = build_document()
    view = doc["components"]["schemas"]["View"]
    assert {"kind", "layout"} <= set(view["required"])
    assert view["properties"]["kind"]["enum"] == ["grid", "kanban", "calendar", "form"]
    create = doc["paths"]["/api/v1/tables/{table_id}/views"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]["layout"]["properties"]) == {
        "group_by", "fields", "stack_field", "date_field", "row_height"}
