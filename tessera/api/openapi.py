"""Build the OpenAPI 3.1 document from the route table (nothing here is written by hand
per endpoint)."""

from __future__ import annotations

from functools import lru_cache
from http import HTTPStatus
from typing import Any

import tessera
from tessera.access.api_policy import access_error_codes
from tessera.api.schemas import COMPONENTS, ref
from tessera.api.spec import ApiRoute, openapi_path, path_params

__all__ = ["build_document"]

_ERROR_TEXT = {400: "Invalid request (the error names the parameter and what to send)",
               401: "Not signed in (send a session cookie or an API token)",
               403: "Forbidden: your role on this base does not allow it",
               404: "Not found", 409: "Name conflict", 422: "Invalid field value(s)"}


def _operation(route: ApiRoute) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer"} if conv == "int" else {"type": "string"}}
                  for name, conv in path_params(route.path)]
    for p in route.params:
        param: dict[str, Any] = {"name": p.name, "in": "query", "required": p.required,
                                 "description": p.description}
        if p.json:
            param["content"] = {"application/json": {"schema": p.schema}}
        else:
            param["schema"] = p.schema
        parameters.append(param)
    responses: dict[str, Any] = {}
    ok = HTTPStatus(route.status).phrase
    if route.response is None:
        responses[str(route.status)] = {"description": ok}
    else:
        responses[str(route.status)] = {
            "description": ok, "content": {"application/json": {"schema": route.response}}}
    codes = set(route.errors) | ({400} if route.params or route.body else set())
    codes |= access_error_codes(route.operation_id)
    for code in sorted(codes):
        responses[str(code)] = {"description": _ERROR_TEXT.get(code, HTTPStatus(code).phrase),
                                "content": {"application/json": {"schema": ref("Error")}}}
    op: dict[str, Any] = {"operationId": route.operation_id, "summary": route.summary,
                          "tags": [route.tag], "responses": responses}
    if parameters:
        op["parameters"] = parameters
    if not access_error_codes(route.operation_id):
        op["security"] = []  # public: no credentials needed (docs/security.md)
    if route.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": route.body}}}
    return op


@lru_cache(maxsize=1)
def build_document() -> dict[str, Any]:
    from tessera.api.routes import API_ROUTES

    paths: dict[str, dict[str, Any]] = {}
    for route in API_ROUTES:
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tessera API", "version": tessera.__version__,
                 "description": "Bases, tables, fields, records and views. Every error has the "
                                "shape {\"error\": {\"code\", \"message\", \"details\"}}; "
                                "messages follow Accept-Language (en, zh)."},
        "paths": paths,
        # Either an API token or a browser session (docs/security.md).
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
        "components": {"schemas": COMPONENTS, "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer",
                            "description": "an API token: tessera token create USER"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "tessera_session",
                              "description": "a browser session from /login; unsafe methods "
                                             "also need the X-CSRF-Token header"}}},
    }
