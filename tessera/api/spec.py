"""The declarative route table's vocabulary: one ``ApiRoute`` declares everything about an
endpoint (method, path, handler, parameters, request-body schema, response schema, summary).

The router, the request validator and the OpenAPI generator all read the same declarations,
so the published document cannot drift from what the server does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tessera.auth.principal import SYSTEM, Principal

__all__ = ["Param", "ApiRoute", "Call", "Handler", "path_params", "openapi_path"]

JsonSchema = dict[str, Any]

_PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")


@dataclass(frozen=True)
class Param:
    """A query parameter. ``json`` parameters carry JSON text (filters, sorts)."""

    name: str
    schema: JsonSchema
    description: str
    required: bool = False
    json: bool = False


@dataclass(frozen=True)
class Call:
    """What a handler receives: the app's engine, validated inputs, the request locale and
    the signed-in principal."""

    engine: Any
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    locale: str
    # Who is calling, set from the authentication middleware (tessera.auth); tessera.access
    # applies its role, field permissions and row rules.
    principal: Principal = SYSTEM


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class ApiRoute:
    """One endpoint. ``path`` uses Starlette syntax (``{table_id:int}``); ``handler`` is a
    blocking function run in the threadpool; it returns the JSON body (None for 204)."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: JsonSchema | None
    status: int = 200
    body: JsonSchema | None = None
    params: tuple[Param, ...] = field(default_factory=tuple)
    errors: tuple[int, ...] = (400, 404)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


def path_params(path: str) -> list[tuple[str, str]]:
    """(name, convertor) for each path parameter, e.g. ('table_id', 'int')."""
    return [(m.group(1), m.group(2) or "str") for m in _PATH_PARAM.finditer(path)]


def openapi_path(path: str) -> str:
    """Starlette path → OpenAPI path ('{table_id:int}' → '{table_id}')."""
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)
