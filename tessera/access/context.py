"""The acting principal of the current request, as a context variable.

Why ambient as well as explicit: pages, htmx endpoints and features written later read records
through ``query_records`` / ``RecordService`` / ``export_records`` without threading a principal
through every helper. Those functions take ``principal=None`` to mean "whoever is acting", so a
read path added tomorrow is filtered by the caller's rules without anyone remembering to pass
it. ``PrincipalContextMiddleware`` sets it for each HTTP request from what the authentication
middleware resolved; outside a request (CLI, worker, tests) nobody is set and SYSTEM acts.
Context variables follow the request into ``run_in_threadpool``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.auth.principal import SYSTEM, Principal

__all__ = ["acting_principal", "acting", "resolve", "PrincipalContextMiddleware"]

_ACTING: ContextVar[Principal] = ContextVar("tessera_acting_principal", default=SYSTEM)


def acting_principal() -> Principal:
    return _ACTING.get()


def resolve(principal: Principal | None) -> Principal:
    """An explicit principal, else the acting one."""
    return principal if principal is not None else _ACTING.get()


@contextmanager
def acting(principal: Principal) -> Iterator[Principal]:
    token = _ACTING.set(principal)
    try:
        yield principal
    finally:
        _ACTING.reset(token)


class PrincipalContextMiddleware:
    """Runs each request as the principal the authentication middleware put in its scope.
    Requests without one reach only public routes (the middleware turns the rest away): the
    incoming webhook, authenticated by its own secret, runs its automation as SYSTEM."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from tessera.auth.request import PRINCIPAL_KEY

        principal = scope.get(PRINCIPAL_KEY)
        if principal is None:
            await self.app(scope, receive, send)
            return
        with acting(principal):
            await self.app(scope, receive, send)
