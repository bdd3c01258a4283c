"""Web/API fixtures: an app on a fresh migrated database per backend, and a client that checks
every API response against the schema the route table declares for it (the OpenAPI document's
source), so a handler that drifts from its documented shape fails whichever test called it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import compile_path
from starlette.testclient import TestClient

from tessera.api.routes import API_ROUTES
from tessera.api.schemas import COMPONENTS
from tessera.api.spec import ApiRoute
from tessera.auth.bootstrap import admin_token, bearer
from tessera.migrate import upgrade
from tessera.web import create_app

_COMPILED = [(route, compile_path(route.path)[0]) for route in API_ROUTES]


def route_for(method: str, path: str) -> ApiRoute | None:
    for route, regex in _COMPILED:
        if route.method == method and regex.match(path):
            return route
    return None


def _validate(schema: dict[str, Any], value: Any) -> None:
    Draft202012Validator({**schema, "components": {"schemas": COMPONENTS}}).validate(value)


class ApiClient:
    """TestClient wrapper: request(), plus the schema check of every /api/v1 response."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.checked = 0

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        route = route_for(method, path.split("?")[0])
        if route is not None:
            if response.status_code == route.status and route.response is not None:
                _validate(route.response, response.json())
            elif response.status_code >= 400:
                _validate({"$ref": "#/components/schemas/Error"}, response.json())
                assert response.status_code < 500, response.text
            self.checked += 1
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def app(backend_url: str) -> Iterator[Any]:
    upgrade(backend_url)
    application = create_app(backend_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[ApiClient]:
    # Authenticated as an admin through an API token (every route but a few needs a login).
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(admin_token(app.state.engine))) as test_client:
        yield ApiClient(test_client)


@pytest.fixture
def table(client: ApiClient) -> dict[str, Any]:
    """A base 'Clinic' with a table 'Customers': Name (text), Age (number), Tier (select)."""
    base = client.post("/api/v1/bases", json={"name": "Clinic"}).json()
    response = client.post(f"/api/v1/bases/{base['id']}/tables", json={
        "name": "Customers",
        "fields": [{"name": "Age", "type": "number", "options": {"precision": 0}},
                   {"name": "Tier", "type": "single_select",
                    "options": {"choices": [{"label": "VIP"}, {"label": "Regular"}]}}]})
    assert response.status_code == 201, response.text
    return response.json()
