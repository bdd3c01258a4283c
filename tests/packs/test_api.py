"""The pack REST API (validate, install, upgrade with dry run, export, dashboards) on both
backends; every answer is checked against the schema its route declares in the OpenAPI
document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from tessera.api.pack_routes import PACK_ROUTES
from tessera.api.schemas import COMPONENTS
from tessera.auth.bootstrap import admin_token, bearer
from tessera.web import create_app

from .conftest import GYM, SHOP_V1, SHOP_V2

ROUTES = {r.operation_id: r for r in PACK_ROUTES}


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine), raise_server_exceptions=False,
                    headers=bearer(admin_token(engine))) as c:
        yield c


def _call(client: TestClient, operation: str, path: str, body: Any = None) -> Any:
    route = ROUTES[operation]
    response = client.request(route.method, path, json=body)
    schema = route.response if response.status_code == route.status else \
        {"$ref": "#/components/schemas/Error"}
    Draft202012Validator({**schema, "components": {"schemas": COMPONENTS}}).validate(response.json())
    return response


def _text(folder: Any) -> str:
    return (folder / "pack.yaml").read_text(encoding="utf-8")


def test_validate_reports_problems_with_positions(client: TestClient) -> None:
    ok = _call(client, "validate_pack", "/api/v1/packs/validate", {"text": _text(GYM)})
    assert ok.status_code == 200
    assert ok.json() == {"valid": True, "issues": [], "name": "gym_membership", "version": "1.0.0"}
    bad = _text(SHOP_V1).replace("type: currency", "type: money")
    answer = _call(client, "validate_pack", "/api/v1/packs/validate", {"text": bad}).json()
    assert answer["valid"] is False
    assert answer["issues"][0] | {"message": "", "message_zh": ""} == {
        "file": "pack.yaml", "line": 12, "column": 40, "path": "$.tables[0].fields[0].type",
        "code": "pack.schema", "message": "", "message_zh": ""}
    overlay = _call(client, "validate_pack", "/api/v1/packs/validate", {
        "text": _text(GYM), "locales": {"en": "tables: {nope: {label: X}}\n"}}).json()
    assert [i["file"] for i in overlay["issues"]] == ["locales/en.yaml"]
    broken = _call(client, "validate_pack", "/api/v1/packs/validate", {"text": "a: [1,\n"}).json()
    assert broken["valid"] is False and broken["issues"][0]["code"] == "pack.yaml_syntax"


def test_install_upgrade_export_through_the_api(client: TestClient) -> None:
    installed = _call(client, "install_pack", "/api/v1/packs/install",
                      {"text": _text(SHOP_V1), "base_name": "小店"})
    assert installed.status_code == 201, installed.text
    base_id = installed.json()["base_id"]
    assert set(installed.json()["tables"]) == {"customers", "visits"}
    conflict = _call(client, "install_pack", "/api/v1/packs/install",
                     {"text": _text(SHOP_V1), "base_name": "小店"})
    assert conflict.status_code == 400 and conflict.json()["error"]["code"] == "pack.base_exists"

    plan = _call(client, "upgrade_pack", f"/api/v1/bases/{base_id}/pack/upgrade",
                 {"text": _text(SHOP_V2), "dry_run": True}).json()
    assert plan["dry_run"] and plan["conflicts"] == 0
    assert {"kind": "table", "key": "tasks", "action": "add", "ours": None} .items() <= \
        plan["items"][0].items()
    done = _call(client, "upgrade_pack", f"/api/v1/bases/{base_id}/pack/upgrade",
                 {"text": _text(SHOP_V2)}).json()
    assert not done["dry_run"] and done["to_version"] == "2.0.0"

    exported = _call(client, "export_pack", f"/api/v1/bases/{base_id}/pack/export").json()
    assert exported["pack"]["version"] == "2.0.0"
    assert "name: 回访任务" in exported["yaml"]
    boards = _call(client, "list_dashboards", f"/api/v1/bases/{base_id}/dashboards").json()
    assert [(b["name"], len(b["widgets"])) for b in boards] == [("总览", 2)]


def test_invalid_pack_is_a_400_with_the_issues(client: TestClient) -> None:
    bad = _text(SHOP_V1).replace("{累计消费} >= 50000", "{累计} >= 50000")
    response = _call(client, "install_pack", "/api/v1/packs/install",
                     {"text": bad, "base_name": "坏"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "pack.invalid"
    assert error["details"]["issues"][0]["path"] == "$.tables[0].fields[1].options.formula"
    zh = client.post("/api/v1/packs/install", json={"text": bad, "base_name": "坏"},
                     headers={"Accept-Language": "zh-CN"}).json()["error"]["message"]
    assert "应用包有 1 个问题" in zh
    assert client.get("/api/v1/bases").json() == []


def test_not_found_and_bad_bodies(client: TestClient) -> None:
    assert _call(client, "export_pack", "/api/v1/bases/999/pack/export").status_code == 404
    assert _call(client, "upgrade_pack", "/api/v1/bases/999/pack/upgrade",
                 {"text": _text(SHOP_V2)}).status_code == 404
    missing = _call(client, "validate_pack", "/api/v1/packs/validate", {})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid_request"


def test_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/packs/validate", "/api/v1/packs/install",
            "/api/v1/bases/{base_id}/pack/upgrade", "/api/v1/bases/{base_id}/pack/export",
            "/api/v1/bases/{base_id}/dashboards"} <= set(paths)
    assert paths["/api/v1/packs/install"]["post"]["tags"] == ["packs"]
