"""The REST JSON API under /api/v1: a declarative route table (``routes.API_ROUTES``) from
which the router, request validation and the OpenAPI document are generated."""

from tessera.api.routes import API_PREFIX, API_ROUTES

__all__ = ["API_PREFIX", "API_ROUTES"]
