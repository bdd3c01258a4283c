"""The OpenAPI document is valid 3.1, describes every API route the app serves (and nothing
else), and is what /api/v1/openapi.json returns."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from tessera.api.openapi import build_document
from tessera.api.routes import API_ROUTES
from tessera.api.spec import openapi_path

DOC = build_document()


def test_document_is_valid_openapi_31() -> None:
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_served_document_equals_generated(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOC


def test_every_app_api_route_is_documented_with_its_methods(app) -> None:
    served = {(openapi_path(r.path), m.lower()) for r in app.routes
              if isinstance(r, Route) and r.path.startswith("/api/")
              for m in (r.methods or ()) if m != "HEAD"}
    documented = {(path, method) for path, item in DOC["paths"].items() for method in item}
    assert served == documented
    assert len(served) == len(API_ROUTES)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_route_declares_summary_and_responses(route) -> None:
    operation = DOC["paths"][openapi_path(route.path)][route.method.lower()]
    assert operation["summary"] == route.summary
    assert str(route.status) in operation["responses"]
    if route.body is not None:
        assert operation["requestBody"]["content"]["application/json"]["schema"] == route.body
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert declared == {p.name for p in route.params}


def test_operation_ids_are_unique() -> None:
    ids = [r.operation_id for r in API_ROUTES]
    assert len(ids) == len(set(ids))


def test_every_route_is_documented_in_docs() -> None:
    from pathlib import Path

    docs = "\n".join(p.read_text() for p in (Path(__file__).parents[2] / "docs").glob("*.md"))
    missing = [f"{r.method} {openapi_path(r.path)}" for r in API_ROUTES
               if r.tag != "automations" and f"`{r.method} {openapi_path(r.path)}`" not in docs]
    assert missing == []
