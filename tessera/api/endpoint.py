"""Turn one ``ApiRoute`` into a Starlette endpoint: validate path, query and body against
the route's declarations, run the blocking handler in the threadpool, answer with orjson."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tessera.access.api_policy import ANONYMOUS, authorize
from tessera.api.spec import ApiRoute, Call, path_params
from tessera.api.validation import parse_json_body, parse_query, validate_body
from tessera.auth.api_audit import AUDITED_OPERATIONS, audit_call
from tessera.auth.principal import SYSTEM
from tessera.auth.request import optional_principal
from tessera.errors import NotFoundError
from tessera.web.i18n import request_locale
from tessera.web.responses import json_response

__all__ = ["make_endpoint"]

# Ids are INTEGER columns (32-bit on PostgreSQL): larger ids cannot exist, and refusing them
# here (404) keeps "integer out of range" out of the drivers.
_MAX_ID = 2**31 - 1


def _path_values(route: ApiRoute, request: Request) -> dict[str, Any]:
    values = dict(request.path_params)
    for name, conv in path_params(route.path):
        if conv == "int" and values[name] > _MAX_ID:
            raise NotFoundError(name.removesuffix("_id"), str(values[name]))
    return values


def _authorized_call(route: ApiRoute, call: Call) -> Any:
    """The route's access policy (tessera.access.api_policy), then its handler."""
    authorize(call.engine, route.operation_id, call.path, call.principal or ANONYMOUS)
    return route.handler(call)


def make_endpoint(route: ApiRoute) -> Any:
    async def endpoint(request: Request) -> Response:
        path = _path_values(route, request)
        query = parse_query(route, request.query_params)
        body = None
        if route.body is not None:
            body = parse_json_body(await request.body())
            validate_body(route, body)
        # The middleware identified the caller; public routes (webhook, spec) run as SYSTEM.
        call = Call(request.app.state.engine, path, query, body, request_locale(request),
                    optional_principal(request) or SYSTEM)
        result = await run_in_threadpool(_authorized_call, route, call)
        if route.operation_id in AUDITED_OPERATIONS:  # schema changes, exports (tessera.auth)
            await run_in_threadpool(audit_call, route, call, result)
        if route.status == 204:
            return Response(status_code=204)
        return json_response(result, status_code=route.status)

    endpoint.__name__ = route.operation_id
    return endpoint
