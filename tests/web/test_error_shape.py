"""Every failure has the one error shape, the right status, a stable code, and a message in
the request's language; bad input never yields a 5xx."""

from __future__ import annotations

import pytest

ZH = {"accept-language": "zh-CN,zh;q=0.9"}

# (id, method, path template, request kwargs, status, code, text the English message contains)
CASES = [
    ("unknown-route", "GET", "/api/v1/nothing", {}, 404, "not_found", "check the URL"),
    ("method", "PUT", "/api/v1/bases", {}, 405, "method_not_allowed", "not allowed"),
    ("missing-base", "GET", "/api/v1/bases/999", {}, 404, "not_found", "No base"),
    ("huge-id", "GET", "/api/v1/tables/99999999999999999999", {}, 404, "not_found", "No table"),
    ("empty-body", "POST", "/api/v1/bases", {"content": b""}, 400, "invalid_json", "empty"),
    ("bad-json", "POST", "/api/v1/bases", {"content": b"{name"}, 400, "invalid_json",
     "not valid JSON"),
    ("missing-prop", "POST", "/api/v1/bases", {"json": {}}, 400, "invalid_request",
     "missing the required property 'name'"),
    ("wrong-type", "POST", "/api/v1/bases", {"json": {"name": 5}}, 400, "invalid_request",
     "body.name must be of type string"),
    ("unknown-prop", "POST", "/api/v1/bases", {"json": {"name": "a", "x": 1}}, 400,
     "invalid_request", "unknown property x"),
    ("blank-name", "POST", "/api/v1/bases", {"json": {"name": ""}}, 400, "invalid_request",
     "at least 1 character"),
    ("bad-field-type", "POST", "/api/v1/tables/{table}/fields",
     {"json": {"name": "X", "type": "spreadsheet"}}, 400, "invalid_request", "must be one of"),
    ("duplicate-field", "POST", "/api/v1/tables/{table}/fields",
     {"json": {"name": "Age", "type": "text"}}, 409, "name_conflict", "already exists"),
    ("limit-too-big", "GET", "/api/v1/tables/{table}/records?limit=1001", {}, 400,
     "invalid_request", "query.limit must be at most 1000"),
    ("limit-not-int", "GET", "/api/v1/tables/{table}/records?limit=ten", {}, 400,
     "invalid_request", "query.limit must be of type integer"),
    ("filter-not-json", "GET", "/api/v1/tables/{table}/records?filter={oops", {}, 400,
     "invalid_request", "must be JSON"),
    ("filter-unknown-field", "GET",
     '/api/v1/tables/{table}/records?filter={"field":"Nope","op":"=","value":1}', {}, 400,
     "invalid_request", "query.filter names the field 'Nope'"),
    ("sort-unknown-field", "GET",
     '/api/v1/tables/{table}/records?sort=[{"field":"Nope"}]', {}, 400,
     "invalid_request", "query.sort names the field 'Nope'"),
    ("sort-bad-direction", "GET",
     '/api/v1/tables/{table}/records?sort=[{"field":"Age","direction":"up"}]', {}, 400,
     "invalid_request", "query.sort.0.direction must be one of"),
    ("filter-bad-op", "GET",
     '/api/v1/tables/{table}/records?filter={"field":"Age","op":"sounds_like","value":1}', {},
     400, "invalid_query", ""),
    ("bad-cursor", "GET", "/api/v1/tables/{table}/records?cursor=garbage", {}, 400,
     "invalid_query", ""),
    ("unknown-param", "GET", "/api/v1/tables/{table}/records?page=2", {}, 400,
     "invalid_request", "Unknown query parameter"),
    ("bad-value", "POST", "/api/v1/tables/{table}/records",
     {"json": {"fields": {"Age": "forty"}}}, 422, "invalid_records", "'Age'"),
    ("unknown-choice", "POST", "/api/v1/tables/{table}/records",
     {"json": {"fields": {"Tier": "Platinum"}}}, 422, "invalid_records", "'Tier'"),
    ("missing-record", "GET", "/api/v1/tables/{table}/records/999", {}, 404, "not_found",
     "No record"),
    ("bulk-too-many", "POST", "/api/v1/tables/{table}/records/bulk-delete",
     {"json": {"ids": list(range(1, 1002))}}, 400, "invalid_request", "at most 1000"),
    ("empty-patch", "PATCH", "/api/v1/fields/{age}", {"json": {}}, 400, "invalid_request",
     "at least 1"),
]


def _path(template: str, table: dict) -> str:
    age = next(f["id"] for f in table["fields"] if f["name"] == "Age")
    return template.replace("{table}", str(table["id"])).replace("{age}", str(age))


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code", "text"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_shape(client, table, method, path, kwargs, status, code, text) -> None:
    response = client.request(method, _path(path, table), **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert text in error["message"]
    assert isinstance(error["details"], dict)


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code", "text"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_message_in_chinese(client, table, method, path, kwargs, status, code,
                                  text) -> None:
    response = client.request(method, _path(path, table), headers=ZH, **kwargs)
    assert response.status_code == status
    message = response.json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_numbers_beyond_64_bits_are_a_400(client, table) -> None:
    link = client.post(f"/api/v1/tables/{table['id']}/fields", json={
        "name": "Refs", "type": "link", "options": {"target_table_id": table["id"]}})
    assert link.status_code == 201
    response = client.post(f"/api/v1/tables/{table['id']}/records",
                           json={"fields": {"Refs": [10**30]}})
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("value_out_of_range", "invalid_records")


def test_validation_details_name_location_and_value(client) -> None:
    error = client.post("/api/v1/bases", json={"name": 5}).json()["error"]
    assert error["details"]["errors"] == [
        {"location": "body.name", "problem": "must be of type string, not 5", "value": 5}]


def test_record_errors_list_every_bad_value(client, table) -> None:
    response = client.post(f"/api/v1/tables/{table['id']}/records/bulk-create", json={
        "records": [{"fields": {"Age": "x"}}, {"fields": {"Age": 3}},
                    {"fields": {"Tier": "Gold"}}]})
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(0, "Age"), (2, "Tier")]
    page = client.get(f"/api/v1/tables/{table['id']}/records").json()
    assert page["total"] == 0  # nothing was written


def test_method_not_allowed_lists_every_method(client) -> None:
    response = client.request("PUT", "/api/v1/bases")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
