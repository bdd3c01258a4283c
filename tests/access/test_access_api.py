"""Managing access over the REST API: the owner grants roles by username or group name, sets
row rules and field permissions, and the member's reads change accordingly; mistakes get
clear 400/404 answers (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tessera import schema_ops as schema
from tessera.auth.users import add_member, create_group
from tessera.records import RecordService
from tessera.web import create_app

from .conftest import Person

P = "/api/v1"


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine, embedded_worker=False)) as c:
        yield c


@pytest.fixture(scope="module")
def setup(engine: Engine, people: dict[str, Person], client: TestClient) -> dict[str, Any]:
    owner = people["owner"]
    base = client.post(f"{P}/bases", json={"name": "接口管理"}, headers=owner.headers).json()
    table = schema.create_table(engine, base["id"], "顾客", primary_field="姓名", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("电话", "text")])
    RecordService(engine).bulk_create(table.id, [
        {"姓名": "甲", "负责人": people["viewer"].user_id, "电话": "1"},
        {"姓名": "乙", "负责人": owner.user_id, "电话": "2"}])
    return {"base": base["id"], "table": table}


def test_creator_owns_the_base(client: TestClient, people: dict[str, Person],
                               setup: dict[str, Any]) -> None:
    members = client.get(f"{P}/bases/{setup['base']}/members",
                         headers=people["owner"].headers).json()
    assert [(m["name"], m["role"]) for m in members] == [(people["owner"].username, "owner")]


def test_grant_rule_permission_and_revoke(client: TestClient, engine: Engine,
                                          people: dict[str, Person],
                                          setup: dict[str, Any]) -> None:
    owner, viewer = people["owner"].headers, people["viewer"]
    base, table = setup["base"], setup["table"]
    records = f"{P}/tables/{table.id}/records"
    assert client.get(records, headers=viewer.headers).status_code == 403
    granted = client.post(f"{P}/bases/{base}/members", headers=owner,
                          json={"user": viewer.username, "role": "viewer"})
    assert granted.status_code == 200 and granted.json()["role"] == "viewer"
    assert [r["fields"]["姓名"] for r in client.get(records, headers=viewer.headers)
            .json()["rows"]] == ["甲", "乙"]
    rule = client.put(f"{P}/tables/{table.id}/row-rules/viewer", headers=owner,
                      json={"formula": "{负责人} = CURRENT_USER()"})
    assert rule.json()["row_rules"] == {"viewer": "{负责人} = CURRENT_USER()"}
    phone = table.field("电话").id
    hidden = client.put(f"{P}/fields/{phone}/permissions/viewer", headers=owner,
                        json={"mode": "hidden"})
    assert hidden.json()["field_permissions"] == {"viewer": {str(phone): "hidden"}}
    rows = client.get(records, headers=viewer.headers).json()["rows"]
    assert [(r["fields"]["姓名"], "电话" in r["fields"]) for r in rows] == [("甲", False)]
    revoked = client.post(f"{P}/bases/{base}/members/revoke", headers=owner,
                          json={"user": viewer.username})
    assert revoked.json() == {"revoked": True}
    assert client.get(records, headers=viewer.headers).status_code == 403


def test_groups_get_roles_by_name(client: TestClient, engine: Engine,
                                  people: dict[str, Person], setup: dict[str, Any]) -> None:
    group = create_group(engine, f"电话组{setup['base']}")
    add_member(engine, group, people["commenter"].user_id)
    client.post(f"{P}/bases/{setup['base']}/members", headers=people["owner"].headers,
                json={"group": f"电话组{setup['base']}", "role": "commenter"})
    assert client.get(f"{P}/tables/{setup['table'].id}/records",
                      headers=people["commenter"].headers).status_code == 200


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/bases/{base}/members", {"user": "no-such-user", "role": "viewer"}, 404, "not_found"),
    ("/bases/{base}/members", {"role": "viewer"}, 400, "invalid_grant"),
    ("/bases/{base}/members", {"user": "x", "group": "y", "role": "viewer"}, 400,
     "invalid_grant"),
    ("/bases/{base}/members", {"user": "x", "role": "god"}, 400, "invalid_request"),
    ("/tables/{table}/row-rules/viewer", {"formula": "{无此字段} = 1"}, 400, "invalid_rule"),
    ("/tables/{table}/row-rules/viewer", {"formula": "{负责人}"}, 400, "invalid_rule"),
    ("/tables/{table}/row-rules/owner", {"formula": "TRUE"}, 400, "invalid_rule"),
    ("/tables/{table}/row-rules/boss", {"formula": "TRUE"}, 400, "invalid_role"),
])
def test_mistakes_are_explained(client: TestClient, people: dict[str, Person],
                                setup: dict[str, Any], path: str, body: dict[str, Any],
                                status: int, code: str) -> None:
    url = P + path.format(base=setup["base"], table=setup["table"].id)
    method = "PUT" if "row-rules" in path else "POST"
    response = client.request(method, url, json=body, headers={
        **people["owner"].headers, "Accept-Language": "zh-CN"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
